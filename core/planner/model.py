"""What the planner knows about each placement, and what a budget is expected to bring, with bands.

`PlannerInputs` gathers, from a placement's own daily history: the engine's response curves for
conversions and for revenue (core.optimizer.curves, the allocator's very curves), the recent run
rate and spend range, a damped efficiency trend, and how far whole weeks strayed from the curves.

The outcome of a week at a daily budget b is predicted as

    7 · f_draw(b) · trend_w · exp(e_w)

f_draw is one posterior draw of the curve (parameter uncertainty). trend_w carries the drift of
efficiency forward: the curves describe a placement as its recent weeks weighted (half-life 28
days), so about a month in the past; the Theil–Sen slope of weekly outcomes against the curve
(core.optimizer.trends, which also gives its significance) is shrunk towards 0 the less
significant it is (positive-part James–Stein, 1 − 1/z²), applied in full from that centre to now
and damped beyond (fatigue slows, seasons turn). e_w is the week's
deviation, log-normal with the spread of the placement's own weekly residuals against its
curve (count noise, drift, weekday mix), correlated from week to week and across placements
as much as the history shows. P10/P50/P90 are quantiles of these draws.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy import stats

from core.optimizer.curves import ResponseCurves, fit_curves
from core.optimizer.panel import Panel
from core.optimizer.trends import weekly_trend

OUTCOMES = ("conversions", "revenue")
QUANTILES = (0.1, 0.5, 0.9)
DRAWS = 400
RESIDUAL_WEEKS = 8
TREND_WEEKS = 8
CURVE_HALF_LIFE_DAYS = 28.0  # the engine's default, as fit_curves weighs days
# A trend is extrapolated damped (each week adds DAMPING times the last week's step), so a fall in
# efficiency is not carried on for a quarter at full speed.
DAMPING = 0.8
# Weekly residual spreads are shrunk towards the company's median with this many weeks' weight.
SHRINK_WEEKS = 3.0
DEFAULT_SPREAD = 0.25


@dataclass(frozen=True)
class OutcomeModel:
    """One outcome's curves and residual behaviour, all (P,) in the placements' order."""

    curves: ResponseCurves
    trend: np.ndarray  # change of log efficiency per week, shrunk by its significance
    centre_weeks: float  # how long before the first planned week the curves' weighted centre lies
    trend_spread: np.ndarray  # standard error of the slope: the drift is uncertain too
    spread: np.ndarray  # sd of a week's log deviation from the curve
    week_correlation: float  # between consecutive weeks of one placement
    shared: float  # share of the deviation common to all placements

    def trend_distance(self, weeks: int) -> np.ndarray:
        """(W,) weeks of drift from the curves' centre to each coming week (damped beyond now)."""
        return self.centre_weeks + np.cumsum(DAMPING ** np.arange(weeks))

    def trend_factor(self, weeks: int) -> np.ndarray:
        """(P, W) efficiency multiplier of each coming week."""
        return np.exp(self.trend[:, None] * self.trend_distance(weeks)[None, :])

    def draws(self, daily_budget: np.ndarray, seed: int = 0, n: int = DRAWS) -> np.ndarray:
        """(P, W, n) weekly outcome draws at daily budgets (P, W)."""
        daily_budget = np.asarray(daily_budget, dtype=float)
        n_placements, weeks = daily_budget.shape
        rng = np.random.default_rng(seed)
        samples = self.curves.sample(n, seed)
        response = np.stack([samples.response(daily_budget[:, w]) for w in range(weeks)], axis=1)
        own = _ar1(rng, (n_placements, weeks, n), self.week_correlation)
        common = _ar1(rng, (1, weeks, n), self.week_correlation)
        deviation = self.spread[:, None, None] * (
            np.sqrt(self.shared) * common + np.sqrt(1.0 - self.shared) * own
        )
        slope_error = self.trend_spread[:, None] * (
            np.sqrt(self.shared) * rng.standard_normal((1, n))
            + np.sqrt(1.0 - self.shared) * rng.standard_normal((n_placements, n))
        )
        deviation = deviation + slope_error[:, None, :] * self.trend_distance(weeks)[None, :, None]
        variance = (
            self.spread[:, None] ** 2
            + (self.trend_spread[:, None] * self.trend_distance(weeks)[None, :]) ** 2
        )
        # exp(e) with mean 1: the deviation widens the band without moving the expected outcome.
        noise = np.exp(deviation - 0.5 * variance[:, :, None])
        return 7.0 * response * self.trend_factor(weeks)[:, :, None] * noise

    def expected(self, daily_budget: np.ndarray) -> np.ndarray:
        """(P, W) expected weekly outcome at daily budgets (P, W)."""
        daily_budget = np.asarray(daily_budget, dtype=float)
        expected = np.stack(
            [self.curves.expected(daily_budget[:, w]) for w in range(daily_budget.shape[1])], axis=1
        )
        return 7.0 * expected * self.trend_factor(daily_budget.shape[1])

    def scaled_curves(self, week: int) -> ResponseCurves:
        """The curves with week `week`'s trend folded in (what the allocator should optimise on)."""
        factor = self.trend_factor(week + 1)[:, week]
        return replace(self.curves, beta_rate=self.curves.beta_rate / factor[:, None])


