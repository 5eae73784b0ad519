"""Forward plans, what-ifs and the budget frontier, on PlannerInputs (no database here).

A plan splits the total over the weeks and placements where the next dollar buys the most, with
the engine's allocator (core.optimizer.allocator.allocate_groups) run week by week on the curves
with each week's trend folded in: week w starts from week w-1's budgets, so a cap on the
week-to-week change makes the plan walk towards the best split. Whatever a cap or a maximum
keeps from being spent in one week is offered to the weeks after; what is left at the end stays
unallocated (a plan never spends more than its total). Target mode spends only as much of the
total as keeps the plan's expected CPA (or ROAS) at the target: the largest budget that still
meets it, so every extra dollar would break it. Parts are cents that add up exactly.
"""

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from core.errors import ValidationError
from core.metrics.definitions import efficiency_metric
from core.money import split_amount, to_money
from core.optimizer.allocator import allocate_groups
from core.planner.model import PlannerInputs, band
from core.planner.schemas import (
    Band,
    CurvePoint,
    Frontier,
    FrontierPoint,
    PlacementExplanation,
    Plan,
    PlanCell,
    PlanRequest,
    Scenario,
    TargetResult,
    WeekTotal,
    WhatIf,
    WhatIfRequest,
)

_TARGET_GRID = 48
_FRONTIER_POINTS = 21
_CURVE_POINTS = 13
# Planned spend this far above the highest daily spend in the history is beyond what the curve saw.
_EXTRAPOLATION_MARGIN = 1.1


def plan(inputs: PlannerInputs, request: PlanRequest) -> Plan:
    """The forward plan for `request` (see the module docstring)."""
    objective = choose_objective(
        inputs.placements, request.objective, request.target_cpa, request.target_roas
    )
    weeks = request.weeks
    total = to_money(request.total_budget)
    locked, lower, upper = _bounds(inputs, request)
    days = 7 * weeks
    if float(total) < lower.sum() * days - 0.005:
        what = "the locked placements and minimums" if locked.any() else "the minimum budgets"
        raise ValidationError(
            {
                "total_budget": f"{what} need ${lower.sum() * days:,.2f} over {weeks} weeks, "
                f"above the total of ${total:,.2f}"
            }
        )
    model = inputs.models[objective]
    notes: list[str] = []
    daily_total = float(total) / days
    target = None
    if request.target_cpa is not None or request.target_roas is not None:
        daily_total, target = _target_total(inputs, objective, request, lower, upper, daily_total)

    daily = np.zeros((len(inputs.ids), weeks))
    previous = inputs.current_budget.copy()
    remaining = daily_total * days
    relaxed, held_back = [], []
    for week in range(weeks):
        want = remaining / (7 * (weeks - week))
        low, high = lower.copy(), upper.copy()
        if request.max_weekly_change is not None:
            cap = request.max_weekly_change
            low = np.where(locked, lower, np.minimum(np.maximum(lower, previous * (1 - cap)), upper))
            high = np.where(locked, upper, np.maximum(np.minimum(upper, previous * (1 + cap)), lower))
            if low.sum() > want + 1e-9:  # cutting to the total takes more than the cap allows
                low = lower.copy()
                relaxed.append(week + 1)
        if high.sum() < want - 1e-9:
            budget = high.copy()
            held_back.append(week + 1)
        else:
            budget = allocate_groups(
                model.scaled_curves(week),
                np.zeros(len(low), dtype=np.int64),
                np.array([want]),
                current=previous,
                min_budget=low,
                max_budget=high,
                max_change=None,
                exploration_share=0.0,
            ).budget
        daily[:, week] = budget
        remaining = max(remaining - 7 * budget.sum(), 0.0)
        previous = budget
    if relaxed:
        notes.append(
            "The cap on week-to-week change was relaxed in week "
            + ", ".join(map(str, relaxed))
            + " to keep within the total."
        )
    weekly_amounts, planned = _cents(total, daily, locked, inputs.current_budget, exact=target is None)
    if planned < total and target is None:
        limits = [
            name
            for name, present in (
                ("locks", locked.any()),
                ("maximums", np.isfinite(upper[~locked]).any()),
                ("cap on weekly change", request.max_weekly_change is not None),
            )
            if present
        ]
        weeks_text = "week" + ("s " if len(held_back) > 1 else " ") + ", ".join(map(str, held_back))
        notes.append(
            f"${total - planned:,.2f} of the total stays unallocated, held back by the "
            f"{' and '.join(limits)} ({weeks_text} at the limits)."
        )
    planned_daily = np.array([[float(a) / 7 for a in row] for row in weekly_amounts])
    if target is not None:
        target = _target_result(inputs, objective, request, planned_daily, target)
    return _describe(
        inputs, request, objective, total, planned, weekly_amounts, planned_daily, locked, lower, upper,
        target, notes,
    )  # fmt: skip


