"""Importing the exports marketers already have: Google Ads reports, Meta Ads Manager exports, any CSV
with a column mapping. One service for every door (the Campaigns screen, the CLI, the API).

    preview(session, actor, file, options)      what the file holds and what importing would do
    import_file(session, actor, file, options)  import it, all or nothing, in the caller's transaction
    file_columns(file)                          the header's columns, to map a file by hand

The file is read as a stream (twice: once to learn its date and number formats from whole
columns, once to parse), and its rows are summed to the campaign and day as they are read, so
memory grows with the number of campaign-days, not with the number of rows. Any bad row refuses
the whole file with a message per row (file line, column, value, why).
"""

import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any, BinaryIO, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.actor import Actor
from core.campaigns import service as campaigns
from core.config import get_settings
from core.errors import ValidationError
from core.imports.reading import (
    DELIMITERS,
    FIELDS,
    MAX_COUNT,
    MAX_MONEY,
    METRIC_FIELDS,
    MONEY_FIELDS,
    NO_DATE,
    SNIFF_BYTES,
    WHOLE_FIELDS,
    Layout,
    NumberStyle,
    RowProblems,
    check_date_format,
    date_example,
    detect_layout,
    epoch_day,
    header_guess,
    is_skipped,
    parse_dates,
    parse_numbers,
    parse_platform,
    records,
    resolve_date_format,
    survey,
)
from core.metrics.service import MAX_REPORTED_ROW_ERRORS, refresh_rollups, upsert_daily
from core.money import split_amount, to_money
from core.platforms.registry import Connectors
from core.schemas import MAX_NAME_LENGTH
from core.validation import parse
from db.enums import CampaignStatus, DataSource, Objective, Platform
from db.models import Campaign, PlatformCampaign

ImportField = Literal[FIELDS]  # type: ignore[valid-type]
DEFAULT_PLATFORM = {"google_ads": Platform.GOOGLE_ADS, "meta": Platform.FACEBOOK}
FORMAT_LABELS = {"google_ads": "Google Ads report", "meta": "Meta Ads Manager export", "generic": "CSV"}
_DISTINCT_DATES_SAMPLED = 50_000
_KEYS = ["platform", "key", "date"]
_SUMS = {name: "sum" for name in (*METRIC_FIELDS, "rows")}


class ImportOptions(BaseModel):
    """What the person importing may say about a file; everything else is detected."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # The platform of every row, for files without a platform column (required for plain CSVs).
    platform: Platform | None = None
    # File column -> field, for columns the detection does not know (or reads otherwise).
    mapping: dict[str, ImportField] = Field(default_factory=dict)
    # strftime form of the dates, needed only when a date column reads two ways (03/04/2026).
    date_format: str | None = None

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        return check_date_format(value) if value else None


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    """One campaign on one platform as the file has it, and where its days will go."""

    platform: Platform
    name: str
    external_id: str | None
    days: int
    first_day: date
    last_day: date
    rows: int
    impressions: int
    clicks: int
    conversions: float
    spend: Decimal
    revenue: Decimal
    campaign_id: int | None  # None: the campaign will be created
    placement_id: int | None  # None: the placement will be created


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What a file holds and what importing it would do. `errors` empty and `conflicts` empty: importable."""

    format: str  # google_ads, meta or generic
    encoding: str
    delimiter: str  # comma, semicolon or tab
    date_format: str
    number_format: str  # e.g. "1,234.56"
    header_line: int
    columns: dict[str, str]  # field -> the file's column
    level: str  # campaign, ad set, ad group, ad or keyword: rows below campaign level are summed
    currency: str | None
    rows: int  # data rows read (totals, summary and blank lines excluded)
    skipped_rows: int
    campaign_days: int
    summed_rows: int  # rows folded into another row's campaign and day
    first_day: date | None
    last_day: date | None
    totals: dict[str, float]
    campaigns: list[CampaignPlan]
    new_campaigns: list[str]
    notes: list[str]
    errors: list[dict[str, Any]]  # per bad row: row/line, column, value, message (the first few)
    error_count: int
    conflicts: list[str]  # file-level reasons it cannot be imported as it is

    @property
    def ok(self) -> bool:
        return not self.error_count and not self.conflicts

    def raise_for_errors(self) -> None:
        """ValidationError naming every problem (rows first), or nothing when the file is importable."""
        if self.error_count:
            shown = (
                f" (the first {len(self.errors)} are listed)" if self.error_count > len(self.errors) else ""
            )
            raise ValidationError(
                {"file": f"{self.error_count} bad row(s){shown}; nothing was imported"}, rows=self.errors
            )
        if self.conflicts:
            raise ValidationError({"file": "; ".join(self.conflicts) + "; nothing was imported"})