@dataclass(frozen=True)
class PlannerInputs:
    """Everything a plan, what-if or backtest needs, for P placements in one row order."""

    placements: pd.DataFrame  # id, campaign_id, platform, objective, current_budget (daily)
    last_day: date  # the last day of history
    models: dict[str, OutcomeModel]  # "conversions" and "revenue"
    run_rate: np.ndarray  # (P,) mean daily spend over the last 28 days
    spend_seen_low: np.ndarray  # (P,) lowest daily spend on a spending day
    spend_seen_high: np.ndarray  # (P,) highest daily spend
    days_of_data: np.ndarray  # (P,) days with spend

    @property
    def ids(self) -> np.ndarray:
        return self.placements["id"].to_numpy()

    @property
    def current_budget(self) -> np.ndarray:
        return self.placements["current_budget"].to_numpy(dtype=float)

    @property
    def first_planned_day(self) -> date:
        return self.last_day + timedelta(days=1)


def build_inputs(panel: Panel, placements: pd.DataFrame, *, lag_days: int = 0) -> PlannerInputs:
    """Fit what the planner needs from `panel`; `placements` (same row order) has id, campaign_id,
    platform, objective and allocated_budget (the daily budget set now; 0 or NaN: unknown, the
    run rate is used)."""
    spend = panel.filled("spend")
    settled_end = panel.n_days - lag_days
    run_rate = spend[:, -28:].mean(axis=1)
    spending = spend > 0
    spend_seen_low = np.where(spending.any(axis=1), np.where(spending, spend, np.inf).min(axis=1), 0.0)
    allocated = pd.to_numeric(placements["allocated_budget"], errors="coerce").to_numpy(dtype=float)
    frame = placements[["id", "campaign_id", "platform", "objective"]].reset_index(drop=True)
    frame["current_budget"] = np.where(np.isfinite(allocated) & (allocated > 0), allocated, run_rate)
    models = {}
    for outcome in OUTCOMES:
        curves = fit_curves(panel, objective=outcome, ignore_last_days=lag_days)
        observed = panel.filled(outcome)
        models[outcome] = _outcome_model(
            curves, spend[:, :settled_end], observed[:, :settled_end], _centre_weeks(panel.n_days, lag_days)
        )
    return PlannerInputs(
        placements=frame,
        last_day=panel.dates[-1],
        models=models,
        run_rate=run_rate,
        spend_seen_low=spend_seen_low,
        spend_seen_high=spend.max(axis=1),
        days_of_data=spending.sum(axis=1),
    )


def _centre_weeks(n_days: int, lag_days: int) -> float:
    """Weeks from the weighted centre of the days the curves were fitted on to the end of history."""
    age = np.arange(n_days, dtype=float)[::-1]
    weight = np.where(age >= lag_days, 0.5 ** (age / CURVE_HALF_LIFE_DAYS), 0.0)
    return float((age * weight).sum() / max(weight.sum(), 1e-12) / 7.0)


