from datetime import date
from decimal import Decimal

import pytest

from core.campaigns.schemas import CampaignCreate, CampaignUpdate
from core.errors import ValidationError
from core.validation import parse

VALID = {
    "name": "Winter Sale",
    "objective": "sales",
    "total_budget": "3000.00",
    "daily_budget": "100.00",
    "start_date": "2026-12-01",
    "end_date": "2026-12-30",
    "platforms": ["google_ads", "facebook"],
}


def refused(**changes: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        parse(CampaignCreate, {**VALID, **changes})
    return caught.value.errors


def test_a_valid_campaign_parses_with_types() -> None:
    data = parse(CampaignCreate, VALID)
    assert data.total_budget == Decimal("3000.00")
    assert data.start_date == date(2026, 12, 1)
    assert [p.value for p in data.platforms] == ["google_ads", "facebook"]
    assert data.status == "draft"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"total_budget": "-1"}, "total_budget"),
        ({"total_budget": "nan"}, "total_budget"),
        ({"total_budget": float("inf")}, "total_budget"),
        ({"total_budget": "10.001"}, "total_budget"),
        ({"daily_budget": "abc"}, "daily_budget"),
        ({"daily_budget": "3000.01"}, "daily_budget"),
        ({"end_date": "2026-11-30"}, "end_date"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"platforms": ["myspace"]}, "platforms.0"),
        ({"platforms": ["facebook", "facebook"]}, "platforms"),
        ({"objective": "world_domination"}, "objective"),
        ({"target_roas": float("nan")}, "target_roas"),
        ({"target_cpa": "-5"}, "target_cpa"),
        ({"budget_split": {"google_ads": "60.00", "facebook": "30.00"}}, "budget_split"),
        ({"budget_split": {"google_ads": "100.00"}}, "budget_split"),
        ({"status": "active", "platforms": []}, "platforms"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_each_bad_input_is_refused_naming_its_field(changes: dict[str, object], field: str) -> None:
    errors = refused(**changes)
    assert field in errors, errors
    assert errors[field]


def test_a_split_that_adds_up_is_accepted() -> None:
    data = parse(CampaignCreate, {**VALID, "budget_split": {"google_ads": "66.67", "facebook": "33.33"}})
    assert sum(data.budget_split.values()) == Decimal("100.00")


def test_an_update_may_leave_every_field_out() -> None:
    assert parse(CampaignUpdate, {}).model_dump(exclude_unset=True) == {}
    with pytest.raises(ValidationError) as caught:
        parse(CampaignUpdate, {"name": ""})
    assert "name" in caught.value.errors