def choose_objective(
    placements: pd.DataFrame, objective: str | None, target_cpa=None, target_roas=None
) -> str:
    """The objective asked for, else the one a target implies, else revenue when every placement's
    campaign sells, else conversions."""
    if target_cpa is not None and objective == "revenue":
        raise ValidationError({"target_cpa": "a CPA target plans for conversions, not revenue"})
    if target_roas is not None and objective == "conversions":
        raise ValidationError({"target_roas": "a ROAS target plans for revenue, not conversions"})
    if target_cpa is not None:
        return "conversions"
    if target_roas is not None:
        return "revenue"
    if objective is not None:
        return objective
    sells = placements["objective"].map(efficiency_metric).eq("roas").all()
    return "revenue" if sells else "conversions"


def _bounds(inputs: PlannerInputs, request: PlanRequest) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Daily (locked, lower, upper) per placement; ValidationError naming a bad constraint."""
    ids = [int(i) for i in inputs.ids]
    position = {pid: k for k, pid in enumerate(ids)}
    unknown = [p for p in [*request.locks, *(b.placement_id for b in request.bounds)] if p not in position]
    if unknown:
        raise ValidationError(
            {"placements": f"placement {unknown[0]} is not an active placement in this plan's scope"}
        )
    locked = np.zeros(len(ids), dtype=bool)
    lower, upper = np.zeros(len(ids)), np.full(len(ids), np.inf)
    for bound in request.bounds:
        k = position[bound.placement_id]
        run_rate = float(inputs.run_rate[k])
        if bound.min_budget is not None:
            lower[k] = max(lower[k], float(bound.min_budget))
        if bound.min_multiple is not None:
            lower[k] = max(lower[k], bound.min_multiple * run_rate)
        if bound.max_budget is not None:
            upper[k] = min(upper[k], float(bound.max_budget))
        if bound.max_multiple is not None:
            upper[k] = min(upper[k], bound.max_multiple * run_rate)
        if lower[k] > upper[k] + 1e-9:
            raise ValidationError(
                {
                    "bounds": f"placement {bound.placement_id}: the minimum ${lower[k]:,.2f} a day is above "
                    f"the maximum ${upper[k]:,.2f}"
                }
            )
    for placement_id in request.locks:
        k = position[placement_id]
        locked[k] = True
        lower[k] = upper[k] = float(to_money(inputs.current_budget[k]))
    return locked, lower, upper


def _cents(
    total: Decimal, daily: np.ndarray, locked: np.ndarray, current: np.ndarray, *, exact: bool
) -> tuple[list[list[Decimal]], Decimal]:
    """Weekly amounts (P x W) in cents that add up to the planned spend, and that spend.

    The planned spend is the total when the plan spends all of it (`exact`: no target holds it
    back) and the continuous plan reaches it within rounding, else the plan's own sum in cents.
    Locked placements get exactly seven times their current daily budget each week.
    """
    weekly = 7 * np.maximum(daily, 0.0)
    n_placements, weeks = weekly.shape
    continuous = to_money(weekly.sum())
    planned = total if exact and continuous >= total - Decimal("0.01") * weeks * n_placements else continuous
    planned = min(planned, total)
    locked_week = [
        to_money(7 * float(to_money(current[k]))) if locked[k] else None for k in range(n_placements)
    ]
    locked_total = sum((a for a in locked_week if a is not None), Decimal("0.00")) * weeks
    planned = min(max(planned, locked_total), total)  # rounding never takes from a locked placement
    free = [k for k in range(n_placements) if not locked[k]]
    amounts = [[locked_week[k] or Decimal("0.00")] * weeks for k in range(n_placements)]
    if free:
        free_weeks = split_amount(
            planned - locked_total, [float(weekly[free, w].sum()) for w in range(weeks)]
        )
        for w in range(weeks):
            for k, amount in zip(
                free, split_amount(free_weeks[w], [float(weekly[k, w]) for k in free]), strict=True
            ):
                amounts[k][w] = amount
    else:
        planned = locked_total
    return amounts, planned


def _target_total(inputs, objective, request, lower, upper, daily_total) -> tuple[float, TargetResult]:
    """The largest daily total (≤ the plan's) whose best split meets the target, or the closest one."""
    rate = 1.0 / float(request.target_cpa) if request.target_cpa is not None else float(request.target_roas)
    ceiling = min(daily_total, upper.sum())
    floor = max(lower.sum(), 0.02 * ceiling, 0.01)
    totals = np.array([ceiling]) if ceiling <= floor else np.geomspace(floor, ceiling, _TARGET_GRID)
    expected = _best_splits(inputs, objective, totals, lower, upper)[1]
    efficiency = expected / totals
    meets = np.flatnonzero(efficiency >= rate)
    metric = "cpa" if request.target_cpa is not None else "roas"
    if len(meets):
        chosen = float(totals[meets.max()])
        return chosen, TargetResult(
            metric=metric, target=_shown(metric, rate), met=True, achieved=None, message=""
        )
    best = int(np.argmax(efficiency))
    return float(totals[best]), TargetResult(
        metric=metric,
        target=_shown(metric, rate),
        met=False,
        achieved=None,
        message=(
            f"The target {_ratio_text(metric, rate)} cannot be reached with these placements: the best this "
            f"plan can expect is {_ratio_text(metric, float(efficiency[best]))}, "
            f"at ${totals[best]:,.2f} a day. "
            "The plan below is that closest one."
        ),
    )


def _target_result(inputs, objective, request, planned_daily, target: TargetResult) -> TargetResult:
    outcome = inputs.models[objective].expected(planned_daily).sum()
    spend = 7 * planned_daily.sum()
    achieved_rate = outcome / spend if spend > 0 else 0.0
    achieved = _shown(target.metric, float(achieved_rate))
    if target.met:
        message = (
            f"Spends ${spend:,.2f} of the total, at an expected {_ratio_text(target.metric, achieved_rate)}: "
            f"more spend would push it past the target {_ratio_text(target.metric, _rate(target))}."
        )
        return target.model_copy(update={"achieved": achieved, "message": message})
    return target.model_copy(update={"achieved": achieved})


def _rate(target: TargetResult) -> float:
    return 1.0 / target.target if target.metric == "cpa" else target.target


def _shown(metric: str, rate: float) -> float:
    """Outcome per dollar as the marketer's ratio: CPA in dollars, or ROAS."""
    if metric == "cpa":
        return round(1.0 / rate, 2) if rate > 0 else float("inf")
    return round(rate, 4)


def _ratio_text(metric: str, rate: float) -> str:
    if metric == "cpa":
        return f"CPA ${1.0 / rate:,.2f}" if rate > 0 else "CPA — (no conversions expected)"
    return f"ROAS {rate:.2f}×"


def _best_splits(inputs, objective, totals, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    """(G, P) best daily split at each daily total and (G,) its expected daily outcome (no trend)."""
    curves = inputs.models[objective].curves
    n = len(inputs.ids)
    groups = np.repeat(np.arange(len(totals)), n)
    rows = np.tile(np.arange(n), len(totals))
    split = allocate_groups(
        curves.take(rows),
        groups,
        np.asarray(totals, dtype=float),
        current=np.tile(inputs.current_budget, len(totals)),
        min_budget=np.tile(lower, len(totals)),
        max_budget=np.tile(upper, len(totals)),
        max_change=None,
        exploration_share=0.0,
    ).budget.reshape(len(totals), n)
    expected = curves.expected(split.T).sum(axis=0)
    return split, expected


def _band(draws: np.ndarray, expected: float) -> Band:
    return _quantile_band(band(draws), expected)


def _quantile_band(quantiles: np.ndarray, expected: float) -> Band:
    p10, p50, p90 = (round(float(q), 4) for q in quantiles)
    return Band(expected=round(expected, 4), p10=p10, p50=p50, p90=p90)


def _describe(
    inputs, request, objective, total, planned, weekly_amounts, planned_daily, locked, lower, upper,
    target, notes,
) -> Plan:  # fmt: skip
    weeks = request.weeks
    first = inputs.first_planned_day
    ids = [int(i) for i in inputs.ids]
    starts = [first + timedelta(days=7 * w) for w in range(weeks)]
    draws = {
        name: model.draws(planned_daily, seed=11 + k) for k, (name, model) in enumerate(inputs.models.items())
    }
    expected = {name: model.expected(planned_daily) for name, model in inputs.models.items()}
    cell_bands = {name: band(values, axis=2) for name, values in draws.items()}  # (P, W, 3) at once
    cells = [
        PlanCell(
            placement_id=ids[k],
            week=w + 1,
            week_start=starts[w],
            budget=weekly_amounts[k][w],
            daily_budget=to_money(weekly_amounts[k][w] / 7),
            conversions=_quantile_band(cell_bands["conversions"][k, w], float(expected["conversions"][k, w])),
            revenue=_quantile_band(cell_bands["revenue"][k, w], float(expected["revenue"][k, w])),
        )
        for k in range(len(ids))
        for w in range(weeks)
    ]
    week_totals = [
        WeekTotal(
            week=w + 1,
            week_start=starts[w],
            budget=sum((weekly_amounts[k][w] for k in range(len(ids))), Decimal("0.00")),
            conversions=_band(
                draws["conversions"][:, w].sum(axis=0), float(expected["conversions"][:, w].sum())
            ),
            revenue=_band(draws["revenue"][:, w].sum(axis=0), float(expected["revenue"][:, w].sum())),
        )
        for w in range(weeks)
    ]
    placements = explain(inputs, objective, planned_daily, locked, lower, upper)
    beyond = [p for p in placements if p.extrapolates]
    if beyond:  # one line for the plan; each placement's own warning is in its explanation
        notes.append(
            f"{len(beyond)} of {len(placements)} placements would spend beyond anything their history "
            "has seen: their curves there are extrapolations (see each placement's explanation)."
        )
    if (inputs.days_of_data < 14).any():
        notes.append("Some placements have under two weeks of data: their curves are rough guesses.")
    return Plan(
        weeks=weeks,
        campaign_id=request.campaign_id,
        objective=objective,
        first_day=first,
        total_budget=total,
        planned_spend=planned,
        unallocated=total - planned,
        conversions=_band(draws["conversions"].sum(axis=(0, 1)), float(expected["conversions"].sum())),
        revenue=_band(draws["revenue"].sum(axis=(0, 1)), float(expected["revenue"].sum())),
        week_totals=week_totals,
        cells=cells,
        placements=placements,
        target=target,
        notes=notes,
    )


def explain(
    inputs: PlannerInputs,
    objective: str,
    planned_daily: np.ndarray,
    locked: np.ndarray | None = None,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
) -> list[PlacementExplanation]:
    """Per placement: the fitted curve, where current and planned spend sit on it, and the data behind it."""
    curves = inputs.models[objective].curves
    n = len(inputs.ids)
    locked = np.zeros(n, dtype=bool) if locked is None else locked
    lower = np.zeros(n) if lower is None else lower
    upper = np.full(n, np.inf) if upper is None else upper
    planned_mean = planned_daily.mean(axis=1)
    planned_max = planned_daily.max(axis=1)
    reach = np.maximum.reduce(
        [1.5 * inputs.spend_seen_high, 1.2 * planned_max, 1.2 * inputs.run_rate, np.ones(n)]
    )
    grid = reach[:, None] * np.linspace(0.0, 1.0, _CURVE_POINTS)[None, :]
    expected = curves.expected(grid)
    samples = curves.sample(200, seed=5)
    quantiles = np.stack(
        [np.quantile(samples.response(grid[:, j]), [0.1, 0.9], axis=1) for j in range(_CURVE_POINTS)]
    )
    marginal_now = curves.marginal(inputs.run_rate)
    marginal_planned = curves.marginal(planned_mean)
    extrapolates = planned_max > _EXTRAPOLATION_MARGIN * inputs.spend_seen_high
    result = []
    for k in range(n):
        platform = str(inputs.placements["platform"].iat[k])
        warning = None
        if extrapolates[k]:
            warning = (
                f"The plan spends up to "
                f"${planned_max[k]:,.2f} a day, "
                f"beyond the ${inputs.spend_seen_high[k]:,.2f} its history has seen; its curve there is an "
                "extrapolation."
            )
        result.append(
            PlacementExplanation(
                placement_id=int(inputs.ids[k]),
                campaign_id=int(inputs.placements["campaign_id"].iat[k]),
                platform=platform,
                current_budget=round(float(inputs.current_budget[k]), 2),
                run_rate_28d=round(float(inputs.run_rate[k]), 2),
                planned_daily=round(float(planned_mean[k]), 2),
                planned_daily_max=round(float(planned_max[k]), 2),
                locked=bool(locked[k]),
                min_budget=round(float(lower[k]), 2),
                max_budget=round(float(upper[k]), 2) if np.isfinite(upper[k]) else None,
                marginal_now=round(float(marginal_now[k]), 6),
                marginal_planned=round(float(marginal_planned[k]), 6),
                days_of_data=int(inputs.days_of_data[k]),
                spend_seen_low=round(float(inputs.spend_seen_low[k]), 2),
                spend_seen_high=round(float(inputs.spend_seen_high[k]), 2),
                extrapolates=bool(extrapolates[k]),
                warning=warning,
                curve=[
                    CurvePoint(
                        daily_spend=round(float(grid[k, j]), 2),
                        expected=round(float(expected[k, j]), 4),
                        p10=round(float(quantiles[j, 0, k]), 4),
                        p90=round(float(quantiles[j, 1, k]), 4),
                    )
                    for j in range(_CURVE_POINTS)
                ],
            )
        )
    return result


# --- what-ifs and the frontier -------------------------------------------------------------------


def what_if(inputs: PlannerInputs, request: WhatIfRequest) -> WhatIf:
    """The outcome of a budget vector over the horizon, beside the current run rate and the best split."""
    ids = [int(i) for i in inputs.ids]
    position = {pid: k for k, pid in enumerate(ids)}
    asked = dict(request.budgets)
    if request.placement_id is not None:
        asked[request.placement_id] = request.amount
    unknown = [p for p in asked if p not in position]
    if unknown:
        raise ValidationError({"budgets": f"placement {unknown[0]} is not an active placement in this scope"})
    budgets = inputs.current_budget.copy()
    for placement_id, amount in asked.items():
        budgets[position[placement_id]] = float(amount)
    objective = choose_objective(inputs.placements, request.objective)
    chosen = np.array([float(to_money(b)) for b in budgets])
    daily_total = to_money(chosen.sum())
    best = _best_splits(
        inputs, objective, np.array([float(daily_total)]), np.zeros(len(ids)), np.full(len(ids), np.inf)
    )[0][0]
    best_amounts = split_amount(daily_total, [max(float(b), 0.0) for b in best])
    notes = []
    too_far = chosen > _EXTRAPOLATION_MARGIN * inputs.spend_seen_high
    if too_far.any():
        names = ", ".join(str(ids[k]) for k in np.flatnonzero(too_far))
        notes.append(
            f"Placements {names} would spend beyond anything their history has seen: an extrapolation."
        )
    run_rate = np.array([float(to_money(r)) for r in inputs.run_rate])
    best_daily = np.array([float(a) for a in best_amounts])
    return WhatIf(
        weeks=request.weeks,
        first_day=inputs.first_planned_day,
        platforms=dict(zip(ids, inputs.placements["platform"].astype(str), strict=True)),
        campaigns=dict(zip(ids, inputs.placements["campaign_id"].astype(int), strict=True)),
        what_if=_scenario(inputs, "what-if", ids, chosen, request.weeks, seed=21),
        current=_scenario(inputs, "current run rate", ids, run_rate, request.weeks, seed=22),
        optimal=_scenario(inputs, "best split", ids, best_daily, request.weeks, seed=23),
        notes=notes,
    )


def _scenario(
    inputs: PlannerInputs, name: str, ids: list[int], daily: np.ndarray, weeks: int, seed: int
) -> Scenario:
    budgets = np.repeat(daily[:, None], weeks, axis=1)
    bands = {}
    for k, (outcome, model) in enumerate(inputs.models.items()):
        bands[outcome] = _band(
            model.draws(budgets, seed=seed + k).sum(axis=(0, 1)), float(model.expected(budgets).sum())
        )
    daily_total = sum((to_money(d) for d in daily), Decimal("0.00"))
    spend = daily_total * 7 * weeks
    conversions, revenue = bands["conversions"].expected, bands["revenue"].expected
    return Scenario(
        name=name,
        daily_budgets={pid: to_money(d) for pid, d in zip(ids, daily, strict=True)},
        daily_total=daily_total,
        spend=spend,
        conversions=bands["conversions"],
        revenue=bands["revenue"],
        cpa=round(float(spend) / conversions, 2) if conversions > 0 else None,
        roas=round(revenue / float(spend), 4) if spend > 0 else None,
    )


def frontier(
    inputs: PlannerInputs,
    objective: str | None = None,
    *,
    up_to: float | None = None,
    points: int = _FRONTIER_POINTS,
) -> Frontier:
    """Expected weekly outcome of the best split at daily totals from nothing to `up_to` (default twice
    the current run rate), with the marginal CPA or ROAS at each point: where the next dollar stops paying."""
    objective = choose_objective(inputs.placements, objective)
    current = float(inputs.run_rate.sum())
    ceiling = float(up_to) if up_to else max(2.0 * current, 1.0)
    if not np.isfinite(ceiling) or ceiling <= 0:
        raise ValidationError({"up_to": "must be a daily amount above $0.00"})
    totals = np.linspace(ceiling / points, ceiling, points)
    n = len(inputs.ids)
    splits, expected = _best_splits(inputs, objective, totals, np.zeros(n), np.full(n, np.inf))
    model = inputs.models[objective]
    spend = np.concatenate([[0.0], totals])
    gained = np.diff(np.concatenate([[0.0], expected]))
    marginal = np.divide(gained, np.diff(spend))  # outcome per extra dollar per day
    result = []
    for g, total in enumerate(totals):
        week = splits[g][:, None]
        result.append(
            FrontierPoint(
                daily_total=round(float(total), 2),
                objective=_band(
                    model.draws(week, seed=31 + g, n=200).sum(axis=(0, 1)), float(model.expected(week).sum())
                ),
                marginal_cpa=round(1.0 / marginal[g], 2)
                if objective == "conversions" and marginal[g] > 0
                else None,
                marginal_roas=round(float(marginal[g]), 4) if objective == "revenue" else None,
            )
        )
    return Frontier(objective=objective, current_daily_total=round(current, 2), points=result)
