"""The metric definitions of DESIGN.md, implemented once and imported everywhere.

CTR = clicks / impressions, CPC = spend / clicks, CVR = conversions / clicks,
CPA = spend / conversions, ROAS = revenue / spend.

A ratio with a zero denominator is undefined: None (NaN in a DataFrame, NULL in SQL), never 0
and never infinity. A total over rows is a ratio of sums, never a mean of ratios: aggregate the
base columns first, then call these.
"""

import math
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import Float, case, cast
from sqlalchemy.sql import ColumnElement

from core.money import format_money

BASE_COLUMNS = ("impressions", "clicks", "conversions", "spend", "revenue")
# Platforms keep adding conversions (and their revenue) to a day for days after it.
LATE_METRICS = ("conversions", "revenue")
RATIOS: dict[str, tuple[str, str]] = {
    "ctr": ("clicks", "impressions"),
    "cpc": ("spend", "clicks"),
    "cvr": ("conversions", "clicks"),
    "cpa": ("spend", "conversions"),
    "roas": ("revenue", "spend"),
}
# Lower is better for these; higher is better for the rest.
COST_RATIOS = frozenset({"cpc", "cpa"})

Number = int | float | Decimal


def ratio(numerator: Number | None, denominator: Number | None) -> float | None:
    """numerator / denominator, or None when the denominator is zero or missing."""
    if numerator is None or denominator is None:
        return None
    numerator, denominator = float(numerator), float(denominator)
    if denominator == 0 or not math.isfinite(numerator) or not math.isfinite(denominator):
        return None
    value = numerator / denominator
    return value if math.isfinite(value) else None  # a denormal denominator can overflow


def ratios(totals: dict[str, Number]) -> dict[str, float | None]:
    """All five ratios from summed base metrics."""
    return {name: ratio(totals.get(num), totals.get(den)) for name, (num, den) in RATIOS.items()}


def add_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` with ctr, cpc, cvr, cpa and roas columns computed from its base columns."""
    frame = frame.copy()
    for name, (num, den) in RATIOS.items():
        numerator = frame[num].astype(float)
        denominator = frame[den].astype(float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            quotient = numerator / denominator
        frame[name] = quotient.where((denominator != 0) & np.isfinite(quotient))
    return frame


def sql_ratio(numerator: ColumnElement, denominator: ColumnElement) -> ColumnElement:
    """The same rule in SQL: NULL unless the denominator is positive."""
    return case((denominator > 0, cast(numerator, Float) / denominator), else_=None)


def efficiency_metric(objective: str) -> str:
    """The ratio that says whether a campaign works: ROAS when it sells, CPA otherwise."""
    return "roas" if objective == "sales" else "cpa"


def format_ratio(name: str, value: float | None) -> str:
    """How a ratio reads on screen: '—' when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if name in ("ctr", "cvr"):
        return f"{value:.2%}"
    if name == "roas":
        return f"{value:.2f}×"
    return format_money(value)
