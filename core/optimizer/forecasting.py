"""Forecasts and pacing of one campaign: the next days of spend, conversions and revenue with their
80% intervals, and whether the total budget runs out early or is left unspent."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field
from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import ValidationError
from core.listing import owned_one
from core.metrics import queries
from core.metrics.definitions import BASE_COLUMNS, LATE_METRICS
from core.money import to_money
from core.optimizer.settings import settings_for
from core.optimizer.trends import forecast_series
from core.schemas import MoneyValue
from db.enums import CampaignStatus
from db.models import Campaign


@dataclass(frozen=True)
class ForecastPacing:
    status: Literal["overspend", "underspend", "on_track", "open_ended"]
    amount: Annotated[MoneyValue, Field(description="over or under the total budget at the end date")]
    date: Annotated[date | None, Field(description="when the budget runs out (overspend), else the end date")]
    message: str


# Fewer days of spend than this and the weekday pattern and level are guesses: no forecast is shown.
MIN_FORECAST_HISTORY_DAYS = 14

_FORECAST_HISTORY_SHOWN = 28


@dataclass(frozen=True)
class CampaignForecast:
    campaign_id: int
    frame: pd.DataFrame  # date, spend, spend_low, spend_high, conversions, …, revenue, …
    pacing: ForecastPacing
    history_days: int = 0  # days with spend in the 8 weeks the forecast learns from
    # The last four weeks as recorded (date, spend, conversions, revenue), to draw beside the forecast.
    history: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def enough_history(self) -> bool:
        return self.history_days >= MIN_FORECAST_HISTORY_DAYS


def forecast_campaign(
    session: Session, actor: Actor, campaign_id: int, days: int = 14, *, today: date | None = None
) -> CampaignForecast:
    """The next `days` of spend, conversions and revenue (with 80% intervals) and a pacing verdict."""
    if not 1 <= days <= 90:
        raise ValidationError({"days": "must be between 1 and 90"})
    today = today or date.today()
    campaign = owned_one(session, actor, Campaign, campaign_id, "campaign")
    settings = settings_for(session, actor)
    last_day = today - timedelta(days=1)
    history = queries.daily_by_placement(
        session, actor, start=last_day - timedelta(days=55), end=last_day, campaign_ids=[campaign_id]
    )
    calendar = pd.date_range(last_day - timedelta(days=55), last_day).date
    daily = history.groupby("date")[list(BASE_COLUMNS)].sum().reindex(calendar)
    recorded = daily[["spend", "conversions", "revenue"]].iloc[-_FORECAST_HISTORY_SHOWN:].fillna(0.0)
    recorded = recorded.rename_axis("date").reset_index()
    history_days = int((daily["spend"].fillna(0.0) > 0).sum())
    if settings.conversion_lag_days:
        daily.iloc[-settings.conversion_lag_days :, daily.columns.get_indexer(list(LATE_METRICS))] = np.nan
    weekdays = np.array([d.weekday() for d in calendar])
    future = [today + timedelta(days=i) for i in range(days)]
    future_weekdays = np.array([d.weekday() for d in future])
    active = campaign.status == CampaignStatus.ACTIVE
    frame = pd.DataFrame({"date": future})
    for metric in ("spend", "conversions", "revenue"):
        result = forecast_series(daily[metric].to_numpy(), weekdays, future_weekdays)
        for suffix, values in (("", result.mean), ("_low", result.low), ("_high", result.high)):
            frame[metric + suffix] = np.round(
                values if active else np.zeros(days), 4 if metric == "conversions" else 2
            )
    return CampaignForecast(campaign_id, frame, _pacing(campaign, frame, today), history_days, recorded)


def _pacing(campaign: Campaign, frame: pd.DataFrame, today: date) -> ForecastPacing:
    daily_rate = float(frame["spend"].mean()) if len(frame) else 0.0
    spent = float(campaign.spent_budget)
    total = float(campaign.total_budget)
    if campaign.end_date is None:
        return ForecastPacing(
            "open_ended", Decimal("0.00"), None, f"No end date: spending about ${daily_rate:,.2f} a day."
        )
    days_left = max((campaign.end_date - today).days + 1, 0)
    path = list(frame["spend"]) + [daily_rate] * max(days_left - len(frame), 0)
    cumulative = spent + np.cumsum(path[:days_left]) if days_left else np.array([spent])
    projected = float(cumulative[-1])
    difference = to_money(abs(projected - total))
    if projected > total * 1.02:
        crossing = int(np.argmax(cumulative > total))
        day = today + timedelta(days=crossing)
        return ForecastPacing(
            "overspend",
            difference,
            day,
            f"At this rate the campaign runs out of budget on {day:%b %d} and would overspend by "
            f"${difference:,.2f} by its end date ({campaign.end_date:%b %d}).",
        )
    if projected < total * 0.9:
        return ForecastPacing(
            "underspend",
            difference,
            campaign.end_date,
            f"At this rate ${difference:,.2f} of the budget is left unspent on {campaign.end_date:%b %d}.",
        )
    return ForecastPacing(
        "on_track",
        difference,
        campaign.end_date,
        f"On track to spend its budget by {campaign.end_date:%b %d}.",
    )
