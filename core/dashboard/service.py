"""What the dashboard shows, for any door: each function takes (session, actor, ...) and only reads.

Sums happen in SQL (through `core.metrics.queries.rollup`); lists are paginated; every query is
scoped to the actor's company.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import pandas as pd
from pydantic import Field, computed_field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.campaigns import service as campaigns
from core.campaigns.schemas import CampaignFilters
from core.config import get_settings
from core.dashboard.pacing import BudgetPacing, PaceStatus, budget_pace
from core.listing import paginate
from core.metrics.definitions import BASE_COLUMNS, COST_RATIOS, add_ratios, ratio
from core.metrics.queries import rollup
from core.metrics.reporting import DateRange, MetricTotals, with_platform_labels
from core.schemas import MoneyValue, Page
from db.enums import AlertStatus, CampaignStatus, Platform, RecommendationStatus, Severity
from db.models import Alert, Campaign, PlatformCampaign, Recommendation

KPI_METRICS = ("spend", "revenue", "conversions", "cpa", "roas")
SEVERITY_ORDER = (Severity.HIGH, Severity.MEDIUM, Severity.LOW)
# Drafts have not started and finished campaigns have nothing left to pace.
PACED_STATUSES = frozenset({CampaignStatus.ACTIVE, CampaignStatus.PAUSED})


@dataclass(frozen=True, slots=True)
class Kpi:
    metric: str
    value: float | None
    previous: Annotated[float | None, Field(description="the same figure over the previous period")]

    @computed_field(description="relative change against the previous period")  # type: ignore[prop-decorator]
    @property
    def change(self) -> float | None:
        """Relative change against the previous period; None when there is nothing to compare."""
        if self.value is None or self.previous is None or self.previous == 0:
            return None
        return self.value / self.previous - 1

    @computed_field  # type: ignore[prop-decorator]
    @property
    def lower_is_better(self) -> bool:
        return self.metric in COST_RATIOS


@dataclass(frozen=True, slots=True)
class Summary:
    period: DateRange
    previous_period: DateRange
    kpis: dict[str, Kpi]
    totals: MetricTotals
    active_campaigns: int
    open_alerts: int
    pending_recommendations: int


@dataclass(frozen=True, slots=True)
class Overview:
    """The dashboard's figures from one aggregated read of the period and the one before it."""

    summary: Summary
    daily: pd.DataFrame  # date, base metrics, ratios
    daily_by_platform: pd.DataFrame  # date, platform, platform_label, base metrics, ratios
    platforms: pd.DataFrame  # platform, platform_label, base metrics, ratios, share_of_spend


@dataclass(frozen=True, slots=True)
class PlacementRow:
    id: int
    platform: str
    allocated_budget: Decimal  # daily
    is_active: bool
    performance_score: float | None


@dataclass(frozen=True, slots=True)
class CampaignRow:
    id: int
    name: str
    description: str
    status: str
    objective: str
    placements: tuple[PlacementRow, ...]  # every platform it has been on, running or not
    daily_budget: Decimal
    total_budget: Decimal
    spent_budget: Decimal
    start_date: date
    end_date: date | None
    target_cpa: Decimal | None
    target_roas: float | None
    performance_score: float | None
    autopilot: bool
    lifetime: MetricTotals
    period: MetricTotals | None  # in the requested date range, when one was given
    pacing: BudgetPacing | None

    @property
    def remaining_budget(self) -> Decimal:
        return self.total_budget - self.spent_budget

    @property
    def platforms(self) -> tuple[str, ...]:
        """The platforms it runs on now."""
        return tuple(p.platform for p in self.placements if p.is_active)


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    date: date
    severity: Severity
    metric: str
    observed: float | None
    expected: float | None
    message: str
    campaign_id: int
    campaign_name: str
    platform: Platform | None


@dataclass(frozen=True, slots=True)
class PacingRow:
    campaign_id: int
    campaign_name: str
    daily_budget: MoneyValue
    pacing: BudgetPacing


@dataclass(frozen=True, slots=True)
class PacingOverview:
    """Active campaigns with a flight end: how the company's spend keeps to plan."""

    spent: MoneyValue
    expected_spend: MoneyValue
    ratio: float | None
    counts: dict[PaceStatus, int]
    off_pace: list[PacingRow]  # the furthest from plan first