def _outcome_model(
    curves: ResponseCurves, spend: np.ndarray, observed: np.ndarray, centre_weeks: float
) -> OutcomeModel:
    weeks = min(spend.shape[1] // 7, max(RESIDUAL_WEEKS, TREND_WEEKS))
    if weeks == 0:
        n = len(spend)
        return OutcomeModel(
            curves, np.zeros(n), centre_weeks, np.zeros(n), np.full(n, DEFAULT_SPREAD), 0.0, 0.0
        )
    columns = slice(spend.shape[1] - 7 * weeks, spend.shape[1])
    weekly_spend = spend[:, columns].reshape(len(spend), weeks, 7).sum(axis=2)
    weekly_outcome = observed[:, columns].reshape(len(spend), weeks, 7).sum(axis=2)
    daily_expected = curves.expected(spend[:, columns])
    weekly_expected = daily_expected.reshape(len(spend), weeks, 7).sum(axis=2)

    # The drift of outcomes against the curve, week after week (saturation taken out).
    trend_weeks = min(weeks, TREND_WEEKS)
    trend = weekly_trend(
        weekly_outcome[:, -trend_weeks:], weekly_expected[:, -trend_weeks:], np.ones(len(spend))
    )
    z = stats.norm.isf(np.clip(trend.p_value, 1e-12, 1.0) / 2)
    shrink = np.clip(1.0 - 1.0 / np.maximum(z, 1e-6) ** 2, 0.0, 1.0)
    slope = np.where(trend.weeks >= 4, trend.slope * shrink, 0.0)

    residual_weeks = min(weeks, RESIDUAL_WEEKS)
    used = weekly_spend[:, -residual_weeks:] > 0
    # +1: a week of 0 against 0.3 expected conversions is no huge miss.
    residual = np.log(
        (weekly_outcome[:, -residual_weeks:] + 1.0) / (weekly_expected[:, -residual_weeks:] + 1.0)
    )
    residual -= slope[:, None] * np.arange(residual_weeks)[None, :]  # the drift is forecast, not noise
    residual = np.where(used, residual, np.nan)
    counted = used.sum(axis=1)
    with np.errstate(all="ignore"):
        own_spread = np.nanstd(residual, axis=1, ddof=1)
    own_spread = np.where(counted >= 2, own_spread, np.nan)
    pooled = float(np.nanmedian(own_spread)) if np.isfinite(own_spread).any() else DEFAULT_SPREAD
    degrees = np.maximum(counted - 1, 0)
    spread = np.sqrt(
        (degrees * np.nan_to_num(own_spread) ** 2 + SHRINK_WEEKS * pooled**2) / (degrees + SHRINK_WEEKS)
    )

    centred = residual - np.nanmean(residual, axis=1, keepdims=True) if residual_weeks >= 3 else residual
    week_correlation = _lag_one_correlation(centred) if residual_weeks >= 3 else 0.0
    shared = _shared_share(centred) if len(spend) >= 2 and residual_weeks >= 3 else 0.0
    # The slope's standard error as a least-squares fit over the weeks would have it.
    span = np.arange(trend_weeks) - (trend_weeks - 1) / 2
    trend_spread = np.where(trend.weeks >= 4, spread / np.sqrt((span**2).sum()), 0.0)
    return OutcomeModel(curves, slope, centre_weeks, trend_spread, spread, week_correlation, shared)


def _lag_one_correlation(residual: np.ndarray) -> float:
    first, second = residual[:, :-1].ravel(), residual[:, 1:].ravel()
    both = np.isfinite(first) & np.isfinite(second)
    if both.sum() < 6 or np.std(first[both]) == 0 or np.std(second[both]) == 0:
        return 0.0
    return float(np.clip(np.corrcoef(first[both], second[both])[0, 1], 0.0, 0.9))


def _shared_share(residual: np.ndarray) -> float:
    """The average correlation between placements' weekly deviations, from the variance of their mean."""
    complete = residual[np.isfinite(residual).all(axis=1)]
    if len(complete) < 2:
        return 0.0
    each = np.var(complete, axis=1, ddof=1).mean()
    if each <= 0:
        return 0.0
    of_mean = np.var(complete.mean(axis=0), ddof=1)
    n = len(complete)
    return float(np.clip((of_mean / each - 1.0 / n) / (1.0 - 1.0 / n), 0.0, 1.0))


def _ar1(rng: np.random.Generator, shape: tuple[int, int, int], rho: float) -> np.ndarray:
    """Standard normal noise along axis 1 with lag-one correlation rho."""
    shocks = rng.standard_normal(shape)
    noise = np.empty(shape)
    noise[:, 0] = shocks[:, 0]
    scale = np.sqrt(1.0 - rho**2)
    for week in range(1, shape[1]):
        noise[:, week] = rho * noise[:, week - 1] + scale * shocks[:, week]
    return noise


def band(draws: np.ndarray, axis: int = -1) -> np.ndarray:
    """P10, P50, P90 of `draws` along `axis` (moved to the last axis of the answer)."""
    return np.moveaxis(np.quantile(draws, QUANTILES, axis=axis), 0, -1)
