"""Response curves: what a placement's daily spend buys, learnt from its own history, with uncertainty.

The model, per placement, for a steady daily spend x:

    f(x) = beta · K · x / (K + x)

beta is what the first dollar buys (conversions or revenue per dollar) and K the daily spend at
which returns have halved (saturation). Spend acts through adstock: a day's effect carries over to
later days with decay theta, a_t = theta · a_(t-1) + (1 - theta) · spend_t, so the fit compares each
day's outcome with the recent spend, not only that day's.

Fitting is Bayesian on a grid: K runs over multiples of the placement's own typical spend (so $5
and $50,000 a day are the same problem), theta over a few carry-over rates, and beta has a Gamma
posterior given each grid point (Poisson likelihood with estimated over-dispersion, so fractional
conversions and revenue work too). Recent days weigh more (fatigue and seasons move the curve),
and days that fit very badly (tracking outages, bot bursts) are set aside in a second pass.
Where spend barely varied, the data cannot tell K apart and the posterior stays as wide as the
prior: that width is the honest answer, and the allocator explores there.

`ResponseCurves` is the fitted, reusable object: expected outcome, marginal return, quantiles and
posterior samples at any spend. The allocator and the planner use exactly these curves.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import signal

from core.errors import ValidationError
from core.optimizer.panel import Panel, build_panel, clean_history

OBJECTIVES = ("conversions", "revenue")
# K as multiples of the placement's typical daily spend, and the carry-over rates tried.
SATURATION_MULTIPLES = (0.3, 0.5, 0.8, 1.25, 2.0, 3.2, 5.0, 8.0, 13.0, 30.0)
CARRYOVER_RATES = (0.0, 0.3, 0.6)
# Prior on K/typical spend: log-normal around 2.5 (moderate saturation), wide.
_PRIOR_CENTER, _PRIOR_WIDTH = 2.5, 1.3
_TINY = 1e-12


@dataclass(frozen=True)
class CurveSamples:
    """Posterior draws: each column is one plausible curve per placement."""

    beta: np.ndarray  # (P, S)
    half_saturation: np.ndarray  # (P, S) $/day
    carryover: np.ndarray  # (P, S)

    def response(self, spend: np.ndarray | float) -> np.ndarray:
        """(P, S) daily outcome of each draw at steady daily `spend` ((P,) or scalar)."""
        x = np.broadcast_to(np.asarray(spend, dtype=float), self.beta.shape[:1])[:, None]
        return self.beta * self.half_saturation * x / (self.half_saturation + x)


@dataclass(frozen=True)
class ResponseCurves:
    """Fitted curves of P placements as a posterior over a (K, theta) grid with Gamma-distributed beta.

    All methods take daily spend as (P,) arrays (or (P, N) for N spend levels each) in the order
    of `ids`, and answer per placement in the same order.
    """

    ids: np.ndarray  # (P,)
    objective: str
    half_saturation: np.ndarray  # (P, G) K in $/day at each grid point
    carryover: np.ndarray  # (G,)
    weights: np.ndarray  # (P, G) posterior probability of each grid point
    beta_shape: np.ndarray  # (P, G) Gamma posterior of beta given the grid point
    beta_rate: np.ndarray  # (P, G)
    typical_spend: np.ndarray  # (P,) weighted mean daily spend on days with spend
    recent_spend: np.ndarray  # (P,) mean daily spend over the last 7 days of history
    days_observed: np.ndarray  # (P,)
    outcome_observed: np.ndarray  # (P,) total outcome in the history

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, ids) -> np.ndarray:
        """Row positions of `ids`; KeyError naming an id that has no curve."""
        position = pd.Index(self.ids).get_indexer(np.asarray(ids))
        if (position < 0).any():
            raise KeyError(f"no curve for placement {np.asarray(ids)[position < 0][0]}")
        return position

    @classmethod
    def concat(cls, parts: list["ResponseCurves"], objective: str) -> "ResponseCurves":
        """One object over several fitted sets (e.g. conversion and revenue placements)."""
        stack = {
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in (
                "ids",
                "half_saturation",
                "weights",
                "beta_shape",
                "beta_rate",
                "typical_spend",
                "recent_spend",
                "days_observed",
                "outcome_observed",
            )
        }
        return cls(objective=objective, carryover=parts[0].carryover, **stack)

    def take(self, rows: np.ndarray) -> "ResponseCurves":
        rows = np.asarray(rows)
        return ResponseCurves(
            ids=self.ids[rows],
            objective=self.objective,
            half_saturation=self.half_saturation[rows],
            carryover=self.carryover,
            weights=self.weights[rows],
            beta_shape=self.beta_shape[rows],
            beta_rate=self.beta_rate[rows],
            typical_spend=self.typical_spend[rows],
            recent_spend=self.recent_spend[rows],
            days_observed=self.days_observed[rows],
            outcome_observed=self.outcome_observed[rows],
        )

    @property
    def beta_mean(self) -> np.ndarray:
        return self.beta_shape / self.beta_rate

    def expected(self, spend: np.ndarray | float) -> np.ndarray:
        """Posterior mean daily outcome at steady daily `spend`."""
        x, squeeze = self._spend(spend)
        k = self.half_saturation[:, :, None]
        value = np.einsum("pg,pgn->pn", self.weights * self.beta_mean, k * x / (k + x))
        return value[:, 0] if squeeze else value

    def marginal(self, spend: np.ndarray | float) -> np.ndarray:
        """Posterior mean of what the next dollar of daily spend buys."""
        x, squeeze = self._spend(spend)
        k = self.half_saturation[:, :, None]
        value = np.einsum("pg,pgn->pn", self.weights * self.beta_mean, (k / (k + x)) ** 2)
        return value[:, 0] if squeeze else value

    def marginal_spread(self, spend: np.ndarray | float) -> np.ndarray:
        """(P,) coefficient of variation of the marginal return at `spend`: how unsure the curve is there."""
        x = np.broadcast_to(np.asarray(spend, dtype=float), self.ids.shape)[:, None]
        slope = (self.half_saturation / (self.half_saturation + x)) ** 2
        mean_beta = self.beta_mean
        second_beta = self.beta_shape * (self.beta_shape + 1.0) / self.beta_rate**2
        first = (self.weights * mean_beta * slope).sum(axis=1)
        second = (self.weights * second_beta * slope**2).sum(axis=1)
        spread = np.sqrt(np.maximum(second - first**2, 0.0))
        return np.divide(spread, first, out=np.full(len(first), np.inf), where=first > 0)

    def sample(self, n: int = 200, seed: int = 0) -> CurveSamples:
        """`n` posterior draws per placement (deterministic for `seed`)."""
        rng = np.random.default_rng(seed)
        cumulative = np.cumsum(self.weights, axis=1)
        cumulative[:, -1] = 1.0
        draws = rng.random((len(self), n))
        grid = (draws[:, :, None] > cumulative[:, None, :]).sum(axis=2)
        rows = np.arange(len(self))[:, None]
        shape, rate = self.beta_shape[rows, grid], self.beta_rate[rows, grid]
        return CurveSamples(
            beta=rng.gamma(shape, 1.0 / rate),
            half_saturation=self.half_saturation[rows, grid],
            carryover=self.carryover[grid],
        )

    def quantiles(
        self, spend: np.ndarray | float, q=(0.1, 0.5, 0.9), n: int = 400, seed: int = 0
    ) -> np.ndarray:
        """(P, len(q)) quantiles of the steady daily outcome at `spend` (curve uncertainty only)."""
        return np.quantile(self.sample(n, seed).response(spend), q, axis=1).T

    def _spend(self, spend: np.ndarray | float) -> tuple[np.ndarray, bool]:
        x = np.asarray(spend, dtype=float)
        squeeze = x.ndim <= 1
        x = np.broadcast_to(x.reshape(-1, 1) if x.ndim == 1 else x, (len(self), 1 if squeeze else x.shape[1]))
        return np.maximum(x, 0.0)[:, None, :], squeeze


class ResponseCurveModel:
    """Fits ResponseCurves from daily history (scikit-learn style).

    Parameters
    ----------
    objective: "conversions" (default) or "revenue": the outcome the curves describe.
    half_life_days: a day this many days old weighs half as much as yesterday.
    ignore_last_days: the newest days left out (their conversions are still being reported).
    outlier_z: days whose Pearson residual exceeds this are set aside in the second pass
        (None: no second pass).
    """

    def __init__(
        self,
        objective: str = "conversions",
        half_life_days: float = 28.0,
        ignore_last_days: int = 0,
        outlier_z: float | None = 4.0,
    ) -> None:
        self.objective = objective
        self.half_life_days = half_life_days
        self.ignore_last_days = ignore_last_days
        self.outlier_z = outlier_z

    def fit(self, history: pd.DataFrame | Panel) -> "ResponseCurveModel":
        """Learn a curve per placement from `history` (columns date, platform_campaign_id, spend, …)."""
        if self.objective not in OBJECTIVES:
            raise ValidationError({"objective": f"must be one of {', '.join(OBJECTIVES)}"})
        if self.half_life_days <= 0:
            raise ValidationError({"half_life_days": "must be positive"})
        if self.ignore_last_days < 0:
            raise ValidationError({"ignore_last_days": "must not be negative"})
        panel = history if isinstance(history, Panel) else build_panel(clean_history(history))
        self.curves_ = fit_curves(
            panel,
            objective=self.objective,
            half_life_days=self.half_life_days,
            ignore_last_days=self.ignore_last_days,
            outlier_z=self.outlier_z,
        )
        return self

    def predict(self, spend: np.ndarray | float) -> np.ndarray:
        """Expected daily outcome per placement at steady daily `spend`."""
        if not hasattr(self, "curves_"):
            raise RuntimeError("ResponseCurveModel is not fitted yet: call fit(history) first")
        return self.curves_.expected(spend)


def fit_curves(
    panel: Panel,
    *,
    objective: str = "conversions",
    half_life_days: float = 28.0,
    ignore_last_days: int = 0,
    outlier_z: float | None = 4.0,
) -> ResponseCurves:
    """The grid posterior for every placement of `panel` at once (see the module docstring)."""
    n_days = panel.n_days
    spend = panel["spend"]
    outcome = np.nan_to_num(panel[objective], nan=0.0)
    usable = panel.observed & np.isfinite(spend)
    age = (n_days - 1 - np.arange(n_days)).astype(float)
    weight = np.where(usable, 0.5 ** (age / half_life_days), 0.0)
    if ignore_last_days:
        weight[:, max(0, n_days - ignore_last_days) :] = 0.0
    # A gap in the data is not a pause: carry the last known spend through it for adstock.
    spend_filled = pd.DataFrame(spend).ffill(axis=1).fillna(0.0).to_numpy()
    spending = weight * (spend_filled > 0)
    typical = np.divide(
        (spending * spend_filled).sum(axis=1),
        spending.sum(axis=1),
        out=np.ones(len(spend)),
        where=spending.sum(axis=1) > 0,
    )
    typical = np.maximum(typical, 0.01)
    last_week = usable[:, -7:]
    recent = np.divide(
        np.where(last_week, spend[:, -7:], 0.0).sum(axis=1),
        last_week.sum(axis=1),
        out=np.zeros(len(spend)),
        where=last_week.any(axis=1),
    )
    adstocks = [_adstock(spend_filled, theta) for theta in CARRYOVER_RATES]

    grid_k = np.array(SATURATION_MULTIPLES)
    log_prior = np.tile(-0.5 * (np.log(grid_k / _PRIOR_CENTER) / _PRIOR_WIDTH) ** 2, len(CARRYOVER_RATES))
    half_saturation = typical[:, None] * np.tile(grid_k, len(CARRYOVER_RATES))[None, :]
    carryover = np.repeat(np.array(CARRYOVER_RATES), len(grid_k))

    fit = _grid_fit(outcome, weight, adstocks, half_saturation, carryover, log_prior)
    if outlier_z is not None:
        fitted = fit.map_response(adstocks, half_saturation, carryover)
        residual = (outcome - fitted) / np.sqrt(fit.dispersion[:, None] * np.maximum(fitted, 1.0))
        outliers = (np.abs(residual) > outlier_z) & (weight > 0)
        rows = np.flatnonzero(outliers.any(axis=1))
        if len(rows):  # refit only the placements that had odd days
            refit = _grid_fit(
                outcome[rows],
                np.where(outliers[rows], 0.0, weight[rows]),
                [a[rows] for a in adstocks],
                half_saturation[rows],
                carryover,
                log_prior,
            )
            fit = fit.replace_rows(rows, refit)
    return ResponseCurves(
        ids=panel.ids,
        objective=objective,
        half_saturation=half_saturation,
        carryover=np.array(carryover),
        weights=fit.weights,
        beta_shape=fit.beta_shape,
        beta_rate=fit.beta_rate,
        typical_spend=typical,
        recent_spend=recent,
        days_observed=usable.sum(axis=1),
        outcome_observed=outcome.sum(axis=1),
    )


@dataclass(frozen=True)
class _GridFit:
    weights: np.ndarray
    beta_shape: np.ndarray
    beta_rate: np.ndarray
    dispersion: np.ndarray

    def replace_rows(self, rows: np.ndarray, other: "_GridFit") -> "_GridFit":
        def merged(mine: np.ndarray, theirs: np.ndarray) -> np.ndarray:
            result = mine.copy()
            result[rows] = theirs
            return result

        return _GridFit(
            merged(self.weights, other.weights),
            merged(self.beta_shape, other.beta_shape),
            merged(self.beta_rate, other.beta_rate),
            merged(self.dispersion, other.dispersion),
        )

    def map_response(self, adstocks, half_saturation, carryover) -> np.ndarray:
        """(P, D) fitted daily outcome at each placement's most probable grid point."""
        best = self.weights.argmax(axis=1)
        rows = np.arange(len(best))
        k = half_saturation[rows, best][:, None]
        theta = carryover[best]
        fitted = np.zeros(adstocks[0].shape)
        for index, rate in enumerate(CARRYOVER_RATES):
            mask = theta == rate
            a = adstocks[index][mask]
            fitted[mask] = k[mask] * a / (k[mask] + a)
        beta = (self.beta_shape / self.beta_rate)[rows, best]
        return fitted * beta[:, None]