def summary(session: Session, actor: Actor, *, start: date, end: date) -> Summary:
    """KPI totals for [start, end] with the change against the previous period of equal length."""
    period = DateRange(start, end)
    previous = period.previous()
    # One pass over both periods' days: the sums are the costly part, the split is cheap.
    days = rollup(session, actor, by="day", start=previous.start, end=period.end)
    in_period = days["date"] >= period.start
    current_totals, previous_totals = (
        MetricTotals.of_frame(days[in_period]),
        MetricTotals.of_frame(days[~in_period]),
    )
    return _summary(session, actor, period, current_totals, previous_totals)


def overview(session: Session, actor: Actor, *, start: date, end: date) -> Overview:
    """KPIs, daily trend and per-platform performance for [start, end]."""
    period = DateRange(start, end)
    previous = period.previous()
    frame = rollup(session, actor, by=("day", "platform"), start=previous.start, end=period.end)
    in_period = frame["date"] >= period.start
    current, before = frame[in_period], frame[~in_period]
    by_platform = _by_platform(current)
    return Overview(
        summary=_summary(
            session, actor, period, MetricTotals.of_frame(current), MetricTotals.of_frame(before)
        ),
        daily=add_ratios(current.groupby("date", as_index=False)[list(BASE_COLUMNS)].sum()),
        daily_by_platform=with_platform_labels(current.reset_index(drop=True)),
        platforms=by_platform,
    )


def campaign_rows(
    session: Session,
    actor: Actor,
    filters: CampaignFilters | Mapping[str, Any] | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
) -> Page[CampaignRow]:
    """One page of campaigns (filtered and sorted as `campaigns.get_all`), with their score,
    lifetime totals, budget pacing, and their totals in [start, end] when a range is given."""
    page = campaigns.get_all(session, actor, filters)
    return Page(_rows(session, actor, page.items, start, end, as_of), page.total, page.page, page.page_size)


def campaign_row(
    session: Session,
    actor: Actor,
    campaign_id: int,
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
) -> CampaignRow:
    """One campaign as a row of `campaign_rows`; NotFound for another company's."""
    return _rows(session, actor, [campaigns.get(session, actor, campaign_id)], start, end, as_of)[0]


def open_alerts(session: Session, actor: Actor, *, page: int = 1, page_size: int = 10) -> Page[AlertRow]:
    """Open alerts, the most severe and most recent first."""
    severity_rank = case(
        {s.value: rank for rank, s in enumerate(SEVERITY_ORDER)}, value=Alert.severity, else_=9
    )
    query = (
        select(Alert, Campaign.name, PlatformCampaign.platform)
        .join(Campaign, Campaign.id == Alert.campaign_id)
        .outerjoin(PlatformCampaign, PlatformCampaign.id == Alert.platform_campaign_id)
        .where(Alert.company_id == actor.company_id, Alert.status == AlertStatus.OPEN)
    )
    order = (severity_rank, Alert.date.desc(), Alert.id.desc())
    found = paginate(session, query, order, page, page_size, rows=True)
    items = [
        AlertRow(
            id=alert.id,
            date=alert.date,
            severity=Severity(alert.severity),
            metric=alert.metric,
            observed=alert.observed,
            expected=alert.expected,
            message=alert.message,
            campaign_id=alert.campaign_id,
            campaign_name=campaign_name,
            platform=None if platform is None else Platform(platform),
        )
        for alert, campaign_name, platform in found.items
    ]
    return replace(found, items=items)


def budget_pacing(
    session: Session, actor: Actor, *, as_of: date | None = None, limit: int = 8
) -> PacingOverview:
    """Pacing of every active campaign with an end date, and the ones furthest off plan."""
    as_of = as_of or date.today()
    tolerance = get_settings().pacing_tolerance
    rows = session.execute(
        select(
            Campaign.id,
            Campaign.name,
            Campaign.daily_budget,
            Campaign.total_budget,
            Campaign.spent_budget,
            Campaign.start_date,
            Campaign.end_date,
        ).where(
            Campaign.company_id == actor.company_id,
            Campaign.status == CampaignStatus.ACTIVE,
            Campaign.end_date.is_not(None),
        )
    ).all()
    paced = []
    for campaign_id, name, daily, total, spent, start, end in rows:
        pacing = budget_pace(
            total_budget=total, spent=spent, start=start, end=end, as_of=as_of, tolerance=tolerance
        )
        if pacing is not None:
            paced.append(PacingRow(campaign_id, name, daily, pacing))
    counts = {status: 0 for status in PaceStatus}
    for row in paced:
        counts[row.pacing.status] += 1
    spent = sum((r.pacing.spent for r in paced), Decimal("0.00"))
    expected = sum((r.pacing.expected_spend for r in paced), Decimal("0.00"))
    off_pace = sorted(
        (r for r in paced if r.pacing.status in (PaceStatus.OVERSPENDING, PaceStatus.UNDERSPENDING)),
        key=lambda r: (-abs((r.pacing.ratio or 1.0) - 1.0), r.campaign_name),
    )
    return PacingOverview(spent, expected, ratio(spent, expected), counts, off_pace[: max(limit, 0)])


