"""Budget allocation: split a budget across placements where the next dollar buys the most.

On the fitted response curves (core.optimizer.curves) the expected outcome of a split is the sum
of each placement's curve at its budget; the best split gives every placement that is not held
at a bound the same marginal return. Guardrails, all as arguments:

- the split never exceeds the total and sums to it to the cent;
- per-placement minimum and maximum daily budgets (hard);
- a cap on the change per run relative to the current split (e.g. ±30%; growth may also reach
  30% of an even share, so a small placement that proves strong is not held small), so the engine
  moves step by step and learns from each step;
- an exploration floor where a curve is uncertain or the data thin: a small share of the total
  keeps such placements running, so their curves can be learnt instead of starved forever.

`allocate_groups` solves many independent splits (one per campaign) at once, vectorised;
`BudgetAllocator` and `allocate_budget` are the one-split public faces.
"""

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ValidationError
from core.money import split_amount, to_money
from core.optimizer.curves import OBJECTIVES, ResponseCurveModel, ResponseCurves
from core.optimizer.panel import build_panel, clean_history

_GRID_POINTS = 33
_BISECTION_STEPS = 60


@dataclass(frozen=True)
class GroupAllocation:
    """The continuous solution of allocate_groups, per placement row."""

    budget: np.ndarray  # (P,) the best daily budget
    current: np.ndarray  # (P,) the current budget (scaled to the new total)
    lower: np.ndarray  # (P,) the bounds that applied
    upper: np.ndarray
    explored: np.ndarray  # (P,) bool: the lower bound is the exploration floor


def allocate_groups(
    curves: ResponseCurves,
    groups: np.ndarray,
    totals: np.ndarray,
    *,
    current: np.ndarray,
    min_budget: np.ndarray | None = None,
    max_budget: np.ndarray | None = None,
    max_change: float | None = 0.3,
    exploration_share: float = 0.05,
) -> GroupAllocation:
    """Best split of `totals[g]` over the placements of each group g (rows of `curves`).

    `groups` (P,) numbers the group of each row 0..G-1; `current` (P,) is each row's current
    daily budget. Minimum and maximum budgets are hard; the change cap gives way where it would
    make a group infeasible, and so does the exploration floor.
    """
    n_groups = len(totals)
    totals = np.asarray(totals, dtype=float)
    count = np.bincount(groups, minlength=n_groups).astype(float)
    lower_hard = np.zeros(len(groups)) if min_budget is None else np.asarray(min_budget, dtype=float)
    upper_hard = np.full(len(groups), np.inf) if max_budget is None else np.asarray(max_budget, dtype=float)
    upper_hard = np.minimum(upper_hard, totals[groups])

    current = np.maximum(np.asarray(current, dtype=float), 0.0)
    current_sum = np.bincount(groups, weights=current, minlength=n_groups)
    has_current = current_sum[groups] > 0
    scaled = np.where(
        has_current, current * totals[groups] / np.where(has_current, current_sum[groups], 1), 0
    )

    lower, upper = lower_hard.copy(), upper_hard.copy()
    if max_change is not None:
        # A placement may shrink by max_change of its budget, and grow by max_change of its budget
        # or of an even share of the total, whichever is more: a small placement that proves strong
        # (or one starting from nothing) is not held small for weeks.
        even_share = totals[groups] / count[groups]
        cap_lower = np.where(has_current, scaled * (1 - max_change), 0.0)
        cap_upper = np.where(has_current, scaled + max_change * np.maximum(scaled, even_share), np.inf)
        lower = np.maximum(lower, np.minimum(cap_lower, upper_hard))
        upper = np.maximum(np.minimum(upper, cap_upper), lower)
        lower, upper = _relax_to_fit(groups, totals, lower, upper, lower_hard, upper_hard)

    spread = np.minimum(curves.marginal_spread(np.maximum(scaled, curves.typical_spend * 0.1)), 1.0)
    floor = exploration_share * totals[groups] * spread / count[groups]
    explored_lower = np.minimum(np.maximum(lower, floor), upper)
    fits = (np.bincount(groups, weights=explored_lower, minlength=n_groups) <= totals + 1e-9)[groups]
    explored = fits & (explored_lower > lower + 0.005)
    lower = np.where(fits, explored_lower, lower)

    budget = _water_fill(curves, groups, totals, lower, upper)
    return GroupAllocation(budget, scaled, lower, upper, explored)