def _grid_fit(outcome, weight, adstocks, half_saturation, carryover, log_prior) -> _GridFit:
    n_grid = half_saturation.shape[1]
    weighted_outcome = weight * outcome
    total_outcome = weighted_outcome.sum(axis=1)
    positive = outcome > 0
    outcome_log = np.where(positive, weighted_outcome * np.log(np.where(positive, outcome, 1.0)), 0.0).sum(
        axis=1
    )
    exposure = np.empty((len(outcome), n_grid))
    outcome_log_exposure = np.empty((len(outcome), n_grid))
    for g in range(n_grid):
        a = adstocks[CARRYOVER_RATES.index(carryover[g])]
        k = half_saturation[:, g : g + 1]
        h = np.maximum(k * a / (k + a), _TINY)
        exposure[:, g] = (weight * h).sum(axis=1)
        outcome_log_exposure[:, g] = (weighted_outcome * np.log(h)).sum(axis=1)
    exposure = np.maximum(exposure, _TINY)
    beta_hat = total_outcome[:, None] / exposure
    with np.errstate(divide="ignore", invalid="ignore"):
        log_beta = np.where(beta_hat > 0, np.log(beta_hat), 0.0)
    deviance = np.maximum(
        2.0 * (outcome_log[:, None] - total_outcome[:, None] * log_beta - outcome_log_exposure), 0.0
    )
    n_effective = weight.sum(axis=1)
    dispersion = np.maximum(1.0, deviance.min(axis=1) / np.maximum(n_effective - 2.0, 1.0))
    log_post = log_prior[None, :] - deviance / (2.0 * dispersion[:, None])
    log_post -= log_post.max(axis=1, keepdims=True)
    weights = np.exp(log_post)
    weights /= weights.sum(axis=1, keepdims=True)
    # beta's Gamma prior: half an outcome's worth of evidence at the placement's own average rate.
    spend_exposure = np.maximum(exposure.max(axis=1), _TINY)
    prior_shape = 0.5
    prior_rate = prior_shape / ((total_outcome + prior_shape) / spend_exposure)
    beta_shape = np.repeat((prior_shape + total_outcome / dispersion)[:, None], n_grid, axis=1)
    beta_rate = prior_rate[:, None] + exposure / dispersion[:, None]
    return _GridFit(weights, beta_shape, beta_rate, dispersion)


def _adstock(spend: np.ndarray, theta: float) -> np.ndarray:
    """Geometric carry-over normalised to 1, starting in steady state at the first day's spend."""
    if theta == 0.0:
        return spend
    initial = theta * spend[:, :1]
    adstock, _ = signal.lfilter([1.0 - theta], [1.0, -theta], spend, axis=1, zi=initial)
    return adstock
