"""Writing daily metrics: validated, idempotent upserts, then the roll-ups they feed."""

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import ValidationError
from core.metrics.definitions import BASE_COLUMNS, sql_ratio
from db.models import Campaign, DailyTotal, MetricsHistory, PlatformCampaign

FRAME_COLUMNS = ("platform_campaign_id", "date", *BASE_COLUMNS)
MAX_REPORTED_ROW_ERRORS = 50
_COPY_THRESHOLD = 5_000  # rows; below this a plain multi-row upsert is as fast
_WRITE_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class UpsertResult:
    rows: int
    placements: int
    notes: list[str]


def upsert_daily(
    session: Session, actor: Actor, frame: pd.DataFrame, *, refresh: bool = True
) -> UpsertResult:
    """Insert or replace daily rows (one per placement and day); re-sending a day replaces it.

    `frame` has platform_campaign_id, date, impressions, clicks, conversions, spend, revenue. Every
    row is checked first; any bad row refuses the whole frame (ValidationError listing the rows)
    and nothing is written. What real exports contain (conversions above clicks, conversions
    without spend, days without clicks) is accepted and only noted.
    """
    actor.require_write()
    clean = validate_frame(frame)
    _check_ownership(session, actor, clean["platform_campaign_id"].unique())
    if clean.empty:
        return UpsertResult(0, 0, [])
    if session.get_bind().dialect.name == "postgresql" and len(clean) >= _COPY_THRESHOLD:
        _copy_upsert(session, clean)
    else:
        _multirow_upsert(session, clean)
    placement_ids = clean["platform_campaign_id"].unique().tolist()
    if refresh:
        refresh_rollups(session, actor.company_id, placement_ids=placement_ids, since=clean["date"].min())
    return UpsertResult(len(clean), len(placement_ids), data_quality_notes(clean))


