"""What the planner is asked (requests) and what it answers (plans, what-ifs, frontiers, backtests).

Money in requests and plans is Decimal; daily budgets are what a platform is set to, weekly
budgets are seven of those. Outcomes are floats with a P10/P50/P90 band and the expected value.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Objective = Literal["conversions", "revenue"]
Strategy = Literal["keep", "allocator", "rules"]
MAX_WEEKS = 13
MAX_AMOUNT = Decimal("1000000000")  # $1bn: above any real budget, below what breaks cent arithmetic
Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Multiple = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
CampaignId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlacementBound(_Request):
    """Limits on one placement's daily budget: absolute amounts, or multiples of its last 28 days'
    mean daily spend (both may be given; the tighter one holds)."""

    placement_id: int
    min_budget: Amount | None = None
    max_budget: Amount | None = None
    min_multiple: Multiple | None = None
    max_multiple: Multiple | None = None


class PlanRequest(_Request):
    """A forward plan for the company (or one campaign) over `weeks` weeks and `total_budget`."""

    weeks: int = 4
    total_budget: Decimal
    campaign_id: CampaignId | None = None
    objective: Objective | None = None  # default: revenue when every placement sells, else conversions
    locks: list[int] = Field(default_factory=list, description="placements held at their current budget")
    bounds: list[PlacementBound] = Field(default_factory=list)
    max_weekly_change: float | None = Field(
        default=None, description="cap on each placement's change from one week to the next (0.2 = ±20%)"
    )
    target_cpa: Decimal | None = None
    target_roas: float | None = None
    today: date | None = None  # the plan starts today, on history up to yesterday

    @field_validator("weeks")
    @classmethod
    def _weeks_in_range(cls, value: int) -> int:
        if not 1 <= value <= MAX_WEEKS:
            raise ValueError(f"must be between 1 and {MAX_WEEKS} weeks")
        return value

    @field_validator("total_budget")
    @classmethod
    def _budget_not_negative(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value < 0:
            raise ValueError("must be a finite amount of at least $0.00")
        if value > MAX_AMOUNT:
            raise ValueError(f"must be at most ${MAX_AMOUNT:,}")
        return value

    @field_validator("max_weekly_change")
    @classmethod
    def _cap_is_a_share(cls, value: float | None) -> float | None:
        if value is not None and not 0 < value <= 1:
            raise ValueError("must be a share above 0 and at most 1 (0.2 means ±20% a week)")
        return value

    @field_validator("target_cpa")
    @classmethod
    def _cpa_positive(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and (not value.is_finite() or not 0 < value <= MAX_AMOUNT):
            raise ValueError("must be an amount above $0.00")
        return value

    @field_validator("target_roas")
    @classmethod
    def _roas_positive(cls, value: float | None) -> float | None:
        if value is not None and not 0 < value <= 1e6:
            raise ValueError("must be above 0 (2.5 means $2.50 of revenue per $1 spent)")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> "PlanRequest":
        if self.target_cpa is not None and self.target_roas is not None:
            raise ValueError("give a target CPA or a target ROAS, not both")
        return self


class WhatIfRequest(_Request):
    """A budget to try: daily `budgets` per placement (the rest keep their current budget), or
    `placement_id` and `amount` ("spend $X a day on this placement, keep the rest")."""

    weeks: int = 4
    campaign_id: CampaignId | None = None
    budgets: dict[int, Amount] = Field(default_factory=dict)
    placement_id: int | None = None
    amount: Amount | None = None
    objective: Objective | None = None
    today: date | None = None

    @field_validator("weeks")
    @classmethod
    def _weeks_in_range(cls, value: int) -> int:
        return PlanRequest._weeks_in_range(value)

    @model_validator(mode="after")
    def _amount_with_placement(self) -> "WhatIfRequest":
        if (self.placement_id is None) != (self.amount is None):
            raise ValueError("give placement_id and amount together")
        return self


class BacktestRequest(_Request):
    """Replay `strategy` over the `weeks` weeks before `today`, one decision a week."""

    strategy: Strategy = "keep"
    weeks: int = 8
    campaign_id: CampaignId | None = None
    objective: Objective | None = None
    max_change: float | None = Field(default=None, description="allocator guardrail; default the settings'")
    today: date | None = None

    @field_validator("weeks")
    @classmethod
    def _weeks_in_range(cls, value: int) -> int:
        if not 1 <= value <= 26:
            raise ValueError("must be between 1 and 26 weeks")
        return value

    @field_validator("max_change")
    @classmethod
    def _cap_is_a_share(cls, value: float | None) -> float | None:
        return PlanRequest._cap_is_a_share(value)


# --- answers -------------------------------------------------------------------------------------


class Band(BaseModel):
    expected: float
    p10: float
    p50: float
    p90: float


class PlanCell(BaseModel):
    """One placement in one week of a plan."""

    placement_id: int
    week: int  # 1-based
    week_start: date
    budget: Decimal  # for the week
    daily_budget: Decimal  # what the platform is set to (budget / 7, rounded)
    conversions: Band
    revenue: Band


class WeekTotal(BaseModel):
    week: int
    week_start: date
    budget: Decimal
    conversions: Band
    revenue: Band


class CurvePoint(BaseModel):
    daily_spend: float
    expected: float  # daily outcome on the plan's objective
    p10: float
    p90: float


class PlacementExplanation(BaseModel):
    """Why a placement gets what it gets: its curve, where it sits on it, the data behind it."""

    placement_id: int
    campaign_id: int
    platform: str
    current_budget: float  # daily
    run_rate_28d: float  # mean daily spend over the last 28 days
    planned_daily: float  # mean daily budget over the plan
    planned_daily_max: float
    locked: bool
    min_budget: float  # the daily bounds that applied
    max_budget: float | None
    marginal_now: float  # objective per extra dollar at the run rate
    marginal_planned: float  # … at the planned budget
    days_of_data: int
    spend_seen_low: float
    spend_seen_high: float
    extrapolates: bool
    warning: str | None
    curve: list[CurvePoint]


class TargetResult(BaseModel):
    metric: Literal["cpa", "roas"]
    target: float
    met: bool
    achieved: float | None  # the plan's expected CPA or ROAS
    message: str


class Plan(BaseModel):
    weeks: int
    campaign_id: int | None
    objective: Objective
    first_day: date
    total_budget: Decimal
    planned_spend: Decimal  # the parts add up to this, to the cent
    unallocated: Decimal  # total_budget - planned_spend
    conversions: Band  # over the whole plan
    revenue: Band
    week_totals: list[WeekTotal]
    cells: list[PlanCell]
    placements: list[PlacementExplanation]
    target: TargetResult | None = None
    notes: list[str] = Field(default_factory=list)


class Scenario(BaseModel):
    """A daily budget per placement held for the horizon, and what it is expected to bring."""

    name: str
    daily_budgets: dict[int, Decimal]
    daily_total: Decimal
    spend: Decimal  # over the horizon
    conversions: Band
    revenue: Band
    cpa: float | None  # expected
    roas: float | None


class WhatIf(BaseModel):
    weeks: int
    first_day: date
    platforms: dict[int, str]  # placement id -> platform
    campaigns: dict[int, int]  # placement id -> campaign id
    what_if: Scenario
    current: Scenario  # the last 28 days' run rate
    optimal: Scenario  # the best split of the what-if's daily total
    notes: list[str] = Field(default_factory=list)


class FrontierPoint(BaseModel):
    daily_total: float
    objective: Band  # per week, on the frontier's objective
    marginal_cpa: float | None  # $ per extra conversion around this point
    marginal_roas: float | None  # revenue per extra $ around this point


class Frontier(BaseModel):
    objective: Objective
    current_daily_total: float
    points: list[FrontierPoint]


class BacktestWeek(BaseModel):
    decision_day: date
    actual_spend: float
    strategy_spend: float
    actual_outcome: float  # what happened (settled days)
    predicted_actual: Band  # the model's outcome for the spend that happened
    predicted_strategy: Band  # … for the strategy's budgets
    difference: Band  # strategy minus actual, both as the model sees them
    changes: list[str]


class Backtest(BaseModel):
    strategy: Strategy
    objective: Objective
    weeks: list[BacktestWeek]
    actual_spend: float
    strategy_spend: float
    actual_outcome: float
    predicted_actual: Band
    difference: Band
    caveat: str
