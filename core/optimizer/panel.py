"""Daily history as dense arrays: one row per placement, one column per calendar day.

Every estimator works on this shape, so features, curves, anomalies and trends for thousands of
placements are whole-array operations instead of loops over rows. A day with no row (a gap in
the data) is NaN in every metric and flagged in `observed`.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.errors import ValidationError
from core.metrics.definitions import BASE_COLUMNS

HISTORY_COLUMNS = ("date", "platform_campaign_id", *BASE_COLUMNS)


@dataclass(frozen=True)
class Panel:
    ids: np.ndarray  # (P,) placement ids, in row order
    first_day: date
    observed: np.ndarray  # (P, D) bool: the day has a row
    metrics: dict[str, np.ndarray]  # each (P, D) float, NaN where not observed

    @property
    def n_days(self) -> int:
        return self.observed.shape[1]

    @property
    def dates(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.n_days)]

    @property
    def weekdays(self) -> np.ndarray:
        """(D,) Monday = 0."""
        return (np.arange(self.n_days) + self.first_day.weekday()) % 7

    def __getitem__(self, metric: str) -> np.ndarray:
        return self.metrics[metric]

    def filled(self, metric: str) -> np.ndarray:
        """The metric with gaps as zero (for sums)."""
        return np.nan_to_num(self.metrics[metric], nan=0.0)

    def take(self, rows: np.ndarray) -> "Panel":
        """The panel of the placements at positions `rows`, in that order."""
        return Panel(
            self.ids[rows], self.first_day, self.observed[rows], {k: v[rows] for k, v in self.metrics.items()}
        )


def clean_history(history: pd.DataFrame) -> pd.DataFrame:
    """The history with proper types, or ValidationError naming what is wrong with it."""
    if not isinstance(history, pd.DataFrame):
        raise ValidationError({"history": "must be a table (a DataFrame)"})
    missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
    if missing:
        raise ValidationError({"history": f"missing required columns: {', '.join(missing)}"})
    if history.empty:
        raise ValidationError({"history": "has no rows"})
    frame = pd.DataFrame({"platform_campaign_id": history["platform_campaign_id"]})
    dates = pd.to_datetime(history["date"], errors="coerce", format="mixed")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0]) + 1
        raise ValidationError({"date": f"row {row}: must be a date (YYYY-MM-DD)"})
    frame["date"] = dates.dt.normalize()
    for column in BASE_COLUMNS:
        values = pd.to_numeric(history[column], errors="coerce").astype(float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            raise ValidationError({column: f"row {row}: must be a finite, non-negative number"})
        frame[column] = values
    if frame["platform_campaign_id"].isna().any():
        raise ValidationError({"platform_campaign_id": "every row needs a placement id"})
    # The same placement and day twice (e.g. two report rows) count once, added up.
    return frame.groupby(["platform_campaign_id", "date"], as_index=False, sort=True)[
        list(BASE_COLUMNS)
    ].sum()


def build_panel(frame: pd.DataFrame, *, end: date | None = None, days: int | None = None) -> Panel:
    """Pivot a clean long history (one row per placement and day, see clean_history) to a Panel.

    `end` and `days` fix the calendar window (default: first to last date in the history).
    """
    dates = pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[D]")
    last = np.datetime64(end, "D") if end is not None else dates.max()
    first = last - np.timedelta64(days - 1, "D") if days is not None else dates.min()
    keep = (dates >= first) & (dates <= last)
    codes, ids = pd.factorize(frame["platform_campaign_id"].to_numpy()[keep], sort=True)
    day_index = (dates[keep] - first).astype(np.int64)
    shape = (len(ids), int((last - first).astype(np.int64)) + 1)
    observed = np.zeros(shape, dtype=bool)
    observed[codes, day_index] = True
    metrics = {}
    for column in BASE_COLUMNS:
        values = np.full(shape, np.nan)
        values[codes, day_index] = frame[column].to_numpy(dtype=float)[keep]
        metrics[column] = values
    return Panel(np.asarray(ids), first.astype(date), observed, metrics)
