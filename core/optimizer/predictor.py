"""The performance predictor: next week's efficiency of each placement, and the score built on it.

What it predicts: a placement's outcome per dollar over the next 7 days (conversions per dollar,
the inverse of CPA; revenue per dollar, i.e. ROAS, for campaigns that sell), as a ratio to its
last four weeks. Gradient-boosted trees learn from the company's own history how far recent
weeks, trends in click-through and conversion rates, changes in spend and the amount of evidence
should move that ratio. It is trained on a time split (features before a cut-off, the target
after it; never the future) and evaluated against the naive forecast "next week is like the last
7 days" by the spend-weighted absolute error of the efficiency (equivalently, the error of next
week's conversions or revenue at the spend actually made).

performance_score, in [0, 1]: how the predicted efficiency compares with a benchmark, the
campaign's target (target CPA or ROAS) when it has one, else the company's own efficiency for
campaigns of the same kind over the last four weeks:

    score = r⁴ / (1 + r⁴),  r = predicted efficiency / benchmark

0.5 is on the benchmark. 0.8 means about 40% more conversions (or revenue) per dollar than the
benchmark, a CPA roughly 30% lower: a placement to give more money. 0.3 means about 20% fewer
per dollar, a CPA about 25% higher: worth watching. 0.2 and below (a CPA 40%+ above benchmark)
is where pausing is considered, if the evidence is sufficient.

Without a trained model (a fresh install), the prediction is the last four weeks' efficiency with
half an outcome of prior evidence: the naive, documented fallback.
"""

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from core.errors import ValidationError
from core.optimizer.features import WindowSums, efficiency, objective_outcome
from core.optimizer.panel import Panel

HORIZON_DAYS = 7
FEATURES = (
    "ratio_3",
    "ratio_7",
    "ratio_14",
    "spend_change_7",
    "ctr_change_7",
    "cvr_change_7",
    "cpc_change_7",
    "log_outcome_28",
    "log_spend_7",
    "days_28",
    "uses_revenue",
)
MIN_TRAINING_ROWS = 50


def score(predicted: np.ndarray, benchmark: np.ndarray) -> np.ndarray:
    """performance_score from predicted and benchmark efficiency (see the module docstring)."""
    ratio = np.divide(predicted, benchmark, out=np.ones_like(predicted), where=benchmark > 0)
    ratio4 = np.clip(ratio, 1e-6, 1e6) ** 4
    return ratio4 / (1.0 + ratio4)