def _relax_to_fit(groups, totals, lower, upper, lower_hard, upper_hard):
    """Widen the change-cap bounds of groups where they cannot add up to the total."""
    n = len(totals)
    low_sum = np.bincount(groups, weights=lower, minlength=n)
    high_sum = np.bincount(groups, weights=upper, minlength=n)
    too_high = (low_sum > totals)[groups]
    too_low = (high_sum < totals)[groups]
    return np.where(too_high, lower_hard, lower), np.where(too_low, upper_hard, upper)


def _water_fill(curves, groups, totals, lower, upper) -> np.ndarray:
    """Equalise marginal returns within each group between the bounds (bisection on the return)."""
    n_groups = len(totals)
    steps = np.linspace(0.0, 1.0, _GRID_POINTS)
    finite_upper = np.where(np.isfinite(upper), upper, totals[groups])
    grid = lower[:, None] + (finite_upper - lower)[:, None] * steps[None, :]
    marginal = np.minimum.accumulate(curves.marginal(grid), axis=1) + 1e-300
    log_marginal = np.log(marginal)
    low = np.full(n_groups, log_marginal.min() - 1.0)
    high = np.full(n_groups, log_marginal.max() + 1.0)
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        spent = np.bincount(groups, weights=_spend_at(grid, log_marginal, middle[groups]), minlength=n_groups)
        too_much = spent > totals
        low = np.where(too_much, middle, low)
        high = np.where(too_much, high, middle)
    budget = _spend_at(grid, log_marginal, high[groups])
    # Close the last fraction of a cent of bisection error on the rows not held at a bound.
    gap = totals - np.bincount(groups, weights=budget, minlength=n_groups)
    room = np.where(budget < finite_upper - 1e-9, finite_upper - budget, 0.0)
    room_sum = np.bincount(groups, weights=room, minlength=n_groups)
    share = np.divide(room, room_sum[groups], out=np.zeros_like(room), where=room_sum[groups] > 0)
    return np.clip(budget + share * gap[groups], lower, finite_upper)


