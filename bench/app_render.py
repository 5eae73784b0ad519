"""How long each screen of the app takes to render, through Streamlit's AppTest.

    python -m bench.app_render [--campaigns 10000] [--days 90] [--repeat 3]

1. The demo (`seed-demo`) on SQLite and on PostgreSQL: every screen, with a cold cache (the
   first visit) and a warm one. Target: under 2 s each.
2. A company with 10,000 campaigns (three platforms each, 90 days of metrics, 5,000 pending
   recommendations) on PostgreSQL: the Dashboard, Campaigns and AI Recommendations with a cold
   cache. Target: under 3 s.

Each figure is also given as a multiple of the login screen's render in the same run (the
cost of a run that reads nothing), so machines of different speed compare.
"""

import argparse
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy import func, insert, select, text
from streamlit.testing.v1 import AppTest

from bench._support import bench_company, postgres_argument, scratch_postgres
from cli.demo import DEMO_LOGIN, seed_demo
from core.actor import Actor
from core.config import PROJECT_ROOT, get_settings
from core.database import get_database, upgrade_schema
from core.metrics.service import FRAME_COLUMNS, refresh_rollups
from db import Database
from db.enums import Platform
from db.models import Campaign, PlatformCampaign, Recommendation

SCREENS = ("dashboard", "campaigns", "analytics", "recommendations", "action_history")
BENCH_LOGIN = ("bench", "bench-password")
TIMEOUT = 120


def point_app_at(url: str) -> None:
    """The app in this process reads its settings afresh from here on, with nothing cached."""
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    get_database.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()


def timed(run: Callable[[], AppTest]) -> tuple[float, AppTest]:
    started = time.perf_counter()
    app = run()
    elapsed = time.perf_counter() - started
    if app.exception:
        raise RuntimeError(f"the screen failed: {app.exception[0].value}")
    return elapsed, app


def login_screen(repeat: int = 5) -> float:
    """The baseline: a run of the app that shows the login form and reads nothing else (the first
    run, which also imports everything, is left out)."""
    runs = [
        timed(lambda: AppTest.from_file(PROJECT_ROOT / "app.py", default_timeout=TIMEOUT).run())[0]
        for _ in range(repeat + 1)
    ]
    return statistics.median(runs[1:])


def logged_in(username: str, password: str) -> AppTest:
    app = AppTest.from_file(PROJECT_ROOT / "app.py", default_timeout=TIMEOUT).run()
    app.text_input(key="login_username").input(username)
    app.text_input(key="login_password").input(password)
    next(b for b in app.button if b.label == "Log in").click().run()
    return app


def screen_times(username: str, password: str, screens: tuple[str, ...], repeat: int) -> dict[str, tuple]:
    """Per screen: the median cold render (cache cleared first) and the median warm one."""
    app = logged_in(username, password)
    times: dict[str, tuple[list[float], list[float]]] = {s: ([], []) for s in screens}
    for _ in range(repeat):
        for screen in screens:
            st.cache_data.clear()
            cold, _ = timed(lambda s=screen: app.switch_page(f"pages/{s}.py").run())
            warm, _ = timed(app.run)
            times[screen][0].append(cold)
            times[screen][1].append(warm)
    return {s: (statistics.median(c), statistics.median(w)) for s, (c, w) in times.items()}


def report(title: str, times: dict[str, tuple], baseline: float, target: float) -> None:
    print(f"\n{title}  (login screen, the baseline: {baseline * 1000:.0f} ms)")
    for screen, (cold, warm) in times.items():
        verdict = "ok" if cold < target else f"OVER the {target:.0f} s target"
        print(
            f"  {screen:<15} cold {cold * 1000:6.0f} ms ({cold / baseline:4.1f}× baseline)"
            f"   warm {warm * 1000:6.0f} ms   {verdict}"
        )


def seeded_demo(database: Database) -> None:
    upgrade_schema(database)
    with database.session_scope() as session:
        seed_demo(session)
    database.dispose()


