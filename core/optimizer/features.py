"""Features of every placement at a cut-off day, from a Panel, all placements at once.

Trailing 3/7/14/28-day sums of the base metrics (cumulative sums, so any cut-off costs the same),
efficiency on the objective's outcome with a light prior (so a zero-conversion week is "few per
dollar", not undefined), recent change ratios, days with spend and the evidence behind them.
"""

import numpy as np
import pandas as pd

from core.metrics.definitions import BASE_COLUMNS
from core.optimizer.panel import Panel

WINDOWS = (3, 7, 14, 28)
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


def window_features(sums: WindowSums, end: int | np.ndarray) -> pd.DataFrame:
    """Trailing sums per placement at cut-off `end`: {metric}_{days} for every window."""
    columns = {}
    for days in WINDOWS:
        for name in (*BASE_COLUMNS, "outcome", "days"):
            columns[f"{name}_{days}"] = sums.total(name, end, days)
    return pd.DataFrame(columns)