def _spend_at(grid: np.ndarray, log_marginal: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Per row, the spend at which the (non-increasing) marginal return falls to exp(level)."""
    above = (log_marginal > level[:, None]).sum(axis=1)
    last = grid.shape[1] - 1
    j = np.clip(above - 1, 0, last - 1)
    rows = np.arange(len(grid))
    m0, m1 = log_marginal[rows, j], log_marginal[rows, j + 1]
    fraction = np.clip(np.divide(m0 - level, m0 - m1, out=np.ones(len(rows)), where=m0 > m1), 0.0, 1.0)
    spend = grid[rows, j] + fraction * (grid[rows, j + 1] - grid[rows, j])
    spend = np.where(above == 0, grid[:, 0], spend)
    return np.where(above > last, grid[:, last], spend)


@dataclass(frozen=True)
class AllocationPlan:
    """A split of one total budget, with what it is expected to earn and why.

    `budgets` maps every placement to its daily budget (Decimal, summing to `total_budget` to
    the cent). `table` has one row per placement: current, budget, expected outcome with a 10–90%
    interval, marginal return at the new budget, and the reason in words.
    """

    total_budget: Decimal
    objective: str
    budgets: dict[Any, Decimal]
    reasons: dict[Any, str]
    table: pd.DataFrame
    expected_total: float
    expected_total_low: float
    expected_total_high: float
    current_expected_total: float
    notes: list[str] = field(default_factory=list)

    @property
    def expected_gain(self) -> float:
        """Expected outcome per day above keeping the current split (scaled to the same total)."""
        return self.expected_total - self.current_expected_total

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_budget": str(self.total_budget),
            "objective": self.objective,
            "expected_total": round(self.expected_total, 4),
            "expected_total_interval": [
                round(self.expected_total_low, 4),
                round(self.expected_total_high, 4),
            ],
            "current_expected_total": round(self.current_expected_total, 4),
            "placements": [
                {
                    "platform_campaign_id": _plain(row.platform_campaign_id),
                    "current_budget": round(float(row.current_budget), 2),
                    "budget": str(self.budgets[row.platform_campaign_id]),
                    "expected": round(float(row.expected), 4),
                    "expected_interval": [
                        round(float(row.expected_low), 4),
                        round(float(row.expected_high), 4),
                    ],
                    "marginal_return": float(row.marginal_return),
                    "reason": row.reason,
                }
                for row in self.table.itertuples()
            ],
            "notes": self.notes,
        }


class BudgetAllocator:
    """Fits response curves to a history and splits budgets over its placements (scikit-learn style).

    Parameters (the guardrails)
    ---------------------------
    objective: "conversions" (default) or "revenue".
    min_budget, max_budget: a daily amount for every placement, or a mapping id -> amount.
    max_change: cap on each placement's change per run, as a share of its current budget
        (None: no cap). Default 0.3.
    current_budgets: mapping id -> today's daily budget; default the mean daily spend of the
        last 7 days of history.
    exploration_share: at most this share of the total goes to keeping uncertain placements alive.
    ignore_last_days: newest days left out of the fit (late-reported conversions).
    half_life_days: how fast old days lose weight in the fit.
    random_state: seed of the posterior draws behind the intervals.
    """

    def __init__(
        self,
        objective: str = "conversions",
        min_budget: float | Mapping[Any, float] | None = None,
        max_budget: float | Mapping[Any, float] | None = None,
        max_change: float | None = 0.3,
        current_budgets: Mapping[Any, float] | None = None,
        exploration_share: float = 0.05,
        ignore_last_days: int = 0,
        half_life_days: float = 28.0,
        random_state: int = 0,
    ) -> None:
        self.objective = objective
        self.min_budget = min_budget
        self.max_budget = max_budget
        self.max_change = max_change
        self.current_budgets = current_budgets
        self.exploration_share = exploration_share
        self.ignore_last_days = ignore_last_days
        self.half_life_days = half_life_days
        self.random_state = random_state

    def fit(self, history: pd.DataFrame) -> "BudgetAllocator":
        if self.objective not in OBJECTIVES:
            raise ValidationError({"objective": f"must be one of {', '.join(OBJECTIVES)}"})
        if self.max_change is not None and not 0 < self.max_change <= 10:
            raise ValidationError({"max_change": "must be a share above 0 (0.3 means ±30%)"})
        if not 0 <= self.exploration_share <= 0.5:
            raise ValidationError({"exploration_share": "must be between 0 and 0.5"})
        panel = build_panel(clean_history(history))
        self.curves_ = (
            ResponseCurveModel(self.objective, self.half_life_days, self.ignore_last_days).fit(panel).curves_
        )
        return self

    def predict(self, total_budget: Decimal | float | str) -> AllocationPlan:
        """The best split of `total_budget` (a daily amount) under the guardrails."""
        if not hasattr(self, "curves_"):
            raise RuntimeError("BudgetAllocator is not fitted yet: call fit(history) first")
        total = _total(total_budget)
        curves = self.curves_
        ids = curves.ids
        current = self._per_placement(self.current_budgets, "current_budgets", curves.recent_spend)
        lower = self._per_placement(self.min_budget, "min_budget", np.zeros(len(ids)))
        upper = self._per_placement(self.max_budget, "max_budget", np.full(len(ids), np.inf))
        if (lower > upper).any():
            raise ValidationError({"min_budget": "is above max_budget for some placement"})
        if lower.sum() > float(total) + 1e-9:
            raise ValidationError(
                {"min_budget": f"the minimums add up to {lower.sum():.2f}, above the total"}
            )
        if upper.sum() < float(total) - 1e-9:
            raise ValidationError(
                {"max_budget": f"the maximums add up to {upper.sum():.2f}, below the total"}
            )
        groups = np.zeros(len(ids), dtype=np.int64)
        solution = allocate_groups(
            curves,
            groups,
            np.array([float(total)]),
            current=current,
            min_budget=lower,
            max_budget=upper,
            max_change=self.max_change,
            exploration_share=self.exploration_share,
        )
        amounts = cents(total, solution.budget)
        return describe_plan(curves, total, amounts, solution, seed=self.random_state)

    def _per_placement(self, value, name: str, default: np.ndarray) -> np.ndarray:
        ids = self.curves_.ids
        if value is None:
            return default
        if isinstance(value, Mapping):
            # Ids compare as text, so a mapping read from JSON ("17") matches a numeric id (17).
            lookup = {str(k): v for k, v in value.items()}
            unknown = sorted(set(lookup) - {str(i) for i in ids.tolist()})
            if unknown:
                raise ValidationError(
                    {name: f"names placements not in the history: {', '.join(unknown[:5])}"}
                )
            return np.array([_amount(lookup.get(str(i), d), name) for i, d in zip(ids, default, strict=True)])
        return np.full(len(ids), _amount(value, name))


def allocate_budget(
    history: pd.DataFrame, total_budget: Decimal | float | str, **constraints
) -> AllocationPlan:
    """Split a daily `total_budget` over the placements in `history` where it earns the most.

    `history` has columns date, platform_campaign_id, spend, impressions, clicks, conversions,
    revenue (one row per placement and day). `constraints` are BudgetAllocator's parameters
    (objective, min_budget, max_budget, max_change, current_budgets, exploration_share, …).
    The plan's `.budgets` maps every placement in the history to a non-negative Decimal amount,
    summing to the total to the cent; `.table` and `.reasons` say what each is expected to earn
    and why.
    """
    known = set(inspect.signature(BudgetAllocator).parameters)
    unknown = sorted(set(constraints) - known)
    if unknown:
        raise ValidationError({unknown[0]: f"is not a constraint; use one of {', '.join(sorted(known))}"})
    return BudgetAllocator(**constraints).fit(history).predict(total_budget)


def cents(total: Decimal, budgets: np.ndarray) -> list[Decimal]:
    """Round a continuous split to cents that add up exactly to `total`."""
    return split_amount(total, [Decimal(repr(max(float(b), 0.0))) for b in budgets])


def describe_plan(
    curves: ResponseCurves,
    total: Decimal,
    amounts: list[Decimal],
    solution: GroupAllocation,
    *,
    seed: int = 0,
) -> AllocationPlan:
    """Expected outcomes, intervals and a reason per placement for one group's split."""
    budget = np.array([float(a) for a in amounts])
    samples = curves.sample(400, seed)
    new_draws = samples.response(budget)
    expected = curves.expected(budget)
    marginal = curves.marginal(budget)
    low, high = np.quantile(new_draws, [0.1, 0.9], axis=1)
    totals = new_draws.sum(axis=0)
    reasons = placement_reasons(curves, budget, solution, marginal)
    table = pd.DataFrame(
        {
            "platform_campaign_id": curves.ids,
            "current_budget": np.round(solution.current, 2),
            "budget": budget,
            "expected": expected,
            "expected_low": low,
            "expected_high": high,
            "marginal_return": marginal,
            "reason": reasons,
        }
    )
    ids = curves.ids.tolist()
    notes = []
    if (curves.days_observed < 14).any():
        notes.append("some placements have under two weeks of data: their curves are rough guesses")
    return AllocationPlan(
        total_budget=total,
        objective=curves.objective,
        budgets=dict(zip(ids, amounts, strict=True)),
        reasons=dict(zip(ids, reasons, strict=True)),
        table=table,
        expected_total=float(expected.sum()),
        expected_total_low=float(np.quantile(totals, 0.1)),
        expected_total_high=float(np.quantile(totals, 0.9)),
        current_expected_total=float(curves.expected(solution.current).sum()) if len(ids) else 0.0,
        notes=notes,
    )


def placement_reasons(
    curves: ResponseCurves, budget: np.ndarray, solution: GroupAllocation, marginal: np.ndarray
) -> list[str]:
    """One sentence per placement: where its budget went and why."""
    unit = "conversions" if curves.objective == "conversions" else "$ revenue"
    reasons = []
    for i in range(len(budget)):
        before, after = solution.current[i], budget[i]
        per_100 = marginal[i] * 100
        if solution.explored[i] and abs(after - solution.lower[i]) < 0.01 and after > 0:
            why = "kept running to learn more: its response is still uncertain"
        elif abs(after - solution.upper[i]) < 0.01 and after > before * 1.001:
            why = (
                "raised as far as allowed in one step: each extra dollar still buys more here than elsewhere"
            )
        elif abs(after - solution.lower[i]) < 0.01 and after < before * 0.999:
            why = "lowered as far as allowed in one step: returns here have flattened"
        elif after > before * 1.02:
            why = "raised: the next dollar buys more here than on the other placements"
        elif after < before * 0.98:
            why = "lowered: returns flatten at this spend"
        else:
            why = "about right where it is"
        reasons.append(f"{why} (next $100/day ≈ {per_100:.2f} {unit}/day)")
    return reasons


def _total(value: Decimal | float | str) -> Decimal:
    try:
        total = Decimal(str(value))
    except ArithmeticError:
        raise ValidationError({"total_budget": "must be an amount of money"}) from None
    if not total.is_finite() or total < 0:
        raise ValidationError({"total_budget": "must be a finite, non-negative amount"})
    return to_money(total)


def _amount(value: Any, name: str) -> float:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        raise ValidationError({name: f"{value!r} is not an amount"}) from None
    if not np.isfinite(amount) or amount < 0:
        raise ValidationError({name: "amounts must be finite and non-negative"})
    return amount


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
