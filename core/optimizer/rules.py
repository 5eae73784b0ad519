"""Decision rules (DESIGN.md §5.6): from each placement's signals to proposals a marketer can read.

- pause a placement whose score is below `pause_score_below` on sufficient evidence, when the
  posterior agrees it is below that bar and moving its budget to the campaign's other platforms
  does not lose results;
- reallocate a campaign's daily budget between its platforms when the allocator's split is
  expected to bring at least `min_reallocation_gain` more (half that when a platform's efficiency
  is falling significantly week after week);
- raise the budget of a placement scoring above `raise_score_above` whose next dollars still buy
  at least the benchmark's efficiency, when the flight's remaining budget can carry it.

At most one proposal per campaign and pass (pause first, then reallocation, then a raise); none on
a campaign changed within the cool-down, none that someone rejected lately, none without enough
data. Each carries its reason, a confidence (the posterior probability that it is right) and its
expected impact per day. All of it works on arrays over every placement of a company at once.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from core.metrics.definitions import format_ratio
from core.money import split_amount, to_money
from core.optimizer.allocator import allocate_groups, cents
from core.optimizer.curves import ResponseCurves
from core.optimizer.settings import OptimizerSettings
from db.enums import Platform

PAUSE_PLACEMENT = "pause_placement"
RAISE_BUDGET = "raise_budget"
REALLOCATE = "reallocate"
_DRAWS = 64


def _posterior(agreeing: np.ndarray) -> np.ndarray:
    """The probability that a proposal is right from how many of the _DRAWS curve samples agree.

    Laplace's rule of succession: a finite sample of a model never makes it certain, so even
    when every draw agrees the confidence stays below 1 (65/66, about 98.5%).
    """
    return (np.asarray(agreeing, dtype=float) + 1) / (_DRAWS + 2)


@dataclass(frozen=True)
class Placements:
    """The placements of a pass, as arrays in one row order, with what the rules need of their campaign."""

    ids: np.ndarray
    campaign: np.ndarray
    platform: np.ndarray
    active: np.ndarray
    budget: np.ndarray  # allocated daily budget
    campaign_daily: np.ndarray
    campaign_total: np.ndarray
    campaign_spent: np.ndarray
    end_date: np.ndarray  # object: date or None

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "Placements":
        return cls(
            ids=frame["id"].to_numpy(np.int64),
            campaign=frame["campaign_id"].to_numpy(np.int64),
            platform=frame["platform"].to_numpy(object),
            active=frame["is_active"].to_numpy(bool),
            budget=frame["allocated_budget"].to_numpy(float),
            campaign_daily=frame["daily_budget"].to_numpy(float),
            campaign_total=frame["total_budget"].to_numpy(float),
            campaign_spent=frame["spent_budget"].to_numpy(float),
            end_date=frame["end_date"].to_numpy(object),
        )


@dataclass(frozen=True)
class Signals:
    uses_revenue: np.ndarray  # (P,)
    benchmark: np.ndarray  # (P,) outcome per dollar a placement is judged against
    reference: np.ndarray  # (P,) last 28 settled days' efficiency
    predicted: np.ndarray  # (P,) next week's efficiency
    score: np.ndarray  # (P,) NaN where nothing was spent
    spend_28: np.ndarray
    days_28: np.ndarray
    evidence: np.ndarray  # conversions seen, or expected at the campaign's rate for the spend
    declining: np.ndarray  # (P,) bool: a significant fall in efficiency
    campaign_scores: dict[int, float]

    def sufficient(self, settings: OptimizerSettings) -> np.ndarray:
        return (self.days_28 >= settings.min_days_of_data) & (self.evidence >= settings.min_conversions)


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
    # after and before are states as optimization_logs stores them (money as "123.45" strings)


def propose(
    placements: Placements,
    signals: Signals,
    curves: ResponseCurves,
    settings: OptimizerSettings,
    *,
    today: date,
    cooling: set[int],
    refused: set[tuple],
) -> list[Proposal]:
    """At most one proposal per campaign (see the module docstring for the rules)."""
    eligible = ~np.isin(placements.campaign, list(cooling)) & placements.active
    sufficient = signals.sufficient(settings)
    proposals: dict[int, Proposal] = {}
    for proposal in _pauses(placements, signals, curves, settings, eligible & sufficient, refused):
        proposals.setdefault(proposal.campaign_id, proposal)
    taken = np.isin(placements.campaign, list(proposals))
    for proposal in _reallocations(placements, signals, curves, settings, eligible & ~taken, refused):
        proposals[proposal.campaign_id] = proposal
    taken = np.isin(placements.campaign, list(proposals))
    for proposal in _raises(
        placements, signals, curves, settings, eligible & sufficient & ~taken, refused, today
    ):
        proposals.setdefault(proposal.campaign_id, proposal)
    return list(proposals.values())


def _pauses(placements, signals, curves, settings, allowed, refused) -> list[Proposal]:
    bar = settings.pause_score_below
    candidates = np.flatnonzero(allowed & (np.nan_to_num(signals.score, nan=1.0) < bar))
    refused_rows = [
        (int(placements.campaign[i]), int(placements.ids[i]), PAUSE_PLACEMENT) in refused for i in candidates
    ]
    candidates = candidates[~np.array(refused_rows, dtype=bool)]
    # the worst placement of each campaign
    candidates = candidates[np.argsort(signals.score[candidates], kind="stable")]
    candidates = candidates[~pd.Series(placements.campaign[candidates]).duplicated().to_numpy()]
    if not len(candidates):
        return []
    spend = np.maximum(curves.recent_spend[candidates], 0.01)
    per_dollar = curves.take(candidates).sample(_DRAWS, seed=1).response(spend) / spend[:, None]
    # the efficiency at which a placement would score exactly the bar
    bar_efficiency = signals.benchmark[candidates] * (bar / (1 - bar)) ** 0.25
    confidence = _posterior((per_dollar < bar_efficiency[:, None]).sum(axis=1))

    # The paused placement's budget moves to its campaign's other active placements, in proportion
    # to their budgets; what that gains there against what the paused one earned is the net impact.
    paused_in = pd.Series(candidates, index=placements.campaign[candidates])
    siblings = np.flatnonzero(
        placements.active
        & np.isin(placements.campaign, paused_in.index)
        & ~np.isin(np.arange(len(placements.ids)), candidates)
    )
    weight = np.maximum(placements.budget[siblings], 0.01)
    group = pd.Index(paused_in.index).get_indexer(placements.campaign[siblings])
    weight_sum = np.bincount(group, weights=weight, minlength=len(candidates))
    freed = placements.budget[candidates]
    moved = freed[group] * weight / weight_sum[group]
    sibling_curves = curves.take(siblings)
    gained = sibling_curves.expected(placements.budget[siblings] + moved) - sibling_curves.expected(
        placements.budget[siblings]
    )
    lost = curves.take(candidates).expected(freed)
    net = np.bincount(group, weights=gained, minlength=len(candidates)) - lost
    count = np.bincount(group, minlength=len(candidates))
    by_group = siblings[np.argsort(group, kind="stable")]
    starts = np.concatenate([[0], np.cumsum(count)])
    found = []
    # with other platforms to take the money, only where they would do better with it
    for k in np.flatnonzero((count == 0) | (net >= 0)).tolist():
        others = by_group[starts[k] : starts[k + 1]]
        found.append(
            _pause(placements, signals, int(candidates[k]), others, float(confidence[k]), float(net[k]))
        )
    return found


def _pause(placements, signals, i, siblings, confidence, net) -> Proposal:
    placement = str(int(placements.ids[i]))
    freed = _amount(placements.budget[i])
    after: dict[str, Any] = {"campaign": {}, "placements": {placement: {"is_active": False}}}
    before: dict[str, Any] = {"campaign": {}, "placements": {placement: {"is_active": True}}}
    if len(siblings):
        after["placements"][placement]["allocated_budget"] = "0.00"
        before["placements"][placement]["allocated_budget"] = str(freed)
        shares = (
            [freed]
            if len(siblings) == 1
            else split_amount(freed, [max(placements.budget[j], 0.01) for j in siblings])
        )
        for j, share in zip(siblings, shares, strict=True):
            current = _amount(placements.budget[j])
            after["placements"][str(int(placements.ids[j]))] = {"allocated_budget": str(current + share)}
            before["placements"][str(int(placements.ids[j]))] = {"allocated_budget": str(current)}
    uses_revenue = bool(signals.uses_revenue[i])
    return Proposal(
        campaign_id=int(placements.campaign[i]),
        platform_campaign_id=int(placements.ids[i]),
        action=PAUSE_PLACEMENT,
        after=after,
        before=before,
        reason=pause_reason(
            str(placements.platform[i]),
            uses_revenue,
            float(signals.score[i]),
            float(signals.reference[i]),
            float(signals.benchmark[i]),
            float(signals.spend_28[i]),
        ),
        confidence=round(confidence, 4),
        expected_impact=impact(uses_revenue, net, 0.0 if len(siblings) else -float(freed)),
    )


def _reallocations(placements, signals, curves, settings, allowed, refused) -> list[Proposal]:
    rows = np.flatnonzero(allowed)
    counts = pd.Series(placements.campaign[rows]).value_counts()
    rows = rows[pd.Series(placements.campaign[rows]).map(counts).to_numpy() >= 2]
    if not len(rows):
        return []
    rows = rows[np.argsort(placements.campaign[rows], kind="stable")]  # each campaign's rows together
    codes, campaign_ids = pd.factorize(placements.campaign[rows])
    budget = placements.budget[rows]
    totals = np.bincount(codes, weights=budget)
    sub = curves.take(rows)
    solution = allocate_groups(
        sub,
        codes,
        totals,
        current=budget,
        max_change=settings.max_change,
        exploration_share=settings.exploration_share,
    )
    new_value = np.bincount(codes, weights=sub.expected(solution.budget))
    old_value = np.bincount(codes, weights=sub.expected(budget))
    gain = np.divide(new_value - old_value, old_value, out=np.zeros(len(totals)), where=old_value > 0)
    declining = np.bincount(codes, weights=signals.declining[rows].astype(float)) > 0
    evidence = np.bincount(codes, weights=signals.evidence[rows])
    thin = np.bincount(codes, weights=(signals.days_28[rows] < settings.min_days_of_data).astype(float)) > 0
    bar = np.where(declining, settings.min_reallocation_gain / 2, settings.min_reallocation_gain)
    worth = np.flatnonzero((gain >= bar) & (evidence >= settings.min_conversions) & ~thin & (totals > 0))
    if not len(worth):
        return []
    draws = sub.sample(_DRAWS, seed=2)
    new_draws, old_draws = draws.response(solution.budget), draws.response(budget)
    better = np.zeros(len(totals))
    for s in range(_DRAWS):
        better += np.bincount(codes, weights=new_draws[:, s]) > np.bincount(codes, weights=old_draws[:, s])
    better = _posterior(better)
    starts = np.concatenate([[0], np.cumsum(np.bincount(codes))])
    found = []
    for g in worth.tolist():
        if (int(campaign_ids[g]), None, REALLOCATE) in refused:
            continue
        span = slice(starts[g], starts[g + 1])
        proposal = _reallocate(
            placements,
            signals,
            rows[span],
            solution.budget[span],
            float(gain[g]),
            float(better[g]),
            float(new_value[g] - old_value[g]),
        )
        if proposal is not None:
            found.append(proposal)
    return found


def _reallocate(placements, signals, rows, budgets, gain, confidence, gain_per_day) -> Proposal | None:
    current = [_amount(placements.budget[i]) for i in rows]
    amounts = cents(sum(current, Decimal("0.00")), budgets)
    if max(abs(a - c) for a, c in zip(amounts, current, strict=True)) < Decimal("1.00"):
        return None
    ids = [str(int(placements.ids[i])) for i in rows]
    uses_revenue = bool(signals.uses_revenue[rows[0]])
    moves = [
        (str(placements.platform[i]), float(c), float(a))
        for i, c, a in zip(rows, current, amounts, strict=True)
    ]
    declining = [str(placements.platform[i]) for i in rows if signals.declining[i]]
    return Proposal(
        campaign_id=int(placements.campaign[rows[0]]),
        platform_campaign_id=None,
        action=REALLOCATE,
        after={
            "campaign": {},
            "placements": {i: {"allocated_budget": str(a)} for i, a in zip(ids, amounts, strict=True)},
        },
        before={
            "campaign": {},
            "placements": {i: {"allocated_budget": str(c)} for i, c in zip(ids, current, strict=True)},
        },
        reason=reallocate_reason(moves, gain, declining, "revenue" if uses_revenue else "conversions"),
        confidence=round(confidence, 4),
        expected_impact={**impact(uses_revenue, gain_per_day, 0.0), "relative_change": round(gain, 4)},
    )


def _raises(placements, signals, curves, settings, allowed, refused, today) -> list[Proposal]:
    bar = settings.raise_score_above
    candidates = np.flatnonzero(
        allowed & (np.nan_to_num(signals.score, nan=0.0) > bar) & (placements.budget > 0)
    )
    if not len(candidates):
        return []
    step = settings.raise_budget_step
    low, high = placements.budget[candidates], placements.budget[candidates] * (1 + step)
    sub = curves.take(candidates)
    draws = sub.sample(_DRAWS, seed=3)
    extra_per_dollar = (draws.response(high) - draws.response(low)) / (high - low)[:, None]
    # worth it when the extra dollars buy at least the benchmark's efficiency
    confidence = _posterior((extra_per_dollar >= signals.benchmark[candidates][:, None]).sum(axis=1))
    extra_outcome = sub.expected(high) - sub.expected(low)
    found = []
    for k, i in enumerate(candidates.tolist()):
        if (int(placements.campaign[i]), int(placements.ids[i]), RAISE_BUDGET) in refused:
            continue
        proposal = _raise(placements, signals, i, float(confidence[k]), float(extra_outcome[k]), step, today)
        if proposal is not None:
            found.append(proposal)
    return found


def _raise(placements, signals, i, confidence, extra_outcome, step, today) -> Proposal | None:
    current = _amount(placements.budget[i])
    extra = to_money(float(current) * step)
    daily = _amount(placements.campaign_daily[i])
    end = placements.end_date[i]
    if end is not None and not pd.isna(end):
        days_left = (end - today).days + 1
        remaining = placements.campaign_total[i] - placements.campaign_spent[i]
        if days_left <= 0 or float(daily + extra) * days_left > remaining:
            return None  # the flight's budget cannot carry it
    placement = str(int(placements.ids[i]))
    uses_revenue = bool(signals.uses_revenue[i])
    marginal = extra_outcome / float(extra) if extra > 0 else 0.0
    return Proposal(
        campaign_id=int(placements.campaign[i]),
        platform_campaign_id=int(placements.ids[i]),
        action=RAISE_BUDGET,
        after={
            "campaign": {"daily_budget": str(daily + extra)},
            "placements": {placement: {"allocated_budget": str(current + extra)}},
        },
        before={
            "campaign": {"daily_budget": str(daily)},
            "placements": {placement: {"allocated_budget": str(current)}},
        },
        reason=raise_reason(
            str(placements.platform[i]),
            uses_revenue,
            float(signals.score[i]),
            marginal,
            float(signals.benchmark[i]),
            step,
        ),
        confidence=round(confidence, 4),
        expected_impact=impact(uses_revenue, extra_outcome, float(extra)),
    )


def _amount(value: float) -> Decimal:
    """A stored money value (read as a float) back as cents, written as states store money."""
    return Decimal(f"{value:.2f}")


def impact(uses_revenue: bool, outcome_per_day: float, spend_per_day: float) -> dict[str, Any]:
    """Expected change per day and week in the campaign's outcome, and in its spend."""
    return {
        "metric": "revenue" if uses_revenue else "conversions",
        "per_day": round(outcome_per_day, 4),
        "per_week": round(outcome_per_day * 7, 4),
        "spend_per_day": round(spend_per_day, 2),
    }


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
