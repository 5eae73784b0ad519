"""Trends and forecasts.

Trend: the Theil–Sen slope (median of all pairwise slopes, robust to a bad week) of weekly log
efficiency, with the Mann–Kendall test for its significance. Weekly sums remove the weekday
rhythm; the log makes the slope a relative change per week.

Forecast: each series is a level (the last 14 days, weekday effects taken out) times a weekday
factor learnt from the last 8 weeks and shrunk towards 1 where it rests on few weeks; the
interval comes from how far the last 28 days strayed from such a fit, widening with the horizon.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

_Z80 = 1.2816  # a central 80% interval


@dataclass(frozen=True)
class Trend:
    slope: np.ndarray  # (P,) change of log efficiency per week (-0.1 ≈ 10% worse each week)
    p_value: np.ndarray  # (P,) Mann–Kendall, two-sided; 1 where there are too few weeks
    weeks: np.ndarray  # (P,) weeks that had spend


def weekly_trend(weekly_outcome: np.ndarray, weekly_spend: np.ndarray, prior_rate: np.ndarray) -> Trend:
    """Trend of efficiency over W weeks for P placements ((P, W) sums, oldest week first)."""
    prior_rate = np.maximum(np.asarray(prior_rate, dtype=float), 1e-12)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.log((weekly_outcome + 0.5) / (weekly_spend + 0.5 / prior_rate))
    level = np.where(weekly_spend > 0, level, np.nan)
    n_weeks = level.shape[1]
    first, second = np.triu_indices(n_weeks, k=1)
    difference = level[:, second] - level[:, first]
    with np.errstate(all="ignore"):
        slope = np.nanmedian(difference / (second - first), axis=1)
    valid = np.isfinite(level).sum(axis=1)
    s_statistic = np.nansum(np.sign(difference), axis=1)
    variance = valid * (valid - 1) * (2 * valid + 5) / 18.0
    with np.errstate(all="ignore"):
        z = (s_statistic - np.sign(s_statistic)) / np.sqrt(variance)
    p_value = np.where(valid >= 3, 2 * stats.norm.sf(np.abs(np.nan_to_num(z))), 1.0)
    return Trend(np.nan_to_num(slope), p_value, valid)


@dataclass(frozen=True)
class SeriesForecast:
    mean: np.ndarray  # (H,)
    low: np.ndarray  # (H,) 10th percentile
    high: np.ndarray  # (H,) 90th percentile


def forecast_series(values: np.ndarray, weekdays: np.ndarray, horizon_weekdays: np.ndarray) -> SeriesForecast:
    """Weekday-seasonal forecast of a daily series (NaN = missing day) for the given future weekdays."""
    values = np.asarray(values, dtype=float)
    recent = values[-56:]
    recent_weekdays = weekdays[-56:]
    overall = np.nanmean(recent) if np.isfinite(recent).any() else 0.0
    factors = np.ones(7)
    if overall > 0:
        for day in range(7):
            on_day = recent[recent_weekdays == day]
            on_day = on_day[np.isfinite(on_day)]
            if len(on_day):
                weight = len(on_day) / (len(on_day) + 4.0)  # few weeks: stay near 1
                factors[day] = 1.0 + weight * (on_day.mean() / overall - 1.0)
    last = values[-14:] / factors[weekdays[-14:]]
    level = np.nanmean(last) if np.isfinite(last).any() else 0.0
    mean = level * factors[horizon_weekdays]
    fitted = level * factors[weekdays[-28:]]
    with np.errstate(all="ignore"):
        residual = np.log((values[-28:] + 1.0) / (fitted + 1.0))
    spread = float(np.nanstd(residual)) if np.isfinite(residual).sum() > 2 else 0.5
    widening = np.sqrt(1.0 + np.arange(1, len(horizon_weekdays) + 1) / 14.0)
    low = (mean + 1.0) * np.exp(-_Z80 * spread * widening) - 1.0
    high = (mean + 1.0) * np.exp(_Z80 * spread * widening) - 1.0
    return SeriesForecast(mean, np.maximum(low, 0.0), high)
