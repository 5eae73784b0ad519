"""Shapes every report shares: a date range, and a set of totals with their ratios."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Self

import pandas as pd
from pydantic import ConfigDict

from core.errors import ValidationError
from core.metrics.definitions import BASE_COLUMNS, ratios
from db.enums import Platform


@dataclass(frozen=True, slots=True)
class DateRange:
    """Whole days from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError({"end": "must be on or after the start date"})

    @classmethod
    def last_days(cls, days: int, *, today: date) -> Self:
        """The `days` complete days before `today` (today's numbers are still coming in)."""
        return cls(today - timedelta(days=days), today - timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "DateRange":
        """The range of equal length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return DateRange(end - timedelta(days=self.days - 1), end)

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class MetricTotals:
    """Summed base metrics and the ratios taken from those sums (None, or null, where undefined)."""

    # Every field is always answered, defaults included (the API's schema says so).
    __pydantic_config__ = ConfigDict(json_schema_serialization_defaults_required=True)

    impressions: float = 0.0
    clicks: float = 0.0
    conversions: float = 0.0
    spend: float = 0.0
    revenue: float = 0.0
    ctr: float | None = None
    cpc: float | None = None
    cvr: float | None = None
    cpa: float | None = None
    roas: float | None = None

    @classmethod
    def from_sums(cls, sums: Mapping[str, float]) -> "MetricTotals":
        base = {column: float(sums.get(column) or 0.0) for column in BASE_COLUMNS}
        return cls(**base, **ratios(base))

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> "MetricTotals":
        """The totals of a frame of summed rows (a ratio of sums, never a mean of ratios)."""
        return cls.from_sums({column: frame[column].sum() for column in BASE_COLUMNS})

    def get(self, metric: str) -> float | None:
        return getattr(self, metric)


def with_platform_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with a `platform_label` column ("Google Ads") right after its `platform` column."""
    frame = frame.copy()
    frame.insert(
        frame.columns.get_loc("platform") + 1,
        "platform_label",
        frame["platform"].map(lambda p: Platform(p).label),
    )
    return frame
