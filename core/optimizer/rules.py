"""Decision rules: from a placement's signals to a proposal, with a reason a marketer can read.

Each rule states its evidence; the thresholds come from OptimizerSettings. The service applies
cool-downs and keeps one proposal per target; these functions only say what, why and how sure.
"""

from dataclasses import dataclass, field
from typing import Any

from core.metrics.definitions import format_ratio
from db.enums import Platform

PAUSE_PLACEMENT = "pause_placement"
RAISE_BUDGET = "raise_budget"
REALLOCATE = "reallocate"


@dataclass
class Proposal:
    campaign_id: int
    platform_campaign_id: int | None
    action: str
    after: dict[str, Any]
    before: dict[str, Any]
    reason: str
    confidence: float
    expected_impact: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)


def platform_label(platform: str) -> str:
    return Platform(platform).label


def efficiency_text(uses_revenue: bool, per_dollar: float) -> str:
    """Efficiency as a marketer reads it: ROAS for sales, CPA otherwise."""
    if uses_revenue:
        return f"ROAS {format_ratio('roas', per_dollar)}"
    return f"CPA {format_ratio('cpa', 1.0 / per_dollar if per_dollar > 0 else None)}"


def pause_reason(
    platform: str, uses_revenue: bool, score: float, observed: float, benchmark: float, spend: float
) -> str:
    return (
        f"{platform_label(platform)} is the weak spot: performance score {score:.2f}, "
        f"{efficiency_text(uses_revenue, observed)} over the last four weeks against "
        f"{efficiency_text(uses_revenue, benchmark)} expected (${spend:,.0f} spent). "
        "Pausing it moves its budget to the campaign's other platforms."
    )


def raise_reason(
    platform: str, uses_revenue: bool, score: float, marginal: float, benchmark: float, step: float
) -> str:
    return (
        f"{platform_label(platform)} performs strongly (score {score:.2f}) and is not saturated: the next "
        f"dollars are expected at {efficiency_text(uses_revenue, marginal)}, better than the "
        f"{efficiency_text(uses_revenue, benchmark)} benchmark. Raise its daily budget by {step:.0%}."
    )


def reallocate_reason(
    moves: list[tuple[str, float, float]], gain_share: float, declining: list[str], unit: str
) -> str:
    shown = ", ".join(f"{platform_label(p)} ${a:,.2f} → ${b:,.2f}" for p, a, b in moves if abs(b - a) >= 0.01)
    text = (
        f"Moving budget between platforms where the next dollar buys more is expected to bring "
        f"{gain_share:+.1%} {unit} for the same daily spend: {shown}."
    )
    if declining:
        names = ", ".join(platform_label(p) for p in declining)
        text += f" Efficiency on {names} has been falling week after week."
    return text
