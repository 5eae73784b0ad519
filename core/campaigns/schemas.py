"""What a caller may send to create or change a campaign, and the rules it must keep."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from core.errors import ValidationError
from core.schemas import (
    MoneyAmount,
    MoneyValue,
    Name,
    NonNegativeFloat,
    PageNumber,
    PageSize,
    Text,
)
from db.enums import CampaignStatus, Objective, Platform

SORTABLE_FIELDS = (
    "name",
    "status",
    "objective",
    "created_at",
    "start_date",
    "end_date",
    "total_budget",
    "spent_budget",
    "daily_budget",
    "performance_score",
    "conversions",
    "revenue",
    "cpa",
    "roas",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CampaignCreate(_Strict):
    name: Name
    description: Text = Field(default="", max_length=5000)
    objective: Objective = Objective.CONVERSIONS
    total_budget: MoneyAmount
    daily_budget: MoneyAmount
    start_date: date
    end_date: date | None = None
    platforms: list[Platform] = Field(default_factory=list)
    # Daily budget per platform; when left out, the daily budget is split evenly.
    budget_split: dict[Platform, MoneyAmount] | None = None
    target_cpa: MoneyAmount | None = None
    target_roas: NonNegativeFloat | None = None
    target_audience: dict[str, Any] = Field(default_factory=dict)
    autopilot: bool = False
    status: Literal[CampaignStatus.DRAFT, CampaignStatus.ACTIVE] = CampaignStatus.DRAFT

    @field_validator("platforms")
    @classmethod
    def _unique_platforms(cls, platforms: list[Platform]) -> list[Platform]:
        if len(set(platforms)) != len(platforms):
            raise ValueError("each platform may be chosen once")
        return platforms

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_budget_and_dates(self.total_budget, self.daily_budget, self.start_date, self.end_date)
        if self.budget_split is not None:
            check_split(self.budget_split, self.platforms, self.daily_budget)
        if self.status == CampaignStatus.ACTIVE and not self.platforms:
            raise ValidationError({"platforms": "choose at least one platform to run the campaign on"})
        return self


class CampaignUpdate(_Strict):
    """A partial change: only the fields sent are touched."""

    name: Name | None = None
    description: Text | None = Field(default=None, max_length=5000)
    objective: Objective | None = None
    total_budget: MoneyAmount | None = None
    daily_budget: MoneyAmount | None = None
    start_date: date | None = None
    end_date: date | None = None
    target_cpa: MoneyAmount | None = None
    target_roas: NonNegativeFloat | None = None
    target_audience: dict[str, Any] | None = None
    autopilot: bool | None = None

    @model_validator(mode="after")
    def _no_null_for_required(self) -> Self:
        # Leaving a field out keeps it; only the optional ones may be cleared by sending null.
        nulls = {
            field: "must not be null"
            for field in self.model_fields_set - {"end_date", "target_cpa", "target_roas"}
            if getattr(self, field) is None
        }
        if nulls:
            raise ValidationError(nulls)
        return self


class PlatformSplit(_Strict):
    """The platforms a campaign runs on and the daily budget of each (summing to the daily budget)."""

    budget_split: dict[Platform, MoneyAmount]


class StatusChange(_Strict):
    status: CampaignStatus


class CampaignFilters(_Strict):
    status: list[CampaignStatus] | None = None
    objective: Objective | None = None
    platform: Platform | None = None
    search: Text | None = Field(default=None, max_length=200)
    include_archived: bool = False
    sort: Literal[SORTABLE_FIELDS] = "created_at"  # type: ignore[valid-type]
    descending: bool = True
    page: PageNumber = 1
    page_size: PageSize = 25


class MetricsQuery(_Strict):
    """Which days of a campaign's metrics to read, and per day or per week (weeks start on Monday)."""

    start: date | None = None
    end: date | None = None
    granularity: Literal["day", "week"] = "day"

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValidationError({"end": "must be on or after the start date"})
        return self


class PlacementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    platform: Platform
    external_id: str
    data_source: str
    allocated_budget: MoneyValue = Field(description="daily budget on this platform")
    spent_budget: MoneyValue
    is_active: bool
    performance_score: float | None
    last_synced: datetime | None


class CampaignPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    objective: Objective
    status: CampaignStatus
    total_budget: MoneyValue
    spent_budget: MoneyValue
    remaining_budget: MoneyValue
    daily_budget: MoneyValue
    target_cpa: MoneyValue | None
    target_roas: float | None
    start_date: date
    end_date: date | None
    target_audience: dict[str, Any]
    autopilot: bool
    performance_score: float | None
    impressions: int
    clicks: int
    conversions: float
    revenue: MoneyValue
    ctr: float | None
    cpc: float | None
    cpa: float | None
    roas: float | None
    last_optimization: datetime | None
    created_at: datetime
    updated_at: datetime
    placements: list[PlacementPublic] = Field(
        validation_alias=AliasChoices("placements", "platform_campaigns"),
        description="the campaign on each platform it runs on, by platform",
    )

    @field_validator("placements")
    @classmethod
    def _by_platform(cls, placements: list[PlacementPublic]) -> list[PlacementPublic]:
        # The same order however the campaign was loaded (a new one lists them as they were added).
        return sorted(placements, key=lambda p: p.platform.value)


class CampaignTotals(BaseModel):
    """Summed metrics and their ratios (null where a ratio is undefined)."""

    impressions: int
    clicks: int
    conversions: float
    spend: Decimal
    revenue: Decimal
    ctr: float | None
    cpc: float | None
    cvr: float | None
    cpa: float | None
    roas: float | None


class MetricPoint(CampaignTotals):
    period: date = Field(description="the day, or the Monday starting the week")


class CampaignMetrics(BaseModel):
    campaign_id: int
    granularity: Literal["day", "week"]
    start: date | None
    end: date | None
    totals: CampaignTotals
    points: list[MetricPoint]


def check_budget_and_dates(total: Decimal, daily: Decimal, start: date, end: date | None) -> None:
    if daily > total:
        raise ValidationError({"daily_budget": f"must not exceed the total budget ({total})"})
    if end is not None and end < start:
        raise ValidationError({"end_date": "must be on or after the start date"})


def check_split(split: dict[Platform, Decimal], platforms: list[Platform] | None, daily: Decimal) -> None:
    if platforms is not None and set(split) != set(platforms):
        raise ValidationError(
            {"budget_split": "must give an amount for each chosen platform, and only those"}
        )
    if sum(split.values(), Decimal(0)) != daily:
        raise ValidationError(
            {
                "budget_split": f"platform budgets add up to {sum(split.values(), Decimal(0))}, "
                f"not to the daily budget {daily}"
            }
        )