def design(
    sums: WindowSums, uses_revenue: np.ndarray, end: np.ndarray, prior_rate: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Features at cut-off columns `end` (one per placement) and the 28-day reference efficiency."""

    def total(name: str, days: int) -> np.ndarray:
        return sums.total(name, end, days)

    reference = efficiency(total("outcome", 28), total("spend", 28), prior_rate)
    columns = {}
    for days in (3, 7, 14):
        columns[f"ratio_{days}"] = (
            efficiency(total("outcome", days), total("spend", days), reference) / reference
        )
    spend_7, spend_28 = total("spend", 7), total("spend", 28)
    columns["spend_change_7"] = np.log((spend_7 * 4 + 1) / (spend_28 + 1))
    columns["ctr_change_7"] = _change(
        total("clicks", 7), total("impressions", 7), total("clicks", 28), total("impressions", 28)
    )
    columns["cvr_change_7"] = _change(
        total("conversions", 7), total("clicks", 7), total("conversions", 28), total("clicks", 28)
    )
    columns["cpc_change_7"] = _change(spend_7, total("clicks", 7), spend_28, total("clicks", 28))
    columns["log_outcome_28"] = np.log1p(total("outcome", 28))
    columns["log_spend_7"] = np.log1p(spend_7)
    columns["days_28"] = total("days", 28)
    columns["uses_revenue"] = uses_revenue.astype(float)
    return pd.DataFrame(columns)[list(FEATURES)], reference


def _change(num_recent, den_recent, num_long, den_long) -> np.ndarray:
    """log of a recent rate over the long rate, with one pseudo-event on each side."""
    return np.log(((num_recent + 1) / (den_recent + 1)) / ((num_long + 1) / (den_long + 1)))


def training_set(
    panel: Panel, uses_revenue: np.ndarray, prior_rate: np.ndarray, *, last_end: int, step: int = 7
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Rows (placement, cut-off) whose next HORIZON_DAYS are known by column `last_end`.

    Returns features, target ratio (next-week efficiency / reference), sample weight
    (reference × next-week spend) and each row's cut-off column.
    """
    sums = WindowSums(panel, objective_outcome(panel, uses_revenue))
    frames, targets, weights, cutoffs = [], [], [], []
    for end in range(last_end - HORIZON_DAYS, 27, -step):
        ends = np.full(len(panel.ids), end)
        features, reference = design(sums, uses_revenue, ends, prior_rate)
        next_end = ends + HORIZON_DAYS
        next_spend = sums.total("spend", next_end, HORIZON_DAYS)
        next_outcome = sums.total("outcome", next_end, HORIZON_DAYS)
        usable = (next_spend > 0) & (sums.total("spend", ends, 28) > 0)
        frames.append(features[usable])
        targets.append(next_outcome[usable] / next_spend[usable] / reference[usable])
        weights.append(reference[usable] * next_spend[usable])
        cutoffs.append(ends[usable])
    if not frames:
        return pd.DataFrame(columns=list(FEATURES)), np.array([]), np.array([]), np.array([], dtype=int)
    return (
        pd.concat(frames, ignore_index=True),
        np.concatenate(targets),
        np.concatenate(weights),
        np.concatenate(cutoffs),
    )


class PerformancePredictor:
    """Predicts next-week efficiency as a ratio to the last four weeks (scikit-learn style)."""

    def __init__(self, max_iter: int = 200, learning_rate: float = 0.05, random_state: int = 0) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.random_state = random_state

    def fit(
        self, features: pd.DataFrame, target: np.ndarray, sample_weight: np.ndarray
    ) -> "PerformancePredictor":
        if len(features) < MIN_TRAINING_ROWS:
            raise ValueError(f"needs at least {MIN_TRAINING_ROWS} training rows, got {len(features)}")
        if list(features.columns) != list(FEATURES):
            raise ValueError("features must be the columns of core.optimizer.predictor.FEATURES")
        self.model_ = HistGradientBoostingRegressor(
            loss="absolute_error",
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            random_state=self.random_state,
        ).fit(features.to_numpy(), np.clip(target, 0.0, 10.0), sample_weight=sample_weight)
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise RuntimeError("PerformancePredictor is not fitted yet: call fit first")
        return np.clip(self.model_.predict(features[list(FEATURES)].to_numpy()), 0.05, 10.0)


def weighted_error(predicted_ratio: np.ndarray, target: np.ndarray, weight: np.ndarray) -> float:
    """Spend-weighted absolute error of efficiency, relative to the outcome (a WAPE)."""
    return float(np.sum(weight * np.abs(predicted_ratio - target)) / max(np.sum(weight * target), 1e-12))


def naive_ratio(features: pd.DataFrame) -> np.ndarray:
    """The naive baseline: next week is like the last 7 days."""
    return features["ratio_7"].to_numpy()


def evaluate(
    features: pd.DataFrame, target: np.ndarray, weight: np.ndarray, cutoff: np.ndarray
) -> dict[str, Any]:
    """Train on the earlier cut-offs, test on the last fifth (a week apart): model vs naive error."""
    if len(features) < 100:
        raise ValidationError(
            {"history": f"too little history to learn from ({len(features)} placement-weeks, needs 100)"}
        )
    split = np.quantile(cutoff, 0.8)
    train = cutoff <= split - HORIZON_DAYS
    test = cutoff > split
    if train.sum() < 50 or test.sum() < 20:
        raise ValidationError({"history": "too little history for a time split: needs more weeks of data"})
    model = PerformancePredictor().fit(features[train], target[train], weight[train])
    model_error = weighted_error(model.predict(features[test]), target[test], weight[test])
    naive_error = weighted_error(naive_ratio(features[test]), target[test], weight[test])
    return {
        "metric": "spend-weighted absolute error of next-week efficiency (WAPE)",
        "model_error": round(model_error, 4),
        "naive_error": round(naive_error, 4),
        "improvement": round(1 - model_error / naive_error, 4) if naive_error > 0 else None,
        "train_rows": int(train.sum()),
        "test_rows": int(test.sum()),
    }
