"""Loading 1,000,000 metrics_history rows into PostgreSQL: our upsert against a plain COPY.

    python -m bench.ingest [--rows 1000000]

Prints rows/s of `core.metrics.service.upsert_daily` (validation, bulk upsert and roll-ups)
beside a bare `COPY metrics_history FROM STDIN` of the same rows into an empty table, both
measured in this run on this machine. Target: at least 25% of COPY's rate.
"""

import argparse
import io
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import insert, text

from bench._support import bench_company, postgres_argument, scratch_postgres
from core.metrics.service import FRAME_COLUMNS, upsert_daily
from db.models import Campaign, PlatformCampaign


def make_rows(placement_ids: list[int], days: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(placement_ids) * days
    first = date(2024, 1, 1)
    impressions = rng.integers(100, 50_000, n)
    clicks = rng.binomial(impressions, 0.02)
    conversions = rng.binomial(clicks, 0.05).astype(float)
    spend = np.round(impressions * rng.uniform(0.004, 0.02, n), 2)
    return pd.DataFrame(
        {
            "platform_campaign_id": np.repeat(placement_ids, days),
            "date": np.tile([first + timedelta(days=i) for i in range(days)], len(placement_ids)),
            "impressions": impressions,
            "clicks": clicks,
            "conversions": conversions,
            "spend": spend,
            "revenue": np.round(conversions * rng.uniform(20, 120, n), 2),
        }
    )


def create_placements(database, actor, count: int) -> list[int]:
    with database.session_scope() as session:
        campaign_ids = session.scalars(
            insert(Campaign).returning(Campaign.id),
            [
                {
                    "company_id": actor.company_id,
                    "name": f"Bench {i}",
                    "objective": "conversions",
                    "status": "active",
                    "total_budget": 100000,
                    "daily_budget": 100,
                    "start_date": date(2024, 1, 1),
                    "description": "",
                    "target_audience": {},
                    "autopilot": False,
                    "impressions": 0,
                    "clicks": 0,
                    "conversions": 0,
                    "revenue": 0,
                    "spent_budget": 0,
                }
                for i in range(count)
            ],
        ).all()
        return list(
            session.scalars(
                insert(PlatformCampaign).returning(PlatformCampaign.id),
                [
                    {
                        "company_id": actor.company_id,
                        "campaign_id": cid,
                        "platform": "facebook",
                        "external_id": f"b{cid}",
                        "data_source": "import",
                        "allocated_budget": 100,
                        "spent_budget": 0,
                        "is_active": True,
                        "platform_metrics": {},
                    }
                    for cid in campaign_ids
                ],
            ).all()
        )


def timed_upsert(database, actor, frame: pd.DataFrame) -> float:
    started = time.perf_counter()
    with database.session_scope() as session:
        upsert_daily(session, actor, frame)
    return time.perf_counter() - started


def timed_copy(database, frame: pd.DataFrame) -> float:
    with database.engine.begin() as connection:
        connection.execute(text("TRUNCATE metrics_history"))
    started = time.perf_counter()
    buffer = io.StringIO()
    frame[list(FRAME_COLUMNS)].to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    raw = database.engine.raw_connection()
    try:
        raw.cursor().copy_expert(
            f"COPY metrics_history ({', '.join(FRAME_COLUMNS)}) FROM STDIN WITH (FORMAT csv)", buffer
        )
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=500, help="days per placement")
    postgres_argument(parser)
    args = parser.parse_args()
    placements = max(1, args.rows // args.days)
    with scratch_postgres(args.postgres_url) as database:
        actor = bench_company(database)
        ids = create_placements(database, actor, placements)
        frame = make_rows(ids, args.days)
        rows = len(frame)
        ours = timed_upsert(database, actor, frame)
        copy = timed_copy(database, frame)
    print(f"rows loaded                  {rows:>12,}")
    print(f"upsert_daily (ours)          {rows / ours:>12,.0f} rows/s   ({ours:.1f} s)")
    print(f"plain COPY (floor)           {rows / copy:>12,.0f} rows/s   ({copy:.1f} s)")
    print(f"ours / COPY                  {copy / ours:>12.0%}   (target >= 25%)")


if __name__ == "__main__":
    main()
