import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from core.metrics.definitions import add_ratios, efficiency_metric, format_ratio, ratio, ratios

counts = st.integers(min_value=0, max_value=10**7)
money = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)


def test_a_zero_denominator_is_undefined_never_zero_or_infinite() -> None:
    assert ratio(5, 0) is None
    assert ratio(0, 0) is None
    assert ratio(None, 3) is None
    assert ratio(3, 4) == 0.75
    assert ratios({"impressions": 0, "clicks": 0, "conversions": 2, "spend": 10.0, "revenue": 0}) == {
        "ctr": None,
        "cpc": None,
        "cvr": None,
        "cpa": 5.0,
        "roas": 0.0,
    }


def test_frame_ratios_are_nan_where_undefined() -> None:
    frame = pd.DataFrame(
        {
            "impressions": [1000, 0],
            "clicks": [10, 0],
            "conversions": [0, 0],
            "spend": [20.0, 0.0],
            "revenue": [0.0, 0.0],
        }
    )

    result = add_ratios(frame)

    assert result.loc[0, "ctr"] == 0.01
    assert result.loc[0, "cpc"] == 2.0
    assert math.isnan(result.loc[0, "cpa"])
    assert result.loc[0, "roas"] == 0.0
    assert result.loc[1, ["ctr", "cpc", "cvr", "cpa", "roas"]].isna().all()
    assert not np.isinf(result.select_dtypes("number").to_numpy()).any()


@settings(max_examples=200, derandomize=True)
@given(st.lists(st.tuples(counts, counts, counts, money, money), min_size=1, max_size=20))
def test_a_total_is_the_ratio_of_the_sums(rows: list[tuple[int, int, int, float, float]]) -> None:
    frame = pd.DataFrame(rows, columns=["impressions", "clicks", "conversions", "spend", "revenue"])

    total = add_ratios(frame.sum().to_frame().T).iloc[0]

    sums = frame.sum()
    for name, (num, den) in {
        "ctr": ("clicks", "impressions"),
        "cpa": ("spend", "conversions"),
        "roas": ("revenue", "spend"),
    }.items():
        expected = ratio(sums[num], sums[den])
        if expected is None:
            assert math.isnan(total[name])
        else:
            assert math.isclose(total[name], expected, rel_tol=1e-12)
            assert math.isfinite(total[name])


def test_efficiency_is_roas_for_sales_and_cpa_otherwise() -> None:
    assert efficiency_metric("sales") == "roas"
    assert efficiency_metric("leads") == "cpa"


def test_undefined_ratios_read_as_a_dash() -> None:
    assert format_ratio("cpa", None) == "—"
    assert format_ratio("roas", float("nan")) == "—"
    assert format_ratio("ctr", 0.0123) == "1.23%"
    assert format_ratio("cpa", 12.5) == "$12.50"
    assert format_ratio("roas", 2.5) == "2.50×"


def test_a_ratio_that_would_overflow_is_undefined_not_infinite() -> None:
    assert ratio(1e300, 5e-324) is None
    frame = add_ratios(
        pd.DataFrame(
            {"impressions": [0], "clicks": [0], "conversions": [5e-324], "spend": [1e300], "revenue": [0.0]}
        )
    )
    assert math.isnan(frame.loc[0, "cpa"])