def _rows(
    session: Session,
    actor: Actor,
    items: list[Campaign],
    start: date | None,
    end: date | None,
    as_of: date | None,
) -> list[CampaignRow]:
    as_of = as_of or date.today()
    with_period = start is not None and end is not None
    in_period: dict[int, MetricTotals] = {}
    if with_period and items:
        period = DateRange(start, end)
        frame = rollup(
            session,
            actor,
            by="campaign",
            start=period.start,
            end=period.end,
            campaign_ids=[c.id for c in items],
        )
        in_period = {int(row["campaign_id"]): MetricTotals.from_sums(row) for row in frame.to_dict("records")}
    tolerance = get_settings().pacing_tolerance
    return [
        _campaign_row(c, in_period.get(c.id, MetricTotals()) if with_period else None, as_of, tolerance)
        for c in items
    ]


def _summary(
    session: Session, actor: Actor, period: DateRange, current: MetricTotals, previous: MetricTotals
) -> Summary:
    counts = session.execute(
        select(
            select(func.count())
            .select_from(Campaign)
            .where(Campaign.company_id == actor.company_id, Campaign.status == CampaignStatus.ACTIVE)
            .scalar_subquery(),
            select(func.count())
            .select_from(Alert)
            .where(Alert.company_id == actor.company_id, Alert.status == AlertStatus.OPEN)
            .scalar_subquery(),
            select(func.count())
            .select_from(Recommendation)
            .where(
                Recommendation.company_id == actor.company_id,
                Recommendation.status == RecommendationStatus.PENDING,
            )
            .scalar_subquery(),
        )
    ).one()
    return Summary(
        period=period,
        previous_period=period.previous(),
        kpis={m: Kpi(m, current.get(m), previous.get(m)) for m in KPI_METRICS},
        totals=current,
        active_campaigns=counts[0],
        open_alerts=counts[1],
        pending_recommendations=counts[2],
    )


def _by_platform(frame: pd.DataFrame) -> pd.DataFrame:
    platforms = add_ratios(frame.groupby("platform", as_index=False)[list(BASE_COLUMNS)].sum())
    total_spend = platforms["spend"].sum()
    platforms["share_of_spend"] = platforms["spend"] / total_spend if total_spend > 0 else float("nan")
    return with_platform_labels(platforms.sort_values("spend", ascending=False, ignore_index=True))


def _campaign_row(
    campaign: Campaign, period: MetricTotals | None, as_of: date, tolerance: float
) -> CampaignRow:
    lifetime = MetricTotals.from_sums(
        {
            "impressions": campaign.impressions,
            "clicks": campaign.clicks,
            "conversions": campaign.conversions,
            "spend": campaign.spent_budget,
            "revenue": campaign.revenue,
        }
    )
    return CampaignRow(
        id=campaign.id,
        name=campaign.name,
        description=campaign.description,
        status=campaign.status,
        objective=campaign.objective,
        placements=tuple(
            PlacementRow(p.id, p.platform, p.allocated_budget, p.is_active, p.performance_score)
            for p in campaign.platform_campaigns
        ),
        daily_budget=campaign.daily_budget,
        total_budget=campaign.total_budget,
        spent_budget=campaign.spent_budget,
        start_date=campaign.start_date,
        end_date=campaign.end_date,
        target_cpa=campaign.target_cpa,
        target_roas=campaign.target_roas,
        performance_score=campaign.performance_score,
        autopilot=campaign.autopilot,
        lifetime=lifetime,
        period=period,
        pacing=budget_pace(
            total_budget=campaign.total_budget,
            spent=campaign.spent_budget,
            start=campaign.start_date,
            end=campaign.end_date,
            as_of=as_of,
            tolerance=tolerance,
        )
        if campaign.status in PACED_STATUSES
        else None,
    )
