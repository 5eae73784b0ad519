"""Date ranges, totals, pacing and the words of the action history: pure functions, no database."""

import io
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from core.actions.views import action_label, describe_changes
from core.analytics.export import to_csv, to_excel
from core.dashboard.pacing import PaceStatus, budget_pace
from core.dashboard.service import Kpi
from core.errors import ValidationError
from core.metrics.reporting import DateRange, MetricTotals
from core.money import format_money


def test_the_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    period = DateRange(date(2026, 11, 1), date(2026, 11, 30))
    previous = period.previous()
    assert previous == DateRange(date(2026, 10, 2), date(2026, 10, 31))
    assert previous.days == period.days == 30


def test_last_days_are_complete_days_before_today() -> None:
    period = DateRange.last_days(7, today=date(2026, 11, 25))
    assert (period.start, period.end, period.days) == (date(2026, 11, 18), date(2026, 11, 24), 7)


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        DateRange(date(2026, 11, 2), date(2026, 11, 1))
    assert "end" in refused.value.errors


def test_totals_are_ratios_of_sums_and_undefined_without_a_denominator() -> None:
    frame = pd.DataFrame(
        {
            "impressions": [1000, 0],
            "clicks": [10, 0],
            "conversions": [1, 0],
            "spend": [50.0, 0.0],
            "revenue": [0.0, 0.0],
        }
    )
    totals = MetricTotals.of_frame(frame)
    assert totals.cpa == 50.0 and totals.ctr == 0.01 and totals.roas == 0.0
    assert MetricTotals.of_frame(frame.iloc[1:]).cpa is None


def test_a_kpi_change_needs_something_to_compare_with() -> None:
    assert Kpi("spend", 120.0, 100.0).change == pytest.approx(0.2)
    assert Kpi("spend", 120.0, 0.0).change is None
    assert Kpi("cpa", None, 10.0).change is None
    assert Kpi("cpa", 8.0, 10.0).lower_is_better


def pace(spent: str, *, as_of: date, end: date | None = date(2026, 11, 30)):
    return budget_pace(
        total_budget=Decimal("3000.00"),
        spent=Decimal(spent),
        start=date(2026, 11, 1),
        end=end,
        as_of=as_of,
        tolerance=0.1,
    )


def test_pacing_compares_spend_with_the_share_of_the_flight_gone() -> None:
    halfway = date(2026, 11, 16)  # 15 of 30 days complete
    assert pace("1500.00", as_of=halfway).status == PaceStatus.ON_PACE
    assert pace("1400.00", as_of=halfway).ratio == pytest.approx(1400 / 1500)
    assert pace("1800.00", as_of=halfway).status == PaceStatus.OVERSPENDING
    under = pace("900.00", as_of=halfway)
    assert under.status == PaceStatus.UNDERSPENDING
    assert under.expected_spend == Decimal("1500.00")
    assert under.days_left == 15 and under.needed_daily == Decimal("140.00")


def test_pacing_before_the_start_after_the_end_and_without_an_end() -> None:
    assert pace("0.00", as_of=date(2026, 11, 1)).status == PaceStatus.NOT_STARTED
    assert pace("0.00", as_of=date(2026, 10, 20)).ratio is None
    ended = pace("2950.00", as_of=date(2026, 12, 5))
    assert ended.status == PaceStatus.ENDED and ended.days_left == 0 and ended.needed_daily is None
    assert pace("100.00", as_of=date(2026, 11, 16), end=None) is None


def test_changes_read_as_before_and_after_with_platform_names() -> None:
    before = {
        "campaign": {"status": "active", "daily_budget": "300.00"},
        "placements": {"7": {"allocated_budget": "120.00", "is_active": True}, "8": {"is_active": True}},
    }
    after = {
        "campaign": {"status": "paused", "daily_budget": "350.00"},
        "placements": {"7": {"allocated_budget": "1500.00", "is_active": True}, "8": {"is_active": False}},
    }
    assert describe_changes(before, after, {"7": "Google Ads", "8": "TikTok"}) == [
        "Status: active → paused",
        "Daily budget: $300.00 → $350.00",
        "Google Ads daily budget: $120.00 → $1,500.00",
        "TikTok: switched off",
    ]
    assert action_label("pause_campaign") == "Paused"
    assert action_label("shift_budget") == "Shift budget"


def test_money_reads_with_a_dollar_sign_and_thousands() -> None:
    assert format_money(Decimal("1234.5")) == "$1,234.50"
    assert format_money(-12) == "-$12.00"
    assert format_money(None) == "—"


def test_exports_keep_undefined_ratios_empty() -> None:
    frame = pd.DataFrame({"Campaign": ["A", "B"], "Spend": [10.0, 0.0], "ROAS": [2.5, float("nan")]})
    assert to_csv(frame).decode().splitlines() == ["Campaign,Spend,ROAS", "A,10,2.5", "B,0,"]
    workbook = pd.read_excel(io.BytesIO(to_excel({"Campaigns": frame})), sheet_name=None)
    assert list(workbook) == ["Campaigns"]
    assert workbook["Campaigns"]["ROAS"].isna().tolist() == [False, True]
