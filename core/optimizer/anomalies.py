"""Anomaly detection: a robust seasonal test per metric, and an Isolation Forest over them together.

1. The robust test. Each metric is put on a log scale (ad metrics break multiplicatively: spend
   triples, conversions vanish), then split into a level (a running median, which follows budget
   changes step for step but ignores a few odd days), a seasonal part (the median deviation per
   weekday for daily data, per hour of day for hourly data) and a residual. The residual over a
   robust scale (MAD) is a z-score that a handful of anomalies cannot inflate, unlike a mean and
   standard deviation.
2. The Isolation Forest looks at the residuals of all metrics at once, so a day whose metrics
   disagree with each other (clicks as usual, conversions gone) stands out even when no single
   metric is extreme.

anomaly_score = max((s + f) / 2, s⁴), where s = z² / (z² + 4²) for the largest |z| of the day
(0.5 at four robust standard deviations, 0.8 at eight) and f is the forest's score rescaled to
[0, 1]. Both parts must agree that a day is unusual, which keeps a merely noisy metric from
raising alarms, unless one metric is so far off (|z| beyond about 15) that it needs no second
opinion. A day is an anomaly when the score reaches the threshold (DEFAULT_THRESHOLD).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from core.errors import ValidationError

Z_HALF = 4.0  # |z| that alone gives a seasonal score of 0.5
_FOREST_WEIGHT = 0.5
DEFAULT_THRESHOLD = 0.65
_Z_CLIP = 30.0
_MIN_POINTS_FOR_FOREST = 16
_MIN_PER_SEASON = 3


@dataclass(frozen=True)
class RobustFit:
    """Per series and step: expected value (original scale) and robust z of each metric."""

    expected: np.ndarray  # (M, S, T)
    z: np.ndarray  # (M, S, T), NaN where the value is missing


def nanmedian(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Median along `axis` ignoring NaN (NaN where all are NaN), kept as a length-1 axis.

    numpy's own nanmedian loops in Python over rows; sorting once is many times faster here.
    """
    ordered = np.sort(np.moveaxis(values, axis, -1), axis=-1)  # NaN sort last
    count = np.isfinite(ordered).sum(axis=-1, keepdims=True)
    low = np.take_along_axis(ordered, np.maximum(count - 1, 0) // 2, axis=-1)
    high = np.take_along_axis(ordered, np.maximum(count, 1) // 2 - (count == 0), axis=-1)
    middle = np.where(count > 0, (low + high) / 2.0, np.nan)
    return np.moveaxis(middle, -1, axis)


def _median_of_few(parts: list[np.ndarray]) -> np.ndarray:
    """Element-wise median of a few equally shaped arrays; for 3 or 4 without sorting anything."""
    if len(parts) not in (3, 4):
        return np.median(np.stack(parts), axis=0)
    total, largest, smallest = parts[0].copy(), parts[0].copy(), parts[0].copy()
    for part in parts[1:]:
        total += part
        np.maximum(largest, part, out=largest)
        np.minimum(smallest, part, out=smallest)
    middle = total - largest - smallest
    return middle / 2.0 if len(parts) == 4 else middle


def robust_residuals(values: np.ndarray, season: np.ndarray, window: int) -> RobustFit:
    """Robust seasonal z-scores of M metrics over S series on T regular steps.

    `values` (M, S, T) non-negative with NaN for missing steps; `season` (T,) small integers
    (weekday, hour) or all zeros for no seasonality; `window` the running-median width in steps.
    """
    values = np.maximum(values, 0.0)
    # A started log (Tukey): log(x + c) with c a quarter of the series' typical positive value, so
    # a quiet day's zero is a few units away from the level, not infinitely far.
    typical = nanmedian(np.where(values > 0, values, np.nan))
    start = 0.25 * np.nan_to_num(typical, nan=1.0)
    logged = np.log(values + start)
    present = np.isfinite(logged)
    # Gaps take the last seen value for the running median only; they score nothing.
    filled = logged
    if not present.all():
        flat = pd.DataFrame(logged.reshape(-1, logged.shape[-1])).ffill(axis=1).bfill(axis=1)
        filled = flat.fillna(0.0).to_numpy().reshape(logged.shape)
    half = window // 2
    padded = np.concatenate(
        [np.repeat(filled[..., :1], half, axis=-1), filled, np.repeat(filled[..., -1:], half, axis=-1)],
        axis=-1,
    )
    # The level is the median of the days just before or just after, whichever is closer: a
    # budget change (a step) matches one side, a glitch matches neither. The day itself is left
    # out, so an odd day cannot pull its own expectation towards it.
    steps = filled.shape[-1]
    shifted = [padded[..., k : k + steps] for k in range(window)]
    before = _median_of_few(shifted[:half])
    after = _median_of_few(shifted[half + 1 :])
    # Near the ends one side is mostly padding (the edge value repeated, i.e. the day itself):
    # use a side only where it has at least two real days.
    position = np.arange(steps)
    before_real = np.minimum(half, position) >= min(2, half)
    after_real = np.minimum(half, steps - 1 - position) >= min(2, half)
    closer_before = np.abs(filled - before) <= np.abs(filled - after)
    use_before = np.where(before_real & after_real, closer_before, before_real | ~after_real)
    level = np.where(use_before, before, after)
    deviation = np.where(present, logged - level, np.nan)
    seasonal = np.zeros_like(level)
    for bucket in np.unique(season):
        columns = season == bucket
        if columns.sum() >= _MIN_PER_SEASON:
            seasonal[..., columns] = np.nan_to_num(nanmedian(deviation[..., columns]), nan=0.0)
    residual = deviation - seasonal
    center = nanmedian(residual)
    mad = 1.4826 * nanmedian(np.abs(residual - center))
    # A floor keeps an almost constant series from calling every wobble an anomaly.
    expected = np.maximum(np.exp(level + seasonal + np.nan_to_num(center)) - start, 0.0)
    # Counts are noisy by nature: a day with 2 conversions where 0.4 are usual is chance, not an
    # anomaly. A count series (whole numbers) has unit 1; a mostly-zero series of amounts (revenue
    # of a small placement) moves in units of its typical positive value; other series have none.
    whole = np.nansum(np.abs(values - np.round(values)), axis=-1, keepdims=True) == 0
    observed = np.maximum(present.sum(axis=-1, keepdims=True), 1)
    zero_share = (values == 0).sum(axis=-1, keepdims=True) / observed
    unit = np.where(whole, 1.0, np.where(zero_share >= 0.2, 4.0 * start, 0.0))
    sampling = np.sqrt(unit * (expected + 0.25 * unit)) / (expected + start)
    scale = np.maximum(np.maximum(np.nan_to_num(mad, nan=0.0), sampling), 0.03)
    z = np.clip((residual - np.nan_to_num(center)) / scale, -_Z_CLIP, _Z_CLIP)
    return RobustFit(expected, z)


def seasonal_score(z: np.ndarray) -> np.ndarray:
    """[0, 1] from the largest |z| across metrics (axis 0); 0 where nothing was observed."""
    with np.errstate(all="ignore"):
        largest = np.nan_to_num(np.nanmax(np.abs(z), axis=0), nan=0.0)
    return largest**2 / (largest**2 + Z_HALF**2)


def combine(seasonal: np.ndarray, forest: np.ndarray | None) -> np.ndarray:
    if forest is None:
        return seasonal
    return np.maximum((1 - _FOREST_WEIGHT) * seasonal + _FOREST_WEIGHT * forest, seasonal**4)


class AnomalyDetector:
    """Isolation Forest over robust residual vectors (scikit-learn style).

    fit(Z) learns what ordinary days look like from rows of per-metric z-scores (NaN allowed);
    predict(Z) returns each row's forest score rescaled to [0, 1] (0 ordinary, 1 very isolated).
    """

    def __init__(self, n_estimators: int = 100, max_samples: int = 256, random_state: int = 0) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.random_state = random_state

    def fit(self, z: np.ndarray) -> "AnomalyDetector":
        features = _features(z)
        if len(features) < _MIN_POINTS_FOR_FOREST:
            raise ValidationError(
                {"history": f"needs at least {_MIN_POINTS_FOR_FOREST} points to learn from"}
            )
        self.forest_ = IsolationForest(
            n_estimators=self.n_estimators,
            max_samples=min(self.max_samples, len(features)),
            random_state=self.random_state,
        ).fit(features)
        self.baseline_ = float(np.median(-self.forest_.score_samples(features)))
        return self

    def predict(self, z: np.ndarray) -> np.ndarray:
        if not hasattr(self, "forest_"):
            raise RuntimeError("AnomalyDetector is not fitted yet: call fit first")
        raw = -self.forest_.score_samples(_features(z))
        # The forest's raw score sits near its median for ordinary rows and tends to 1 for lone ones.
        return np.clip((raw - self.baseline_) / max(1.0 - self.baseline_, 1e-9) * 2.0, 0.0, 1.0)


def _features(z: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.asarray(z, dtype=float), nan=0.0)


def detect_anomalies(
    frame: pd.DataFrame,
    time_column: str,
    value_columns: str | list[str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Score every row of a time series for how anomalous it is; no labels needed.

    Works for daily or hourly data, regularly or irregularly spaced: the series is taken in
    time order and the season is the weekday (daily data) or hour of day (sub-daily data).
    Returns a copy of `frame` (in its original order) with `anomaly_score` in [0, 1] and
    `is_anomaly` (score >= threshold).
    """
    columns = [value_columns] if isinstance(value_columns, str) else list(value_columns)
    _check(frame, time_column, columns)
    result = frame.copy()
    if frame.empty:
        result["anomaly_score"] = pd.Series(dtype=float)
        result["is_anomaly"] = pd.Series(dtype=bool)
        return result
    times = pd.to_datetime(frame[time_column], errors="coerce", format="mixed")
    order = np.argsort(times.to_numpy(), kind="stable")
    ordered = times.iloc[order]
    values = np.stack(
        [pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)[order] for c in columns]
    )
    shift = np.nanmin(values, axis=1, keepdims=True)
    values = values - np.minimum(np.nan_to_num(shift), 0.0)  # the log scale needs non-negative values
    step = ordered.diff().median() if len(ordered) > 1 else pd.Timedelta(days=1)
    if pd.isna(step) or step < pd.Timedelta(days=1):
        season, window = ordered.dt.hour.to_numpy(), 9
    elif step < pd.Timedelta(days=7):
        season, window = ordered.dt.day_of_week.to_numpy(), 9
    else:
        season, window = np.zeros(len(ordered), dtype=int), 7
    window = max(3, min(window, 2 * (len(ordered) // 2) + 1))
    fit = robust_residuals(values[:, None, :], season, window)
    z = fit.z[:, 0, :].T  # (N, M)
    seasonal = seasonal_score(fit.z[:, 0, :])
    forest = None
    if len(z) >= _MIN_POINTS_FOR_FOREST:
        forest = AnomalyDetector().fit(z).predict(z)
    score = np.empty(len(frame))
    score[order] = combine(seasonal, forest)
    result["anomaly_score"] = score
    result["is_anomaly"] = score >= threshold
    return result


def _check(frame: pd.DataFrame, time_column: str, columns: list[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError({"frame": "must be a table (a DataFrame)"})
    if time_column not in frame.columns:
        raise ValidationError({"time_column": f"no column {time_column!r} in the data"})
    if not columns:
        raise ValidationError({"value_columns": "name at least one column to check"})
    for column in columns:
        if column not in frame.columns:
            raise ValidationError({"value_columns": f"no column {column!r} in the data"})
        if (
            not pd.api.types.is_numeric_dtype(pd.to_numeric(frame[column], errors="coerce"))
            or (pd.to_numeric(frame[column], errors="coerce").isna() & frame[column].notna()).any()
        ):
            raise ValidationError({column: "must hold numbers"})
    times = pd.to_datetime(frame[time_column], errors="coerce", format="mixed")
    if (times.isna() & frame[time_column].notna()).any() or frame[time_column].isna().any():
        raise ValidationError({time_column: "must hold a date or time on every row"})
