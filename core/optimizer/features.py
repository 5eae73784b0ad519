"""The building blocks of features: trailing sums at any cut-off, outcomes and efficiencies.

Trailing 3/7/14/28-day sums of the base metrics come from cumulative sums, so any cut-off (today,
or every past week when training) costs the same. Efficiency on the objective's outcome carries a
light prior, so a zero-conversion week is "few per dollar", not undefined. The features
themselves are assembled in core.optimizer.predictor and core.optimizer.scoring.
"""

import numpy as np

from core.metrics.definitions import BASE_COLUMNS
from core.optimizer.panel import Panel

PRIOR_OUTCOME = 0.5  # half a conversion (or order) of pseudo-evidence in every efficiency


class WindowSums:
    """Cumulative sums of a Panel's metrics, for trailing-window sums at any cut-off in O(1)."""

    def __init__(self, panel: Panel, outcome: np.ndarray) -> None:
        self.panel = panel
        self._cumulative = {
            name: np.concatenate(
                [np.zeros((len(panel.ids), 1)), np.cumsum(panel.filled(name), axis=1)], axis=1
            )
            for name in BASE_COLUMNS
        }
        self._cumulative["outcome"] = np.concatenate(
            [np.zeros((len(panel.ids), 1)), np.cumsum(outcome, axis=1)], axis=1
        )
        spending = (panel.filled("spend") > 0).astype(float)
        self._cumulative["days"] = np.concatenate(
            [np.zeros((len(panel.ids), 1)), np.cumsum(spending, axis=1)], axis=1
        )

    def total(self, name: str, end: int | np.ndarray, days: int) -> np.ndarray:
        """(P,) sum of `name` over the `days` days ending at column `end` (inclusive)."""
        cumulative = self._cumulative[name]
        end = np.broadcast_to(np.asarray(end), (cumulative.shape[0],))
        rows = np.arange(cumulative.shape[0])
        start = np.maximum(end + 1 - days, 0)
        return cumulative[rows, end + 1] - cumulative[rows, start]


def objective_outcome(panel: Panel, uses_revenue: np.ndarray) -> np.ndarray:
    """(P, D) the outcome each placement is judged on: revenue where it sells, conversions elsewhere."""
    return np.where(uses_revenue[:, None], panel.filled("revenue"), panel.filled("conversions"))


def efficiency(outcome: np.ndarray, spend: np.ndarray, prior_rate: np.ndarray | float) -> np.ndarray:
    """Outcome per dollar, with PRIOR_OUTCOME pseudo-outcomes bought at `prior_rate` per dollar."""
    prior_rate = np.maximum(prior_rate, 1e-12)
    return (outcome + PRIOR_OUTCOME) / (spend + PRIOR_OUTCOME / prior_rate)
