"""The performance predictor's error on a time split, against the naive last-7-days forecast.

    python -m bench.predictor [--seeds 3001-3003] [--placements 250] [--days 182]

Simulated placements (random platforms, budgets from $20 to $3,000 a day changed every week or
two, a third of them judged on revenue) give half a year of history. The predictor learns from
cut-offs up to a date and is tested on the weeks after it (never trained on them), exactly as
`train_predictor` evaluates it: the spend-weighted absolute error of next week's efficiency,
beside the naive forecast "next week is like the last 7 days" and "like the last 28 days".
Target: at least 10% lower error than the naive forecast. Developed on seeds 21–23.
"""

import argparse
from datetime import date

import numpy as np
import pandas as pd

from bench._support import seeds, stepped_budgets
from core.optimizer import predictor as predictors
from core.optimizer.features import objective_outcome
from core.optimizer.panel import build_panel, clean_history
from core.platforms.simulator import SimulatedWorld
from db.enums import Platform

START = date(2026, 1, 5)


def history(seed: int, placements: int, days: int) -> pd.DataFrame:
    world = SimulatedWorld(seed)
    rng = np.random.default_rng(seed)
    frames = []
    for index in range(placements):
        traits = world.traits(rng.choice(list(Platform)), f"p{seed}-{index}")
        budgets = stepped_budgets(rng, days, 20, 3000)
        frames.append(world.simulate(traits, START, budgets).assign(platform_campaign_id=index))
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="3001-3003")
    parser.add_argument("--placements", type=int, default=250)
    parser.add_argument("--days", type=int, default=182)
    args = parser.parse_args()
    print(f"{'seed':>6} {'rows':>7} {'predictor':>10} {'naive 7d':>9} {'naive 28d':>10} {'vs 7d':>7}")
    improvements = []
    for seed in seeds(args.seeds):
        panel = build_panel(clean_history(history(seed, args.placements, args.days)))
        uses_revenue = np.random.default_rng(seed).random(len(panel.ids)) < 1 / 3
        outcome = objective_outcome(panel, uses_revenue)
        spend = panel.filled("spend")
        pooled = np.where(
            uses_revenue,
            outcome[uses_revenue].sum() / spend[uses_revenue].sum(),
            outcome[~uses_revenue].sum() / spend[~uses_revenue].sum(),
        )
        features, target, weight, cutoff = predictors.training_set(
            panel, uses_revenue, pooled, last_end=panel.n_days - 1
        )
        result = predictors.evaluate(features, target, weight, cutoff)
        test = cutoff > np.quantile(cutoff, 0.8)
        long_run = predictors.weighted_error(np.ones(test.sum()), target[test], weight[test])
        improvements.append(result["improvement"])
        print(
            f"{seed:>6} {len(features):>7} {result['model_error']:>10.3f} {result['naive_error']:>9.3f}"
            f" {long_run:>10.3f} {result['improvement']:>7.1%}"
        )
    print(
        f"mean improvement over the naive last-7-days forecast: {np.mean(improvements):.1%} (target >= 10%)"
    )
    print("error: spend-weighted absolute error of next-week efficiency (WAPE), on the held-out last weeks")


if __name__ == "__main__":
    main()