@dataclass(frozen=True, slots=True)
class ImportResult:
    preview: ImportPreview
    campaigns_created: int
    placements_created: int
    days_written: int
    notes: list[str]


def preview(
    session: Session,
    actor: Actor,
    file: BinaryIO,
    options: ImportOptions | dict[str, Any] | None = None,
    *,
    today: date | None = None,
) -> ImportPreview:
    """Read `file` (binary, from its start) and say what importing it would do; writes nothing.

    Raises ValidationError for problems of the whole file (no header found, required columns
    missing, a mapping naming no column, dates that read two ways); bad rows are listed in
    `errors` instead, so a screen can show them beside the rest.
    """
    return _examine(session, actor, file, options, today)[2]


def import_file(
    session: Session,
    actor: Actor,
    file: BinaryIO,
    options: ImportOptions | dict[str, Any] | None = None,
    *,
    today: date | None = None,
) -> ImportResult:
    """Import `file`: new campaigns and placements under the actor's company, then the daily metrics.

    All in the caller's transaction; any bad row refuses the file (ValidationError with a message
    per row) and nothing is written. Days already stored are replaced, so importing the same file
    twice changes nothing and an overlapping file replaces the overlapping days.
    """
    actor.require_write()
    reading, matches, result = _examine(session, actor, file, options, today)
    result.raise_for_errors()
    placement_ids, campaigns_created, placements_created = _create_missing(session, actor, reading, matches)
    days_written = _write_days(session, actor, reading.daily, placement_ids)
    return ImportResult(result, campaigns_created, placements_created, days_written, result.notes)


def file_columns(file: BinaryIO) -> list[str]:
    """The columns of the file's header as written, to offer in a column mapping (reads its start)."""
    file = _seekable(file)
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    return header_guess(head)


def _examine(
    session: Session,
    actor: Actor,
    file: BinaryIO,
    options: ImportOptions | dict[str, Any] | None,
    today: date | None,
) -> tuple["_Reading", "_Match", ImportPreview]:
    options = parse(ImportOptions, options or {})
    reading = _read(_seekable(file), options, today or datetime.now(UTC).date())
    match = _match(session, actor, reading)
    return reading, match, _preview(reading, match)


# -- reading -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Reading:
    layout: Layout
    style: NumberStyle
    date_format: str
    problems: RowProblems
    rows: int = 0
    skipped: int = 0
    currencies: set[str] = field(default_factory=set)
    daily: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def _seekable(file: BinaryIO) -> BinaryIO:
    """The file itself when it can be read twice, else a spooled copy (uploads, pipes)."""
    if file.seekable():
        return file
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - returned open
    shutil.copyfileobj(file, spool)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def _read(file: BinaryIO, options: ImportOptions, today: date) -> _Reading:
    file.seek(0)
    layout = detect_layout(file.read(SNIFF_BYTES), options.mapping)
    if options.platform is not None and "platform" in layout.columns:
        raise ValidationError(
            {"platform": f"the file has a {layout.column_name('platform')!r} column; it says the platform"}
        )
    if options.platform is None and "platform" not in layout.columns and layout.format == "generic":
        raise ValidationError(
            {"platform": "say which platform the file is from (or map a column to platform)"}
        )
    date_columns = [layout.columns[f] for f in ("date", "date_end") if f in layout.columns]
    number_columns = {layout.columns[f]: f in WHOLE_FIELDS for f in METRIC_FIELDS if f in layout.columns}
    dates, evidence = survey(
        file,
        layout,
        date_columns,
        number_columns,
        cap=_DISTINCT_DATES_SAMPLED,
        chunk_rows=get_settings().import_chunk_rows,
    )
    date_format = resolve_date_format(dates, options.date_format)
    reading = _Reading(layout, evidence.style(), date_format, RowProblems(MAX_REPORTED_ROW_ERRORS))
    default_platform = options.platform or DEFAULT_PLATFORM.get(layout.format)
    _parse(file, reading, default_platform, today)
    for name in ("conversions", "revenue"):
        if name not in layout.columns:
            reading.notes.append(f"no {name} column: {name} imported as 0")
    if len(reading.currencies) > 1:
        raise ValidationError(
            {
                "currency": f"the file mixes currencies ({', '.join(sorted(reading.currencies))}); "
                "import one currency at a time"
            }
        )
    return reading


