"""What a caller may send to create or change a campaign, and the rules it must keep."""

from datetime import date
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.errors import ValidationError
from core.schemas import MAX_PAGE_SIZE, MoneyAmount, Name, NonNegativeFloat
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
    description: str = Field(default="", max_length=5000)
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
    description: str | None = Field(default=None, max_length=5000)
    objective: Objective | None = None
    total_budget: MoneyAmount | None = None
    daily_budget: MoneyAmount | None = None
    start_date: date | None = None
    end_date: date | None = None
    target_cpa: MoneyAmount | None = None
    target_roas: NonNegativeFloat | None = None
    target_audience: dict[str, Any] | None = None
    autopilot: bool | None = None


class PlatformSplit(_Strict):
    """The platforms a campaign runs on and the daily budget of each (summing to the daily budget)."""

    budget_split: dict[Platform, MoneyAmount]


class CampaignFilters(_Strict):
    status: list[CampaignStatus] | None = None
    objective: Objective | None = None
    platform: Platform | None = None
    search: str | None = Field(default=None, max_length=200)
    include_archived: bool = False
    sort: Literal[SORTABLE_FIELDS] = "created_at"  # type: ignore[valid-type]
    descending: bool = True
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=25, ge=1, le=MAX_PAGE_SIZE)


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
