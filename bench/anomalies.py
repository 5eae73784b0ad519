"""Anomaly detection on the simulator's injected anomalies, beside a rolling z-score baseline.

    python -m bench.anomalies [--seeds 2001-2008] [--placements 40] [--days 120]

Each seed simulates placements on random platforms with daily budgets from $5 to $5,000 that a
marketer changes every week or two, with the simulator's own anomalies (spend spikes, delivery
drops, tracking outages, conversion spikes). `core.optimizer.detect_anomalies` scores each
placement's daily spend, impressions, clicks, conversions and revenue with no knowledge of where
the anomalies are; the baseline flags a day when any metric is more than 3 standard deviations
from its mean over the previous 14 days. Printed: precision, recall and F1 on placement-days, and
recall per kind of anomaly. Target: F1 above the baseline's. Developed on seeds 1–5.
"""

import argparse
from datetime import date

import numpy as np
import pandas as pd

from bench._support import seeds, stepped_budgets
from core.metrics.definitions import BASE_COLUMNS
from core.optimizer import detect_anomalies
from core.platforms.simulator import SimulatedWorld
from db.enums import Platform

START = date(2026, 1, 5)


def rolling_z_flags(frame: pd.DataFrame, window: int = 14, limit: float = 3.0) -> np.ndarray:
    z = pd.DataFrame(
        {
            c: (frame[c] - frame[c].rolling(window, min_periods=5).mean().shift(1))
            / frame[c].rolling(window, min_periods=5).std().shift(1)
            for c in BASE_COLUMNS
        }
    )
    return (z.abs() > limit).any(axis=1).to_numpy()


def scores(flags: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    hits = float((flags & truth).sum())
    precision = hits / max(flags.sum(), 1)
    recall = hits / max(truth.sum(), 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="2001-2008")
    parser.add_argument("--placements", type=int, default=40)
    parser.add_argument("--days", type=int, default=120)
    args = parser.parse_args()
    rows = []
    for seed in seeds(args.seeds):
        world = SimulatedWorld(seed)
        rng = np.random.default_rng(seed)
        for index in range(args.placements):
            traits = world.traits(rng.choice(list(Platform)), f"a{seed}-{index}")
            frame = world.simulate(traits, START, stepped_budgets(rng, args.days, 5, 5000))
            truth = world.anomaly_days(traits, START, args.days)
            kinds = frame["date"].map(dict(zip(truth["date"], truth["kind"], strict=True)))
            ours = detect_anomalies(frame, "date", list(BASE_COLUMNS))["is_anomaly"].to_numpy()
            kind = kinds.astype(object).fillna("").astype(str)
            rows.append(pd.DataFrame({"kind": kind, "ours": ours, "baseline": rolling_z_flags(frame)}))
    table = pd.concat(rows, ignore_index=True)
    truth = (table["kind"] != "").to_numpy()
    print(f"placement-days {len(table):,}, anomalous {truth.sum():,} ({truth.mean():.1%})")
    print(f"{'method':<28} {'precision':>9} {'recall':>7} {'F1':>6}")
    for name, column in (("detect_anomalies (ours)", "ours"), ("rolling z-score, 14 days, 3σ", "baseline")):
        precision, recall, f1 = scores(table[column].to_numpy(), truth)
        print(f"{name:<28} {precision:>9.3f} {recall:>7.3f} {f1:>6.3f}")
    print("recall by kind:")
    for kind, group in table[truth].groupby("kind"):
        print(f"  {kind:<18} ours {group['ours'].mean():.2f}   baseline {group['baseline'].mean():.2f}")


if __name__ == "__main__":
    main()