def big_company(database: Database, campaigns: int, days: int, seed: int = 3) -> Actor:
    """`campaigns` active campaigns on three platforms each, with `days` of daily metrics."""
    actor = bench_company(database)
    rng = np.random.default_rng(seed)
    today = date.today()
    start = today - timedelta(days=days)
    platforms = [p.value for p in Platform]
    with database.session_scope() as session:
        session.execute(
            insert(Campaign),
            [
                {
                    "company_id": actor.company_id,
                    "user_id": actor.user_id,
                    "name": f"Campaign {i:05d}",
                    "objective": "sales" if i % 3 else "leads",
                    "status": "active" if i % 10 else "paused",
                    "total_budget": 300 * (days + 60),
                    "daily_budget": 300,
                    "start_date": start,
                    "end_date": today + timedelta(days=60) if i % 4 else None,
                }
                for i in range(campaigns)
            ],
        )
        ids = session.scalars(select(Campaign.id).where(Campaign.company_id == actor.company_id)).all()
        session.execute(
            insert(PlatformCampaign),
            [
                {
                    "company_id": actor.company_id,
                    "campaign_id": campaign_id,
                    "platform": platforms[(n + k) % len(platforms)],
                    "external_id": f"bench-{campaign_id}-{k}",
                    "data_source": "import",
                    "allocated_budget": 100,
                }
                for n, campaign_id in enumerate(ids)
                for k in range(3)
            ],
        )
        placements = np.array(
            session.scalars(
                select(PlatformCampaign.id).where(PlatformCampaign.company_id == actor.company_id)
            ).all()
        )
    n = len(placements) * days
    impressions = rng.integers(2_000, 20_000, n)
    clicks = (impressions * rng.uniform(0.005, 0.03, n)).astype(np.int64)
    conversions = np.round(clicks * rng.uniform(0.0, 0.08, n), 4)
    spend = np.round(clicks * rng.uniform(0.4, 2.5, n), 2)
    frame = pd.DataFrame(
        {
            "platform_campaign_id": np.repeat(placements, days),
            "date": np.tile([start + timedelta(days=d) for d in range(days)], len(placements)),
            "impressions": impressions,
            "clicks": clicks,
            "conversions": conversions,
            "spend": spend,
            "revenue": np.round(conversions * rng.uniform(20, 90, n), 2),
        }
    )
    buffer = io.StringIO()
    frame[list(FRAME_COLUMNS)].to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    with database.session_scope() as session:
        cursor = session.connection().connection.dbapi_connection.cursor()
        cursor.copy_expert(
            f"COPY metrics_history ({', '.join(FRAME_COLUMNS)}) FROM STDIN WITH (FORMAT csv)", buffer
        )
        refresh_rollups(session, actor.company_id)
    with database.session_scope() as session:  # a pending proposal on every other campaign
        first_placements = session.execute(
            select(PlatformCampaign.campaign_id, func.min(PlatformCampaign.id))
            .where(PlatformCampaign.company_id == actor.company_id)
            .group_by(PlatformCampaign.campaign_id)
        ).all()
        proposals = [
            {
                "company_id": actor.company_id,
                "campaign_id": campaign_id,
                "platform_campaign_id": placement_id,
                "action": "pause_placement",
                "params": {},
                "reason": "The weak spot of the campaign.",
                "confidence": float(rng.uniform(0.5, 1.0)),
                "expected_impact": {"metric": "conversions", "per_day": 1.0, "per_week": 7.0},
                "status": "pending",
            }
            for campaign_id, placement_id in first_placements[::2]
        ]
        session.execute(insert(Recommendation), proposals)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    print(
        f"  {campaigns:,} campaigns, {len(placements):,} placements, {n:,} daily rows, "
        f"{len(proposals):,} pending recommendations"
    )
    return actor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    postgres_argument(parser)
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("ADFLOW_BCRYPT_ROUNDS", "4")  # accounts made here need no real hashing cost

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.sqlite3'}"
        seeded_demo(Database(url))
        point_app_at(url)
        baseline = login_screen()
        report("Demo on SQLite", screen_times(*DEMO_LOGIN, SCREENS, args.repeat), baseline, 2.0)
        get_database().dispose()

    with scratch_postgres(args.postgres_url) as database:
        seeded_demo(database)
        point_app_at(database.url.render_as_string(hide_password=False))
        baseline = login_screen()
        report("Demo on PostgreSQL", screen_times(*DEMO_LOGIN, SCREENS, args.repeat), baseline, 2.0)
        get_database().dispose()

    print(f"\nBuilding a company with {args.campaigns:,} campaigns on PostgreSQL…")
    with scratch_postgres(args.postgres_url) as database:
        big_company(database, args.campaigns, args.days)
        point_app_at(database.url.render_as_string(hide_password=False))
        baseline = login_screen()
        times = screen_times(*BENCH_LOGIN, ("dashboard", "campaigns", "recommendations"), args.repeat)
        report(f"{args.campaigns:,} campaigns on PostgreSQL", times, baseline, 3.0)
        get_database().dispose()


if __name__ == "__main__":
    main()
