from datetime import date

import pandas as pd
import pytest

from core.errors import ValidationError
from core.metrics.service import data_quality_notes, validate_frame


def frame(**overrides: list) -> pd.DataFrame:
    data = {
        "platform_campaign_id": [1, 1, 2],
        "date": ["2026-10-01", "2026-10-02", "2026-10-01"],
        "impressions": [1000, 0, 500],
        "clicks": [10, 0, 5],
        "conversions": [2, 1, 0],
        "spend": [12.346, 0, 3],
        "revenue": [40, 0, 0],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def test_clean_rows_come_back_typed_and_rounded_to_cents() -> None:
    clean = validate_frame(frame())
    assert clean["date"].tolist() == [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 1)]
    assert clean["spend"].tolist() == [12.35, 0.0, 3.0]
    assert clean["impressions"].dtype == "int64"


@pytest.mark.parametrize(
    ("column", "values", "why"),
    [
        ("spend", [1, -5, 1], "must not be negative"),
        ("clicks", [1, 2.5, 1], "must be a whole number"),
        ("impressions", [1, float("nan"), 1], "must be a finite number"),
        ("revenue", [1, float("inf"), 1], "must be a finite number"),
        ("conversions", [1, "lots", 1], "must be a finite number"),
        ("date", ["2026-10-01", "yesterday", "2026-10-01"], "must be a date (YYYY-MM-DD)"),
    ],
)
def test_a_bad_row_refuses_the_frame_naming_row_column_and_value(column: str, values: list, why: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_frame(frame(**{column: values}))
    [problem] = caught.value.rows
    assert problem["row"] == 2
    assert problem["column"] == column
    assert problem["message"] == why


def test_the_same_day_twice_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_frame(frame(date=["2026-10-01", "2026-10-01", "2026-10-01"]))
    assert [p["row"] for p in caught.value.rows] == [2]


def test_a_missing_column_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_frame(frame().drop(columns=["revenue"]))
    assert "revenue" in caught.value.errors["columns"]


def test_what_real_exports_contain_is_accepted_and_noted() -> None:
    odd = frame(conversions=[20, 1, 0], clicks=[10, 0, 5], spend=[12, 0, 3])

    notes = data_quality_notes(validate_frame(odd))

    assert "2 days with more conversions than clicks (view-through or attribution windows)" in notes
    assert "1 days with conversions but no spend" in notes
