"""Shapes the API answers with that the core does not define: errors, pages, the version, queries, and
the compositions some routes answer with. Where the core has a shape (a summary, a pacing, a
decision), the API answers with it as it is."""

import dataclasses
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.dataclasses import dataclass

from api.deps import MAX_ID
from core.dashboard.pacing import BudgetPacing
from core.dashboard.service import AlertRow, Kpi, PacingOverview, Summary
from core.errors import ValidationError
from core.metrics.reporting import DateRange, MetricTotals
from core.optimizer.forecasting import ForecastPacing
from core.optimizer.service import RunSummary
from core.schemas import MAX_PAGE_SIZE, Page, PageNumber, PageSize, no_nul
from db.enums import AlertStatus, CampaignStatus, Platform, RecommendationStatus, Severity

ItemT = TypeVar("ItemT")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class PageOf(BaseModel, Generic[ItemT]):
    """One page of a list: the items, how many there are in all, and which page this is."""

    model_config = ConfigDict(from_attributes=True)

    items: list[ItemT]
    total: int
    page: int
    page_size: int

    @classmethod
    def of(cls, page: Page[Any]) -> Self:
        return cls.model_validate(page, from_attributes=True)


class Version(BaseModel):
    name: str
    version: str
    api: str


ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422, 429, 500)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in ERROR_STATUSES
}


# --- shared by the read routes ---------------------------------------------------------------------

# Dates a report may ask about: wide enough for any real account, narrow enough that a period and
# the one before it stay within the calendar.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)
MAX_PERIOD_DAYS = 3660
DEFAULT_PERIOD_DAYS = 30
IdValue = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[date, Field(ge=EARLIEST_DAY, le=LATEST_DAY)]


def frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame's rows as dicts, with NaN (an undefined ratio) as None, which JSON can carry."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


class PeriodQuery(BaseModel):
    """Whole days from `start` to `end`; by default the 30 complete days before today."""

    model_config = ConfigDict(extra="forbid")

    start: Day | None = None
    end: Day | None = None

    def resolve(self, today: date) -> DateRange:
        end = self.end or max(today - timedelta(days=1), self.start or EARLIEST_DAY)
        start = self.start or max(end - timedelta(days=DEFAULT_PERIOD_DAYS - 1), EARLIEST_DAY)
        period = DateRange(start, end)
        if period.days > MAX_PERIOD_DAYS:
            raise ValidationError({"start": f"a period is at most {MAX_PERIOD_DAYS} days"})
        return period


class IdSelection(BaseModel):
    """The rows an action applies to: one id or many."""

    model_config = ConfigDict(extra="forbid")

    ids: list[IdValue] = Field(min_length=1, max_length=MAX_PAGE_SIZE)


# --- dashboard -------------------------------------------------------------------------------------


class DashboardSummary(BaseModel):
    """KPI tiles for the period, each with its change against the period of equal length before."""

    period: DateRange
    previous_period: DateRange
    kpis: list[Kpi]
    totals: MetricTotals
    active_campaigns: int
    open_alerts: int
    pending_recommendations: int

    @classmethod
    def of(cls, summary: Summary) -> Self:
        """The core's summary, its KPIs as a list in the order the dashboard shows them."""
        fields = {f.name: getattr(summary, f.name) for f in dataclasses.fields(summary)}
        return cls.model_validate({**fields, "kpis": list(summary.kpis.values())})


# Rows of the core's report frames: the totals of one day, platform or placement, and what names it.
@dataclass(frozen=True, kw_only=True)
class DailyPoint(MetricTotals):
    date: date


@dataclass(frozen=True, kw_only=True)
class PlatformDailyPoint(DailyPoint):
    platform: Platform
    platform_label: str


@dataclass(frozen=True, kw_only=True)
class PlatformPerformance(MetricTotals):
    platform: Platform
    platform_label: str
    share_of_spend: float | None


class Dashboard(BaseModel):
    summary: DashboardSummary
    trend: list[DailyPoint]
    trend_by_platform: list[PlatformDailyPoint]
    platforms: list[PlatformPerformance]
    open_alerts: PageOf[AlertRow]
    pacing: PacingOverview


# --- campaigns: analytics and optimization -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PlacementPerformance(MetricTotals):
    platform_campaign_id: int
    platform: Platform
    platform_label: str
    is_active: bool
    allocated_budget: Annotated[float, Field(description="daily budget on this platform")]
    share_of_spend: float | None