def validate_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with proper types, or ValidationError naming each bad row (1-based) and column."""
    missing = [c for c in FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError({"columns": f"missing required columns: {', '.join(missing)}"})
    clean = pd.DataFrame(index=frame.index)
    problems: list[dict[str, Any]] = []

    def refuse(mask: pd.Series, column: str, why: str) -> None:
        for position in np.flatnonzero(mask.to_numpy()):
            problems.append(
                {
                    "row": int(position) + 1,
                    "column": column,
                    "value": _shown(frame[column].iloc[position]),
                    "message": why,
                }
            )

    ids = pd.to_numeric(frame["platform_campaign_id"], errors="coerce")
    refuse(ids.isna() | (ids % 1 != 0), "platform_campaign_id", "must be a placement id")
    clean["platform_campaign_id"] = ids.fillna(0).astype(np.int64)
    dates = pd.to_datetime(frame["date"], errors="coerce", format="mixed")
    refuse(dates.isna(), "date", "must be a date (YYYY-MM-DD)")
    clean["date"] = dates.dt.date
    for column in BASE_COLUMNS:
        values = pd.to_numeric(frame[column], errors="coerce").astype(float)
        finite = np.isfinite(values)
        refuse(~finite, column, "must be a finite number")
        refuse(finite & (values < 0), column, "must not be negative")
        if column in ("impressions", "clicks"):
            refuse(finite & (values % 1 != 0), column, "must be a whole number")
        clean[column] = values.where(finite, 0.0)
    duplicated = clean.duplicated(["platform_campaign_id", "date"], keep="first") & dates.notna()
    refuse(duplicated, "date", "the same placement and day appear twice")
    if problems:
        problems.sort(key=lambda p: p["row"])
        raise ValidationError(
            {"rows": f"{len(problems)} problem(s) in the data; nothing was saved"},
            rows=problems[:MAX_REPORTED_ROW_ERRORS],
        )
    clean["impressions"] = clean["impressions"].astype(np.int64)
    clean["clicks"] = clean["clicks"].astype(np.int64)
    clean["spend"] = clean["spend"].round(2)
    clean["revenue"] = clean["revenue"].round(2)
    clean["conversions"] = clean["conversions"].round(4)
    return clean.reset_index(drop=True)


def data_quality_notes(frame: pd.DataFrame) -> list[str]:
    """Things worth a look that are still legitimate data."""
    notes = []
    checks = {
        "days with more conversions than clicks (view-through or attribution windows)": frame["conversions"]
        > frame["clicks"],
        "days with conversions but no spend": (frame["conversions"] > 0) & (frame["spend"] == 0),
        "days with spend but no impressions": (frame["spend"] > 0) & (frame["impressions"] == 0),
    }
    for text, mask in checks.items():
        if count := int(mask.sum()):
            notes.append(f"{count} {text}")
    return notes


def refresh_rollups(
    session: Session, company_id: int, *, placement_ids: list[int] | None = None, since: date | None = None
) -> None:
    """Recompute what is kept summed from metrics_history: the totals stored on placements and
    campaigns (of `placement_ids`' campaigns, or all), and the company's daily totals (from
    `since`, or all days).

    Campaign ratios are ratios of the summed base metrics (never a mean of daily ratios).
    """
    _refresh_daily_totals(session, company_id, since)
    placements = select(PlatformCampaign.id).where(PlatformCampaign.company_id == company_id)
    if placement_ids is not None:
        campaign_ids = select(PlatformCampaign.campaign_id).where(PlatformCampaign.id.in_(placement_ids))
        placements = placements.where(PlatformCampaign.campaign_id.in_(campaign_ids))
    spent = (
        select(
            MetricsHistory.platform_campaign_id.label("pc_id"),
            func.coalesce(func.sum(MetricsHistory.spend), 0).label("spend"),
        )
        .where(MetricsHistory.platform_campaign_id.in_(placements))
        .group_by(MetricsHistory.platform_campaign_id)
        .subquery()
    )
    session.execute(
        update(PlatformCampaign)
        .values(spent_budget=spent.c.spend)
        .where(PlatformCampaign.id == spent.c.pc_id)
    )
    sums = {c: func.coalesce(func.sum(getattr(MetricsHistory, c)), 0) for c in BASE_COLUMNS}
    totals = (
        select(PlatformCampaign.campaign_id.label("campaign_id"), *(v.label(k) for k, v in sums.items()))
        .join(MetricsHistory, MetricsHistory.platform_campaign_id == PlatformCampaign.id)
        .where(PlatformCampaign.id.in_(placements))
        .group_by(PlatformCampaign.campaign_id)
        .subquery()
    )
    session.execute(
        update(Campaign)
        .values(
            impressions=totals.c.impressions,
            clicks=totals.c.clicks,
            conversions=totals.c.conversions,
            revenue=totals.c.revenue,
            spent_budget=totals.c.spend,
            ctr=sql_ratio(totals.c.clicks, totals.c.impressions),
            cpc=sql_ratio(totals.c.spend, totals.c.clicks),
            cpa=sql_ratio(totals.c.spend, totals.c.conversions),
            roas=sql_ratio(totals.c.revenue, totals.c.spend),
        )
        .where(Campaign.id == totals.c.campaign_id)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def _refresh_daily_totals(session: Session, company_id: int, since: date | None) -> None:
    stale = delete(DailyTotal).where(DailyTotal.company_id == company_id)
    days = (
        select(
            PlatformCampaign.company_id,
            MetricsHistory.date,
            PlatformCampaign.platform,
            *(func.sum(getattr(MetricsHistory, c)) for c in BASE_COLUMNS),
        )
        .join(PlatformCampaign, PlatformCampaign.id == MetricsHistory.platform_campaign_id)
        .where(PlatformCampaign.company_id == company_id)
        .group_by(PlatformCampaign.company_id, MetricsHistory.date, PlatformCampaign.platform)
    )
    if since is not None:
        stale = stale.where(DailyTotal.date >= since)
        days = days.where(MetricsHistory.date >= since)
    session.execute(stale)
    session.execute(insert(DailyTotal).from_select(["company_id", "date", "platform", *BASE_COLUMNS], days))


def _check_ownership(session: Session, actor: Actor, placement_ids: np.ndarray) -> None:
    if len(placement_ids) == 0:
        return
    ids = [int(i) for i in placement_ids]
    owned = set()
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        owned.update(
            session.scalars(
                select(PlatformCampaign.id).where(
                    PlatformCampaign.id.in_(chunk), PlatformCampaign.company_id == actor.company_id
                )
            )
        )
    unknown = sorted(set(ids) - owned)
    if unknown:
        raise ValidationError({"platform_campaign_id": f"unknown placement(s): {unknown[:10]}"})


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).to_dict("records")


def _multirow_upsert(session: Session, frame: pd.DataFrame) -> None:
    dialect = session.get_bind().dialect.name
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = dialect_insert(MetricsHistory)
    statement = statement.on_conflict_do_update(
        index_elements=["platform_campaign_id", "date"],
        set_={c: getattr(statement.excluded, c) for c in BASE_COLUMNS},
    )
    records = _records(frame)
    for start in range(0, len(records), _WRITE_CHUNK):
        session.execute(statement, records[start : start + _WRITE_CHUNK])


def _copy_upsert(session: Session, frame: pd.DataFrame) -> None:
    """PostgreSQL: COPY into a temporary table, then one INSERT … ON CONFLICT from it."""
    buffer = io.StringIO()
    frame[list(FRAME_COLUMNS)].to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    connection = session.connection()
    connection.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS metrics_staging (platform_campaign_id integer, date date, "
        "impressions bigint, clicks bigint, conversions numeric(16, 4), spend numeric(14, 2), "
        "revenue numeric(14, 2)) ON COMMIT DELETE ROWS"
    )
    connection.exec_driver_sql("TRUNCATE metrics_staging")
    columns = ", ".join(FRAME_COLUMNS)
    cursor = connection.connection.dbapi_connection.cursor()
    cursor.copy_expert(f"COPY metrics_staging ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in BASE_COLUMNS)
    connection.exec_driver_sql(
        f"INSERT INTO metrics_history ({columns}) SELECT {columns} FROM metrics_staging "
        f"ON CONFLICT (platform_campaign_id, date) DO UPDATE SET {assignments}"
    )


def _shown(value: Any) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return text[:60]