def _parse(file: BinaryIO, reading: _Reading, default_platform: Platform | None, today: date) -> None:
    """Second pass: parse and check every row, summing good ones to (platform, campaign, day)."""
    layout = reading.layout
    columns = layout.columns
    wanted = [f for f in FIELDS if f in columns]
    needed = max(columns[f] for f in wanted) + 1
    chunk_rows = get_settings().import_chunk_rows
    pick = itemgetter(*(columns[f] for f in wanted))
    date_index, campaign_index = columns["date"], columns["campaign"]
    lines: list[int] = []
    picked: list[tuple[str, ...]] = []
    date_cache: dict[str, int] = {}
    latest = today + timedelta(days=1)  # a day of slack for advertisers east of UTC

    def fold() -> None:
        cells = dict(zip(wanted, (list(column) for column in zip(*picked, strict=True)), strict=True))
        _fold(reading, lines, cells, default_platform, date_cache, latest)

    with records(file, layout) as reader:
        for row in reader:
            date_cell = row[date_index] if date_index < len(row) else ""
            if is_skipped(row, date_cell):
                reading.skipped += 1
                continue
            if len(row) < needed:
                reading.rows += 1
                reading.problems.add(
                    reader.line_num,
                    "",
                    f"{len(row)} fields",
                    f"has {len(row)} fields; the header has {len(layout.header)}",
                )
                continue
            if not row[campaign_index].strip() and _is_summary(row, columns):
                reading.skipped += 1
                continue
            lines.append(reader.line_num)
            picked.append(pick(row))
            if len(lines) >= chunk_rows:
                fold()
                lines, picked = [], []
    if lines:
        fold()


def _is_summary(row: list[str], columns: dict[str, int]) -> bool:
    """Meta's optional summary row: no campaign, and no single day (blank, or the whole range)."""
    if row[columns["campaign"]].strip() or row[columns.get("campaign_id", columns["campaign"])].strip():
        return False
    start = row[columns["date"]].strip()
    return not start or ("date_end" in columns and row[columns["date_end"]].strip() != start)


