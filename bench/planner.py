"""The planner's bands against what the simulator then does, and a "keep budgets" backtest.

    python -m bench.planner [--seeds 2001-2040]

Each seed draws a world (3 to 7 placements on random platforms) and twelve weeks of history in
which a marketer changed budgets every week or two (bench._support.stepped_budgets), reported as
a platform reports it (the last days still missing late conversions). Then:

- plan: a 4-week plan for the run rate of the last 28 days (the same money, re-split, with a ±30%
  weekly cap), from core.planner.plans.plan on the observed history only; the simulator then plays
  the plan's budgets out. Printed: how often the realised 4-week conversions (and revenue) fall
  inside the plan's P10–P90 band, over all seeds (target 70–90%, ideally about 80%), and the same
  for each placement-week cell.
- backtest: the last 6 weeks of history are played with budgets held where they were; a "keep
  budgets" backtest over them (refitted before each week) must then match what happened: printed,
  how often the actual outcome falls inside the backtest's band for what was spent, per week and
  over the six weeks, and the mean estimated difference (should be about 0).

The band's principles are in core.planner.model; nothing here tunes them.
"""

import argparse
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bench._support import seeds, stepped_budgets
from core.optimizer.panel import build_panel
from core.planner.backtest import run_backtest
from core.planner.model import build_inputs
from core.planner.plans import plan
from core.planner.schemas import PlanRequest
from core.platforms.simulator import SimulatedWorld
from db.enums import Platform

HISTORY_DAYS = 84
PLAN_WEEKS = 4
BACKTEST_WEEKS = 6
LAG_DAYS = 2
START = date(2026, 1, 5)  # a Monday


def world_for(seed: int, *, keep_last_weeks: int = 0):
    """Traits and a budget history; the last `keep_last_weeks` weeks hold the budgets steady."""
    rng = np.random.default_rng(seed)
    world = SimulatedWorld(seed)
    n = int(rng.integers(3, 8))
    platforms = rng.choice(list(Platform), n)
    traits = [world.traits(p, f"p{seed}-{i}", {"anomaly_rate": 0.006}) for i, p in enumerate(platforms)]
    budgets = np.stack([stepped_budgets(rng, HISTORY_DAYS, 60.0, 600.0) for _ in range(n)])
    if keep_last_weeks:  # from the week before the backtest's window (its "kept" budgets) on
        held = HISTORY_DAYS - LAG_DAYS - 7 * (keep_last_weeks + 1)
        budgets[:, held:] = budgets[:, held : held + 1]
    return world, traits, budgets, platforms


def observed(world, traits, budgets, as_of: date) -> pd.DataFrame:
    frames = []
    for k, trait in enumerate(traits):
        frame = world.simulate(trait, START, budgets[k], as_of=as_of)
        frames.append(frame.assign(platform_campaign_id=k + 1))
    return pd.concat(frames, ignore_index=True)


def placements(platforms) -> pd.DataFrame:
    n = len(platforms)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "campaign_id": 1,
            "platform": [str(p) for p in platforms],
            "objective": "conversions",
            "allocated_budget": np.nan,
        }
    )


def plan_coverage(seed: int) -> dict[str, float]:
    world, traits, budgets, platforms = world_for(seed)
    today = START + timedelta(days=HISTORY_DAYS)
    history = observed(world, traits, budgets, today)
    panel = build_panel(history, end=today - timedelta(days=1), days=HISTORY_DAYS)
    inputs = build_inputs(panel, placements(platforms), lag_days=LAG_DAYS)
    total = round(float(inputs.run_rate.sum()) * 7 * PLAN_WEEKS, 2)
    result = plan(inputs, PlanRequest(weeks=PLAN_WEEKS, total_budget=str(total), max_weekly_change=0.3))
    planned = np.zeros((len(traits), PLAN_WEEKS * 7))
    for cell in result.cells:
        week = slice(7 * (cell.week - 1), 7 * cell.week)
        planned[cell.placement_id - 1, week] = float(cell.budget) / 7
    realised = {
        "conversions": np.zeros((len(traits), PLAN_WEEKS)),
        "revenue": np.zeros((len(traits), PLAN_WEEKS)),
    }
    for k, trait in enumerate(traits):
        days = world.simulate(trait, START, np.concatenate([budgets[k], planned[k]])).iloc[HISTORY_DAYS:]
        for metric, values in realised.items():
            values[k] = days[metric].to_numpy().reshape(PLAN_WEEKS, 7).sum(axis=1)
    scores = {}
    for metric, values in realised.items():
        whole = getattr(result, metric)
        scores[f"{metric}_total"] = float(whole.p10 <= values.sum() <= whole.p90)
        scores[f"{metric}_below"] = float(values.sum() < whole.p10)
        cells = [
            getattr(cell, metric).p10
            <= values[cell.placement_id - 1, cell.week - 1]
            <= getattr(cell, metric).p90
            for cell in result.cells
        ]
        scores[f"{metric}_cells"] = float(np.mean(cells))
    return scores


def backtest_match(seed: int) -> dict[str, float]:
    world, traits, budgets, platforms = world_for(seed + 50_000, keep_last_weeks=BACKTEST_WEEKS)
    today = START + timedelta(days=HISTORY_DAYS)
    history = observed(world, traits, budgets, today)
    panel = build_panel(history, end=today - timedelta(days=1), days=HISTORY_DAYS)
    result = run_backtest(
        panel,
        placements(platforms),
        strategy="keep",
        weeks=BACKTEST_WEEKS,
        objective="conversions",
        lag_days=LAG_DAYS,
    )
    weeks_inside = [
        w.predicted_actual.p10 <= w.actual_outcome <= w.predicted_actual.p90 for w in result.weeks
    ]
    band = result.predicted_actual
    return {
        "weeks_inside": float(np.mean(weeks_inside)),
        "total_inside": float(band.p10 <= result.actual_outcome <= band.p90),
        "relative_difference": result.difference.expected / max(band.expected, 1e-9),
        "relative_error": (result.actual_outcome - band.expected) / max(band.expected, 1e-9),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="2001-2040")
    arguments = parser.parse_args()
    chosen = seeds(arguments.seeds)
    plans = pd.DataFrame([plan_coverage(seed) for seed in chosen])
    backtests = pd.DataFrame([backtest_match(seed) for seed in chosen])
    print(f"{len(chosen)} seeded worlds, {PLAN_WEEKS}-week plans, P10–P90 bands (target 70–90% coverage)")
    for metric in ("conversions", "revenue"):
        print(
            f"  {metric:<11} plan total inside its band: {plans[f'{metric}_total'].mean():6.1%}"
            f"  (below P10: {plans[f'{metric}_below'].mean():5.1%})"
            f"  placement-weeks inside: {plans[f'{metric}_cells'].mean():6.1%}"
        )
    print(f'"Keep budgets" backtest over {BACKTEST_WEEKS} weeks of steady budgets, against what happened:')
    print(f"  weeks inside the band for what was spent: {backtests['weeks_inside'].mean():6.1%}")
    print(f"  six-week totals inside their band:        {backtests['total_inside'].mean():6.1%}")
    print(f"  mean (actual − predicted) / predicted:    {backtests['relative_error'].mean():+6.1%}")
    print(f"  mean estimated difference of keeping:     {backtests['relative_difference'].mean():+6.2%} (~0)")


if __name__ == "__main__":
    main()
