"""Budget pacing: has a campaign spent what its flight so far calls for?"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from core.money import to_money
from core.schemas import MoneyValue


class PaceStatus(StrEnum):
    NOT_STARTED = "not_started"
    UNDERSPENDING = "underspending"
    ON_PACE = "on_pace"
    OVERSPENDING = "overspending"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class BudgetPacing:
    spent: MoneyValue
    expected_spend: Annotated[MoneyValue, Field(description="what the flight so far calls for")]
    elapsed_share: float  # of the flight's days
    spent_share: float  # of the total budget
    ratio: float | None  # spent / expected; None before the first complete day
    status: PaceStatus
    days_left: int
    needed_daily: Annotated[
        MoneyValue | None, Field(description="the daily spend that uses the rest evenly")
    ]  # what spending the rest evenly over the days left takes


def budget_pace(
    *,
    total_budget: Decimal,
    spent: Decimal,
    start: date,
    end: date | None,
    as_of: date,
    tolerance: float,
) -> BudgetPacing | None:
    """Spend so far against the share of the flight elapsed before `as_of` (whose day is not over).

    None for a campaign without an end date: an always-on budget has no flight to pace against.
    Within `tolerance` (a share of the expected spend) either way counts as on pace.
    """
    if end is None:
        return None
    flight_days = max((end - start).days + 1, 1)
    elapsed_days = min(max((as_of - start).days, 0), flight_days)
    elapsed_share = elapsed_days / flight_days
    expected = to_money(total_budget * Decimal(elapsed_days) / Decimal(flight_days))
    ratio = float(spent / expected) if expected > 0 else None
    days_left = max((end - as_of).days + 1, 0)
    remaining = max(total_budget - spent, Decimal(0))
    if as_of > end:
        status = PaceStatus.ENDED
    elif ratio is None:
        status = PaceStatus.NOT_STARTED
    elif ratio > 1 + tolerance:
        status = PaceStatus.OVERSPENDING
    elif ratio < 1 - tolerance:
        status = PaceStatus.UNDERSPENDING
    else:
        status = PaceStatus.ON_PACE
    return BudgetPacing(
        spent=spent,
        expected_spend=expected,
        elapsed_share=elapsed_share,
        spent_share=float(spent / total_budget) if total_budget > 0 else 0.0,
        ratio=ratio,
        status=status,
        days_left=days_left,
        needed_daily=to_money(remaining / days_left) if days_left else None,
    )