def _fold(
    reading: _Reading,
    lines: list[int],
    cells: dict[str, list[str]],
    default_platform: Platform | None,
    date_cache: dict[str, int],
    latest: date,
) -> None:
    layout, problems = reading.layout, reading.problems
    line_numbers = np.asarray(lines)
    good = np.ones(len(lines), dtype=bool)

    def refuse(mask: np.ndarray, name: str, message: str) -> None:
        column = layout.column_name(name)
        for position in np.flatnonzero(mask & good):
            problems.add(int(line_numbers[position]), column, cells[name][position], message)
        good[mask] = False

    example = date_example(reading.date_format)
    days = parse_dates(cells["date"], reading.date_format, date_cache)
    refuse(days == NO_DATE, "date", f"is not a date in this file's form ({example})")
    refuse(days > epoch_day(latest), "date", "is in the future")
    if "date_end" in cells:
        ends = parse_dates(cells["date_end"], reading.date_format, date_cache)
        refuse(
            ends != days,
            "date_end",
            "is not the same day as the start: export with a daily breakdown (by Day)",
        )
    names = [name.strip() for name in cells["campaign"]]
    refuse(np.array([not name for name in names]), "campaign", "the campaign name is missing")
    refuse(
        np.array([len(name) > MAX_NAME_LENGTH for name in names]),
        "campaign",
        f"is longer than {MAX_NAME_LENGTH} characters",
    )
    if "platform" in cells:
        platforms = [parse_platform(value) for value in cells["platform"]]
        known = ", ".join(p.label for p in Platform)
        refuse(np.array([p is None for p in platforms]), "platform", f"is not a platform ({known})")
    metrics = {}
    for name in METRIC_FIELDS:
        if name not in cells:
            metrics[name] = np.zeros(len(lines))
            continue
        values, readable = parse_numbers(cells[name], reading.style)
        refuse(~readable, name, f"is not a number as this file writes them ({reading.style.example})")
        refuse(readable & ~np.isfinite(values), name, "is not a finite number")
        refuse(readable & (values < 0), name, "must not be negative")
        if name in WHOLE_FIELDS:
            refuse(readable & (values % 1 != 0), name, "must be a whole number")
        limit = MAX_MONEY if name in MONEY_FIELDS else MAX_COUNT
        refuse(readable & (np.abs(values) >= limit), name, "is too large")
        metrics[name] = values
    if "currency" in cells:
        reading.currencies.update(c.strip().upper() for c in set(cells["currency"]) if c.strip())
    elif layout.currency:
        reading.currencies.add(layout.currency)
    keep = np.flatnonzero(good)
    reading.rows += len(lines)
    if not len(keep):
        return
    frame = pd.DataFrame(
        {
            "platform": [platforms[i].value for i in keep] if "platform" in cells else default_platform.value,
            "date": days[keep].astype("datetime64[D]"),
            "campaign": [names[i] for i in keep],
            "external_id": [cells["campaign_id"][i].strip() for i in keep] if "campaign_id" in cells else "",
            **{name: values[keep] for name, values in metrics.items()},
            "rows": 1,
        }
    )
    frame["key"] = ("name:" + frame["campaign"]).where(
        frame["external_id"] == "", "id:" + frame["external_id"]
    )
    _merge(reading, frame)


def _merge(reading: _Reading, frame: pd.DataFrame) -> None:
    how = {"campaign": "last", "external_id": "last", **_SUMS}
    folded = frame.groupby(_KEYS, sort=False).agg(how)
    if reading.daily is not None:
        folded = pd.concat([reading.daily, folded]).groupby(level=_KEYS, sort=False).agg(how)
    reading.daily = folded


# -- matching the file to the company's campaigns ----------------------------------------------


@dataclass(slots=True)
class _Match:
    plans: list[CampaignPlan]
    conflicts: list[str]
    campaigns: dict[int, Campaign]
    placements: dict[tuple[str, str], PlatformCampaign]  # (platform, key) -> existing placement


