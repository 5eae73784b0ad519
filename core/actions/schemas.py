"""How an action of the history is shown, and the filters of the history."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.schemas import PageNumber, PageSize, Text, UTCTimestamp


class ActionQuery(BaseModel):
    """The history's filters as a caller sends them (see core.actions.service.ActionFilters)."""

    model_config = ConfigDict(extra="forbid")

    campaign_id: int | None = Field(default=None, ge=1)
    action: Text | None = Field(default=None, max_length=32)
    success: bool | None = None
    performed_by: Text | None = Field(default=None, max_length=64)
    since: UTCTimestamp | None = None
    until: UTCTimestamp | None = None
    page: PageNumber = 1
    page_size: PageSize = 50


class MeasuredImpact(BaseModel):
    """What an applied recommendation measurably did over its window, each effect with an 80% interval.

    Effects are in the campaign's objective (conversions, or revenue in money): against the
    placements' own pre-action forecast, and against comparable unchanged placements
    (difference-in-differences; null when there were none). `hit` says whether it did what it promised.
    """

    model_config = ConfigDict(from_attributes=True)

    metric: str
    window_start: date
    window_days: int
    expected_effect: float | None
    forecast_effect: float
    forecast_low: float
    forecast_high: float
    did_effect: float | None
    did_low: float | None
    did_high: float | None
    controls: int
    hit: bool
    measured_at: datetime


class ActionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int | None
    platform_campaign_id: int | None
    recommendation_id: int | None
    action: str
    reason: str
    before_state: dict[str, Any]
    after_state: dict[str, Any]
    confidence_score: float | None
    success: bool
    error_message: str | None
    performed_at: datetime
    performed_by: str
    user_id: int | None
    undo_of_id: int | None = Field(description="the action this one undid, for an undo")
    undone_at: datetime | None
    impact: MeasuredImpact | None = Field(
        default=None, description="once its measurement window has passed: what the action measurably did"
    )