class CampaignReport(BaseModel):
    """One campaign over a period: its totals, each placement's share, and each day per platform."""

    campaign_id: int
    campaign_name: str
    status: CampaignStatus
    period: DateRange
    totals: MetricTotals
    lifetime: MetricTotals
    pacing: BudgetPacing | None
    placements: list[PlacementPerformance]
    daily: list[PlatformDailyPoint]

    @classmethod
    def of(cls, drilldown: Any, period: DateRange) -> Self:
        row = drilldown.campaign
        return cls.model_validate(
            {
                "campaign_id": row.id,
                "campaign_name": row.name,
                "status": row.status,
                "period": period,
                "totals": drilldown.totals,
                "lifetime": row.lifetime,
                "pacing": row.pacing,
                "placements": frame_rows(drilldown.placements),
                "daily": frame_rows(drilldown.daily),
            },
            from_attributes=True,
        )


class ForecastDay(BaseModel):
    date: date
    spend: float
    spend_low: float
    spend_high: float
    conversions: float
    conversions_low: float
    conversions_high: float
    revenue: float
    revenue_low: float
    revenue_high: float


class CampaignAnalytics(BaseModel):
    report: CampaignReport
    forecast: list[ForecastDay] = Field(description="the next days, with 80% intervals")
    forecast_pacing: ForecastPacing


class AnalyticsQuery(PeriodQuery):
    forecast_days: int = Field(default=14, ge=1, le=90)


class RecommendationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    platform_campaign_id: int | None
    action: str
    params: dict[str, Any] = Field(description="the state it would set (after) and the one it saw (before)")
    reason: str
    confidence: float
    expected_impact: dict[str, Any]
    status: RecommendationStatus
    created_at: datetime
    expires_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None


class OptimizationRun(BaseModel):
    summary: RunSummary
    recommendations: list[RecommendationPublic] = Field(
        description="what is now advised for the campaign (new and kept), most confident first"
    )


# --- recommendations and alerts ----------------------------------------------------------------------


class RecommendationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: list[RecommendationStatus] = Field(default=[RecommendationStatus.PENDING])
    type: Annotated[str, AfterValidator(no_nul)] | None = Field(
        default=None, max_length=32, description="the action, e.g. change_budget or pause_placement"
    )
    campaign_id: IdValue | None = None
    page: PageNumber = 1
    page_size: PageSize = 50


class AlertQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: list[AlertStatus] = Field(default=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED])
    severity: Severity | None = None
    campaign_id: IdValue | None = None
    since: Day | None = None
    page: PageNumber = 1
    page_size: PageSize = 50


class AlertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    platform_campaign_id: int | None
    date: date
    severity: Severity
    metric: str
    observed: float | None
    expected: float | None
    anomaly_score: float
    message: str
    status: AlertStatus
    created_at: datetime
    resolved_at: datetime | None


# --- reports and imports -----------------------------------------------------------------------------


class PerformanceQuery(PeriodQuery):
    by: Literal["platform", "campaign"] = "platform"


@dataclass(frozen=True, kw_only=True)
class PerformanceRow(MetricTotals):
    platform: Platform | None = None
    platform_label: str | None = None
    campaign_id: int | None = None
    campaign_name: str | None = None
    share_of_spend: float | None = None
    profit: Annotated[float | None, Field(description="revenue − spend (per campaign)")] = None
    roi: Annotated[float | None, Field(description="ROAS − 1 (per campaign)")] = None
    cpa_index: Annotated[float | None, Field(description="CPA against the blended CPA (per platform)")] = None
    roas_index: Annotated[float | None, Field(description="ROAS against the blended ROAS (per platform)")] = (
        None
    )


class PerformanceReport(BaseModel):
    period: DateRange
    by: Literal["platform", "campaign"]
    totals: MetricTotals
    rows: list[PerformanceRow]


ExportedReport = Literal["daily", "campaigns", "platforms", "placements", "daily_by_placement"]


class ExportQuery(PeriodQuery):
    report: ExportedReport = "campaigns"


class ImportSummary(BaseModel):
    """What a CSV import did (or, for a dry run, would do)."""

    dry_run: bool
    format: str
    rows: int
    skipped_rows: int
    campaign_days: int
    first_day: date | None
    last_day: date | None
    campaigns: int = Field(description="campaigns (per platform) the file holds")
    new_campaigns: list[str] = Field(description="campaigns that are (or would be) created")
    campaigns_created: int
    placements_created: int
    days_written: int
    totals: dict[str, float]
    notes: list[str]