def _match(session: Session, actor: Actor, reading: _Reading) -> _Match:
    if reading.daily is None or reading.daily.empty:
        return _Match([], [], {}, {})
    per_campaign = (
        reading.daily.reset_index()
        .groupby(["platform", "key"], sort=True)
        .agg(
            campaign=("campaign", "last"),
            external_id=("external_id", "last"),
            days=("date", "nunique"),
            first_day=("date", "min"),
            last_day=("date", "max"),
            **{name: (name, "sum") for name in (*METRIC_FIELDS, "rows")},
        )
    )
    names = sorted(set(per_campaign["campaign"]))
    by_name: dict[str, list[Campaign]] = defaultdict(list)
    for start in range(0, len(names), 500):
        found = session.scalars(
            select(Campaign)
            .where(Campaign.company_id == actor.company_id, Campaign.name.in_(names[start : start + 500]))
            .options(selectinload(Campaign.platform_campaigns))
        )
        for campaign in found:
            by_name[campaign.name].append(campaign)
    external_ids = sorted({e for e in per_campaign["external_id"] if e})
    by_external: dict[tuple[str, str], PlatformCampaign] = {}
    for start in range(0, len(external_ids), 500):
        found = session.scalars(
            select(PlatformCampaign)
            .where(
                PlatformCampaign.company_id == actor.company_id,
                PlatformCampaign.external_id.in_(external_ids[start : start + 500]),
            )
            .options(selectinload(PlatformCampaign.campaign))
        )
        for placement in found:
            by_external[(placement.platform, placement.external_id)] = placement
    currency = next(iter(reading.currencies), None)
    match = _Match([], [], {}, {})
    for (platform, key), row in per_campaign.iterrows():
        label = f"{row['campaign']!r} on {Platform(platform).label}"
        placement = by_external.get((platform, row["external_id"])) if row["external_id"] else None
        campaign = placement.campaign if placement is not None else None
        if campaign is None:
            namesakes = by_name.get(row["campaign"], [])
            if len(namesakes) > 1:
                match.conflicts.append(
                    f"{len(namesakes)} campaigns are named {row['campaign']!r}; rename all but one"
                )
                continue
            campaign = namesakes[0] if namesakes else None
            if campaign is not None:
                placement = next((p for p in campaign.platform_campaigns if p.platform == platform), None)
        if placement is not None and placement.data_source != DataSource.IMPORT:
            match.conflicts.append(f"{label} gets its metrics from the platform's connector, not from files")
            continue
        if placement is None and campaign is not None and campaign.status == CampaignStatus.ARCHIVED:
            match.conflicts.append(f"{label} would be added to an archived campaign")
            continue
        recorded = placement.platform_metrics.get("currency") if placement is not None else None
        if recorded and currency and recorded != currency:
            match.conflicts.append(f"{label} was imported in {recorded} before; this file is in {currency}")
            continue
        if campaign is not None:
            match.campaigns[campaign.id] = campaign
        if placement is not None:
            match.placements[(platform, key)] = placement
        match.plans.append(
            CampaignPlan(
                platform=Platform(platform),
                name=row["campaign"],
                external_id=row["external_id"] or None,
                days=int(row["days"]),
                first_day=pd.Timestamp(row["first_day"]).date(),
                last_day=pd.Timestamp(row["last_day"]).date(),
                rows=int(row["rows"]),
                impressions=int(row["impressions"]),
                clicks=int(row["clicks"]),
                conversions=round(float(row["conversions"]), 4),
                spend=to_money(round(float(row["spend"]), 2)),
                revenue=to_money(round(float(row["revenue"]), 2)),
                campaign_id=campaign.id if campaign is not None else None,
                placement_id=placement.id if placement is not None else None,
            )
        )
    new_placements = Counter((p.name, p.platform) for p in match.plans if p.campaign_id is None)
    for (name, platform), count in sorted(new_placements.items()):
        if count > 1:
            match.conflicts.append(
                f"several {platform.label} campaigns with different ids are named {name!r}; rename them"
            )
    return match


def _preview(reading: _Reading, match: _Match) -> ImportPreview:
    layout, daily = reading.layout, reading.daily
    has_days = daily is not None and not daily.empty
    dates = daily.index.get_level_values("date") if has_days else None
    totals = {name: float(daily[name].sum()) if has_days else 0.0 for name in METRIC_FIELDS}
    for name in MONEY_FIELDS:
        totals[name] = round(totals[name], 2)
    good_rows = int(daily["rows"].sum()) if has_days else 0
    notes = list(reading.notes)
    if reading.skipped:
        notes.append(f"{reading.skipped} totals, summary or blank line(s) skipped")
    return ImportPreview(
        format=layout.format,
        encoding=layout.encoding,
        delimiter=DELIMITERS[layout.delimiter],
        date_format=reading.date_format,
        number_format=reading.style.example,
        header_line=layout.header_line,
        columns={name: layout.column_name(name) for name in FIELDS if name in layout.columns},
        level=layout.level,
        currency=next(iter(reading.currencies), None),
        rows=reading.rows,
        skipped_rows=reading.skipped,
        campaign_days=len(daily) if has_days else 0,
        summed_rows=good_rows - (len(daily) if has_days else 0),
        first_day=pd.Timestamp(dates.min()).date() if has_days else None,
        last_day=pd.Timestamp(dates.max()).date() if has_days else None,
        totals=totals,
        campaigns=match.plans,
        new_campaigns=sorted({p.name for p in match.plans if p.campaign_id is None}),
        notes=notes,
        errors=reading.problems.rows,
        error_count=reading.problems.count,
        conflicts=match.conflicts,
    )


# -- writing -----------------------------------------------------------------------------------


