"""Importing a 1,000,000-row ad-set-level export into PostgreSQL: speed and memory.

    python -m bench.import_csv [--rows 1000000] [--campaigns 200] [--days 100]

Writes a Meta Ads Manager style export (one row per ad set and day) and imports it with
`core.imports.service.import_file`, each import in a fresh process so its peak memory is its
own. Printed beside it, measured in this run: pandas.read_csv of the same file (parsing only, the
floor), the peak memory of a process that only loads the code, and a file of a tenth of the rows
with the same campaign-days, to show that memory follows campaign-days and not the file's length.
"""

import argparse
import multiprocessing
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bench._support import bench_company, postgres_argument, scratch_postgres
from core.actor import Actor
from core.imports import service as csv_import
from db import Database


def write_export(path: Path, *, rows: int, campaigns: int, days: int, seed: int = 3) -> int:
    """An ad-set-level export with `rows` rows over `campaigns` campaigns and `days` days."""
    ad_sets = max(1, rows // (campaigns * days))
    rng = np.random.default_rng(seed)
    last = datetime.now(UTC).date() - timedelta(days=1)
    dates = [(last - timedelta(days=n)).isoformat() for n in range(days)]
    header = (
        "Reporting starts,Reporting ends,Campaign name,Ad set name,Impressions,Link clicks,"
        "Amount spent (USD),Purchases,Purchase conversion value\n"
    )
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(header)
        for day in dates:
            n = campaigns * ad_sets
            impressions = rng.integers(200, 40_000, n)
            clicks = rng.binomial(impressions, 0.012)
            purchases = rng.binomial(clicks, 0.03)
            frame = pd.DataFrame(
                {
                    "start": day,
                    "end": day,
                    "campaign": np.repeat([f"Campaign {c:04d}" for c in range(campaigns)], ad_sets),
                    "ad_set": np.tile([f"Ad set {a:03d}" for a in range(ad_sets)], campaigns),
                    "impressions": impressions,
                    "clicks": clicks,
                    "spend": np.round(impressions * rng.uniform(0.004, 0.012, n), 2),
                    "purchases": purchases,
                    "value": np.round(purchases * rng.uniform(20, 90, n), 2),
                }
            )
            frame.to_csv(out, header=False, index=False)
    return campaigns * ad_sets * days


def _import(url: str, actor: Actor, path: str, results: multiprocessing.Queue) -> None:
    database = Database(url)
    started = time.perf_counter()
    with database.session_scope() as session, open(path, "rb") as file:
        result = csv_import.import_file(session, actor, file)
    elapsed = time.perf_counter() - started
    database.dispose()
    results.put((elapsed, result.preview.rows, result.days_written, _peak_rss_mb()))


def _read_only(path: str, results: multiprocessing.Queue) -> None:
    started = time.perf_counter()
    rows = len(pd.read_csv(path, dtype=str))
    results.put((time.perf_counter() - started, rows, 0, _peak_rss_mb()))


def _idle(results: multiprocessing.Queue) -> None:
    results.put((0.0, 0, 0, _peak_rss_mb()))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _in_child(target, *args) -> tuple[float, int, int, float]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=target, args=(*args, results))
    process.start()
    found = results.get()
    process.join()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--campaigns", type=int, default=200)
    parser.add_argument("--days", type=int, default=100)
    postgres_argument(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, scratch_postgres(args.postgres_url) as database:
        big, small = Path(folder) / "big.csv", Path(folder) / "small.csv"
        rows = write_export(big, rows=args.rows, campaigns=args.campaigns, days=args.days)
        small_rows = write_export(small, rows=args.rows // 10, campaigns=args.campaigns, days=args.days)
        size_mb = big.stat().st_size / 1024 / 1024
        url = database.url.render_as_string(hide_password=False)
        idle = _in_child(_idle)
        floor = _in_child(_read_only, str(big))
        tenth = _in_child(_import, url, bench_company(database, "Tenth Co", "tenth"), str(small))
        ours = _in_child(_import, url, bench_company(database, "Bench Co", "bench"), str(big))
    print(f"file                         {rows:>12,} rows, {ours[2]:,} campaign-days")
    print(f"import_file (ours)           {rows / ours[0]:>12,.0f} rows/s   ({ours[0]:.1f} s)")
    print(f"pandas.read_csv (floor)      {rows / floor[0]:>12,.0f} rows/s   ({floor[0]:.1f} s)")
    print(f"ours / read_csv              {floor[0] / ours[0]:>12.0%}")
    print(f"peak memory, code loaded     {idle[3]:>12,.0f} MB")
    print(f"peak memory, {small_rows:>9,} rows {tenth[3]:>10,.0f} MB   (+{tenth[3] - idle[3]:,.0f} MB)")
    print(f"peak memory, {rows:>9,} rows {ours[3]:>10,.0f} MB   (+{ours[3] - idle[3]:,.0f} MB)")
    print(f"peak memory, read_csv        {floor[3]:>12,.0f} MB   (the whole file in memory)")
    print(f"file size                    {size_mb:>12,.0f} MB")


if __name__ == "__main__":
    main()
