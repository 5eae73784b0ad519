"""The REST sidecar under load: 100,000 campaigns in PostgreSQL, N clients for T seconds per route.

    python -m bench.api_load [--campaigns 100000] [--days 60] [--clients 50] [--seconds 30] [--workers 2]

Serves the API as `python -m api --workers N` does (uvicorn, the rate limiter counting but
never refusing) and, beside it, a bare FastAPI endpoint returning a constant: the floor on this
machine, measured in the same run. `wrk` (Debian's package) drives the load and reports exact
percentiles. Prints p50/p95/p99 latency and requests/s per route, and each route's requests/s
as a share of the bare endpoint's. Targets: p95 under 100 ms per route, at least a third of the
bare endpoint's requests/s. Set-up (bulk insert of the campaigns and of `--days` days of metrics
per campaign, then server start and warm-up) is not part of the figures; the seeding time is
printed (about a minute for 100,000 campaigns and 60 days, 6 million metrics rows).
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select, text

from bench._support import bench_company, postgres_argument, scratch_postgres
from bench.ingest import create_placements
from core.config import PROJECT_ROOT
from core.metrics.service import refresh_rollups
from db.models import Campaign

PORTS = (8170, 8171)  # ours, the bare endpoint

# wrk calls `request` for every request and `done` once; the percentiles come out as JSON.
WRK_SCRIPT = """
math.randomseed(1)
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
wrk.headers["Authorization"] = os.getenv("BENCH_AUTHORIZATION")
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %f, "errors": %d, "p50": %d, "p95": %d, "p99": %d}\\n',
    summary.requests, summary.duration / 1e6, errors,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Route:
    name: str
    port: int
    paths: list[str]


@dataclass(frozen=True)
class Result:
    route: str
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