def _create_missing(
    session: Session, actor: Actor, reading: _Reading, match: _Match
) -> tuple[dict[tuple[str, str], int], int, int]:
    """Create the campaigns and placements the file names but the company lacks; their ids by key."""
    if not match.plans:
        return {}, 0, 0
    currency = next(iter(reading.currencies), None)
    keys = {(p.platform.value, _plan_key(p)): p for p in match.plans}
    days_by_name = reading.daily.reset_index().groupby("campaign")["date"].nunique()
    new_by_name: dict[str, list[CampaignPlan]] = defaultdict(list)
    placements_created = 0
    connectors = Connectors(session)
    for key, plan in keys.items():
        placement = match.placements.get(key)
        if placement is not None:
            if currency and not placement.platform_metrics.get("currency"):
                placement.platform_metrics = {**placement.platform_metrics, "currency": currency}
        elif plan.campaign_id is None:
            new_by_name[plan.name].append(plan)
        else:
            campaign = match.campaigns[plan.campaign_id]
            placement = PlatformCampaign(
                company_id=actor.company_id,
                platform=plan.platform.value,
                external_id=plan.external_id or f"c{campaign.id}-{plan.platform.value}",
                data_source=DataSource.IMPORT.value,
                allocated_budget=Decimal("0.00"),
                is_active=True,
                platform_metrics={"currency": currency} if currency else {},
            )
            campaign.platform_campaigns.append(placement)
            match.placements[key] = placement
            placements_created += 1
    for name, plans in sorted(new_by_name.items()):
        campaign = campaigns.create(
            session,
            actor,
            _new_campaign(name, plans, int(days_by_name[name]), reading.layout.format),
            connectors=connectors,
            data_source=DataSource.IMPORT,
        )
        for plan in plans:
            placement = next(p for p in campaign.platform_campaigns if p.platform == plan.platform.value)
            if plan.external_id:
                placement.external_id = plan.external_id
            if currency:
                placement.platform_metrics = {"currency": currency}
            match.placements[(plan.platform.value, _plan_key(plan))] = placement
            placements_created += 1
    session.flush()
    ids = {key: placement.id for key, placement in match.placements.items()}
    return ids, len(new_by_name), placements_created


def _plan_key(plan: CampaignPlan) -> str:
    return f"id:{plan.external_id}" if plan.external_id else f"name:{plan.name}"


def _new_campaign(name: str, plans: list[CampaignPlan], days: int, file_format: str) -> dict[str, Any]:
    """A campaign as the file shows it ran: its platforms, its average daily spend split by spend."""
    spend = sum((p.spend for p in plans), Decimal(0))
    daily_budget = to_money(spend / max(1, days))
    split = split_amount(daily_budget, [p.spend for p in plans])
    revenue = sum((p.revenue for p in plans), Decimal(0))
    return {
        "name": name,
        "description": f"Imported from a {FORMAT_LABELS[file_format]}.",
        "objective": Objective.SALES if revenue > 0 else Objective.CONVERSIONS,
        "total_budget": max(to_money(spend), daily_budget),
        "daily_budget": daily_budget,
        "start_date": min(p.first_day for p in plans),
        "platforms": [p.platform for p in plans],
        "budget_split": {p.platform: amount for p, amount in zip(plans, split, strict=True)},
        "status": CampaignStatus.ACTIVE,
    }


def _write_days(
    session: Session, actor: Actor, daily: pd.DataFrame | None, placement_ids: dict[tuple[str, str], int]
) -> int:
    if daily is None or daily.empty:
        return 0
    frame = daily.reset_index()
    frame["platform_campaign_id"] = [
        placement_ids[(p, k)] for p, k in zip(frame["platform"], frame["key"], strict=True)
    ]
    frame = frame[["platform_campaign_id", "date", *METRIC_FIELDS]]
    chunk = get_settings().import_chunk_rows
    for start in range(0, len(frame), chunk):
        upsert_daily(session, actor, frame.iloc[start : start + chunk], refresh=False)
    refresh_rollups(
        session,
        actor.company_id,
        placement_ids=sorted(set(placement_ids.values())),
        since=pd.to_datetime(frame["date"]).min().date(),
    )
    return len(frame)