def routes(campaign_ids: list[int]) -> list[Route]:
    ours, bare = PORTS
    step = max(1, len(campaign_ids) // 1000)
    # The list is read on its first 40 pages, as people page through it; ids are spread over all rows.
    return [
        Route("bare FastAPI constant (floor)", bare, ["/constant"]),
        Route(
            "GET /campaigns (page of 25)",
            ours,
            [f"/api/v1/campaigns?page={p}" for p in range(1, 41)],
        ),
        Route("GET /campaigns/{id}", ours, [f"/api/v1/campaigns/{i}" for i in campaign_ids[::step]]),
        Route("GET /dashboard/summary", ours, ["/api/v1/dashboard/summary"]),
    ]


def seed_metrics(database, company_id: int, days: int) -> None:
    """`days` days up to yesterday for every placement, in one INSERT … SELECT inside PostgreSQL.

    The figures vary by placement and day through integer hashing, so every run is the same. The
    sums kept from them (campaign and daily totals) are then refreshed, as an import does.
    """
    with database.engine.begin() as connection:
        connection.execute(
            text(
                """
                INSERT INTO metrics_history
                    (platform_campaign_id, date, impressions, clicks, conversions, spend, revenue)
                SELECT p.id, d.day, m.impressions, m.clicks, m.clicks / 20, m.impressions * 0.008,
                       (m.clicks / 20) * (40 + p.id % 60)
                FROM platform_campaigns p
                CROSS JOIN generate_series(CURRENT_DATE - :days, CURRENT_DATE - 1, interval '1 day') AS d(day)
                CROSS JOIN LATERAL (
                    SELECT 500 + (p.id * 7919 + extract(doy FROM d.day)::int * 104729) % 20000 AS impressions,
                           10 + (p.id * 31 + extract(doy FROM d.day)::int * 17) % 400 AS clicks
                ) AS m
                """
            ),
            {"days": days},
        )
    with database.session_scope() as session:
        refresh_rollups(session, company_id)
    # As a database that has been running for a while: statistics, visibility map and hint bits
    # set, rather than autovacuum and first reads rewriting six million new rows during the load.
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


@contextmanager
def serving(command: list[str], port: int, env: dict[str, str], log: Path):
    # The server's output goes to a file: an unread pipe would fill up and stall the server.
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=output)
        try:
            wait_for_port(port, process, log)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited:\n{log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on port {port} after {timeout:.0f} s")


def run_wrk(route: Route, authorization: str, clients: int, seconds: int, workdir: Path) -> Result:
    script, paths = workdir / "load.lua", workdir / "paths.txt"
    script.write_text(WRK_SCRIPT)
    paths.write_text("\n".join(route.paths) + "\n")
    done = subprocess.run(
        [
            "wrk",
            f"--threads={min(2, clients)}",
            f"--connections={clients}",
            f"--duration={seconds}s",
            "--timeout=10s",
            f"--script={script}",
            f"http://127.0.0.1:{route.port}",
        ],
        env={**os.environ, "BENCH_PATHS": str(paths), "BENCH_AUTHORIZATION": authorization},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    figures = json.loads(line.removeprefix("RESULT "))
    return Result(
        route.name,
        figures["requests"] / figures["seconds"],
        figures["p50"] / 1000,
        figures["p95"] / 1000,
        figures["p99"] / 1000,
        figures["errors"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--days", type=int, default=60, help="days of metrics per campaign")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes of the API")
    # Long enough for every worker to open its connections and fill its caches (the signed-in user, totals).
    parser.add_argument("--warmup-seconds", type=int, default=10)
    postgres_argument(parser)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench.api_load needs wrk: apt-get install -y wrk")
    with scratch_postgres(args.postgres_url) as database, tempfile.TemporaryDirectory() as workdir:
        seeding = time.perf_counter()
        actor = bench_company(database)
        create_placements(database, actor, args.campaigns)
        seed_metrics(database, actor.company_id, args.days)
        print(
            f"seeded {args.campaigns:,} campaigns and {args.days} days of metrics in "
            f"{time.perf_counter() - seeding:.0f} s",
            flush=True,
        )
        with database.session_scope() as session:
            campaign_ids = list(session.scalars(select(Campaign.id).order_by(Campaign.id)))
        env = {
            **os.environ,
            "DATABASE_URL": database.url.render_as_string(hide_password=False),
            # The limiter counts every request, as in production, but must not refuse the load.
            "ADFLOW_API_RATE_LIMIT": str(10**9),
        }
        ours, bare = PORTS
        python = sys.executable
        workdir = Path(workdir)
        with (
            serving(
                [python, "-m", "api", "--port", str(ours), "--workers", str(args.workers)],
                ours,
                env,
                workdir / "api.log",
            ),
            serving(
                [python, "-m", "uvicorn", "bench.bare_api:app", "--port", str(bare), "--no-access-log"],
                bare,
                env,
                workdir / "bare.log",
            ),
        ):
            login = httpx.post(
                f"http://127.0.0.1:{ours}/api/v1/auth/login",
                json={"username": "bench", "password": "bench-password"},
            )
            login.raise_for_status()
            authorization = f"Bearer {login.json()['access_token']}"
            results = []
            for route in routes(campaign_ids):
                run_wrk(route, authorization, args.clients, args.warmup_seconds, workdir)
                results.append(run_wrk(route, authorization, args.clients, args.seconds, workdir))
    report(results, args)


def report(results: list[Result], args: argparse.Namespace) -> None:
    floor = results[0].requests_per_second
    print(
        f"{args.campaigns:,} campaigns ({args.days} days of metrics) in PostgreSQL; API on {args.workers}"
        f" worker(s); {args.clients} clients for {args.seconds} s per route"
    )
    print(
        f"{'route':<32} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'of floor':>9} {'errors':>7}"
    )
    for r in results:
        print(
            f"{r.route:<32} {r.requests_per_second:>9,.0f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.p99_ms:>8.1f}"
            f" {r.requests_per_second / floor:>9.0%} {r.errors:>6}"
        )
    print("targets: p95 < 100 ms per route, and at least 33% of the floor's requests/s")


if __name__ == "__main__":
    main()
