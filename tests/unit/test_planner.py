"""The planner on in-memory histories with known curves: constraints, cents, targets, bands, backtests."""

from decimal import Decimal

import pandas as pd
import pytest

from core.errors import ValidationError
from core.optimizer.panel import build_panel, clean_history
from core.planner.backtest import run_backtest
from core.planner.model import build_inputs
from core.planner.plans import frontier, plan, what_if
from core.planner.schemas import PlanRequest, WhatIfRequest
from core.validation import parse
from tests.unit.optimizer_data import placement_history

# One cheap placement far from saturation, one middling, one saturated and dear.
TRUTH = {1: (0.08, 400.0), 2: (0.05, 200.0), 3: (0.03, 60.0)}


@pytest.fixture(scope="module")
def inputs():
    frame = pd.concat(
        [
            placement_history(pid, days=84, budget=150, per_dollar=b, half_saturation=k, seed=pid)
            for pid, (b, k) in TRUTH.items()
        ]
    )
    placements = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "campaign_id": [9, 9, 9],
            "platform": ["google_ads", "facebook", "twitter"],
            "objective": "conversions",
            "allocated_budget": [150.0, 150.0, 150.0],
        }
    )
    return build_inputs(build_panel(clean_history(frame)), placements)


def request(**fields) -> PlanRequest:
    return parse(PlanRequest, {"weeks": 4, "total_budget": "12600.00", **fields})


def weekly(result) -> dict[int, list[Decimal]]:
    budgets: dict[int, list[Decimal]] = {}
    for cell in sorted(result.cells, key=lambda c: (c.placement_id, c.week)):
        budgets.setdefault(cell.placement_id, []).append(cell.budget)
    return budgets


def test_a_plan_spends_its_total_to_the_cent_on_the_best_placements(inputs) -> None:
    result = plan(inputs, request(total_budget="12345.67"))

    assert result.planned_spend == result.total_budget == Decimal("12345.67")
    assert result.unallocated == Decimal("0.00")
    assert sum(c.budget for c in result.cells) == Decimal("12345.67")
    assert sum(w.budget for w in result.week_totals) == Decimal("12345.67")
    for week in result.week_totals:
        assert week.budget == sum(c.budget for c in result.cells if c.week == week.week)
    budgets = weekly(result)
    assert budgets[1][0] > budgets[2][0] > budgets[3][0]  # the unsaturated, cheap one gets most
    assert len(result.cells) == 12 and {c.week for c in result.cells} == {1, 2, 3, 4}


def test_bands_are_ordered_and_the_whole_plan_band_is_wider_than_any_week(inputs) -> None:
    result = plan(inputs, request())
    for cell in result.cells:
        for outcome in (cell.conversions, cell.revenue):
            assert 0 <= outcome.p10 <= outcome.p50 <= outcome.p90
    total = result.conversions
    assert total.p10 < total.expected < total.p90
    assert total.p90 - total.p10 > max(w.conversions.p90 - w.conversions.p10 for w in result.week_totals)
    assert total.expected == pytest.approx(sum(w.conversions.expected for w in result.week_totals), rel=1e-3)


def test_a_locked_placement_keeps_its_current_budget_every_week(inputs) -> None:
    result = plan(inputs, request(locks=[3]))
    assert weekly(result)[3] == [Decimal("1050.00")] * 4  # 7 × $150
    assert sum(c.budget for c in result.cells) == Decimal("12600.00")
    assert next(p for p in result.placements if p.placement_id == 3).locked


def test_absolute_and_relative_bounds_hold(inputs) -> None:
    run_rate_2 = float(inputs.run_rate[1])
    result = plan(
        inputs,
        request(
            bounds=[
                {"placement_id": 1, "max_budget": "250"},
                {"placement_id": 2, "min_multiple": 0.9},
                {"placement_id": 3, "min_budget": "40", "max_multiple": 0.5},
            ]
        ),
    )
    budgets = weekly(result)
    assert all(b <= Decimal("1750.00") for b in budgets[1])
    assert all(float(b) / 7 >= 0.9 * run_rate_2 - 0.01 for b in budgets[2])
    assert all(Decimal("280.00") <= b for b in budgets[3])
    assert all(float(b) / 7 <= 0.5 * float(inputs.run_rate[2]) + 0.01 for b in budgets[3])
    assert sum(c.budget for c in result.cells) == result.planned_spend


def test_the_weekly_change_cap_walks_towards_the_best_split(inputs) -> None:
    result = plan(inputs, request(max_weekly_change=0.2))
    budgets = weekly(result)
    for placement, amounts in budgets.items():
        previous = 7 * 150.0
        for amount in amounts:
            assert abs(float(amount) - previous) <= 0.2 * previous + 0.05, (placement, amounts)
            previous = float(amount)
    assert budgets[1] == sorted(budgets[1]) and budgets[3] == sorted(budgets[3], reverse=True)
    assert sum(c.budget for c in result.cells) == Decimal("12600.00")


def test_a_cap_and_maximums_that_cannot_spend_the_total_leave_the_rest_unallocated(inputs) -> None:
    result = plan(
        inputs,
        request(
            total_budget="30000",
            max_weekly_change=0.1,
            bounds=[{"placement_id": p, "max_budget": "300"} for p in (1, 2, 3)],
        ),
    )
    assert result.planned_spend < Decimal("30000.00")
    assert result.planned_spend + result.unallocated == Decimal("30000.00")
    assert sum(c.budget for c in result.cells) == result.planned_spend
    assert any("unallocated" in note for note in result.notes)


def test_target_cpa_spends_only_what_keeps_the_plan_at_the_target(inputs) -> None:
    generous = plan(inputs, request(target_cpa="30"))
    tight = plan(inputs, request(target_cpa="16"))

    assert generous.target.met and generous.planned_spend == Decimal("12600.00")
    assert tight.target.met and tight.planned_spend < Decimal("12600.00")
    assert tight.target.achieved <= 16.0
    assert float(tight.planned_spend) / tight.conversions.expected <= 16.0 * 1.02
    assert sum(c.budget for c in tight.cells) == tight.planned_spend
    # a little more spend than the plan's would break the target
    assert "past the target" in tight.target.message


def test_an_unreachable_target_says_so_and_how_close_it_gets(inputs) -> None:
    result = plan(inputs, request(target_cpa="3"))
    assert not result.target.met
    assert (
        "cannot be reached" in result.target.message and "best this plan can expect" in result.target.message
    )
    assert result.target.achieved > 3.0
    roas = plan(inputs, request(target_roas=1000))
    assert roas.objective == "revenue" and not roas.target.met


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"weeks": 0}, "weeks", "between 1 and 13"),
        ({"weeks": 14}, "weeks", "between 1 and 13"),
        ({"total_budget": "-5"}, "total_budget", "at least $0.00"),
        ({"max_weekly_change": 0}, "max_weekly_change", "above 0"),
        ({"target_cpa": "10", "target_roas": 2}, "__all__", "not both"),
    ],
)
def test_bad_requests_are_refused_with_a_message(fields, field, text) -> None:
    with pytest.raises(ValidationError) as refused:
        request(**fields)
    assert text in refused.value.errors[field]


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        (
            {"bounds": [{"placement_id": 1, "min_budget": "200", "max_budget": "100"}]},
            "bounds",
            "above the maximum",
        ),
        ({"locks": [1, 2, 3], "total_budget": "1000"}, "total_budget", "locked placements"),
        ({"bounds": [{"placement_id": 2, "min_budget": "500"}]}, "total_budget", "minimum budgets"),
        ({"locks": [77]}, "placements", "placement 77"),
        ({"target_cpa": "10", "objective": "revenue"}, "target_cpa", "conversions"),
    ],
)
def test_constraints_that_cannot_hold_are_refused_with_a_message(inputs, fields, field, text) -> None:
    with pytest.raises(ValidationError) as refused:
        plan(inputs, request(**fields))
    assert text in refused.value.errors[field]


def test_the_plan_explains_each_placement_and_warns_when_it_extrapolates(inputs) -> None:
    result = plan(inputs, request(total_budget="25200"))
    first = next(p for p in result.placements if p.placement_id == 1)
    assert first.days_of_data == 84
    assert first.spend_seen_low < first.run_rate_28d < first.spend_seen_high
    assert first.extrapolates and first.warning
    assert any("beyond anything their history has seen" in note for note in result.notes)
    assert first.marginal_planned < first.marginal_now  # more spend, flatter curve
    expected = [point.expected for point in first.curve]
    assert expected[0] == 0 and expected == sorted(expected)
    assert all(point.p10 <= point.expected * 1.5 and point.p10 <= point.p90 for point in first.curve)
    modest = plan(inputs, request(total_budget="4200"))
    assert not any(p.extrapolates for p in modest.placements)


def test_a_what_if_changes_one_placement_and_shows_current_and_best_beside_it(inputs) -> None:
    result = what_if(inputs, parse(WhatIfRequest, {"placement_id": 3, "amount": "800", "weeks": 2}))
    assert result.what_if.daily_budgets[3] == Decimal("800.00")
    assert result.what_if.daily_budgets[1] == result.what_if.daily_budgets[2] == Decimal("150.00")
    assert result.what_if.daily_total == Decimal("1100.00") == result.optimal.daily_total
    assert result.what_if.spend == Decimal("15400.00")
    assert sum(result.optimal.daily_budgets.values()) == Decimal("1100.00")
    assert result.optimal.conversions.expected > result.what_if.conversions.expected
    assert result.current.daily_total < result.what_if.daily_total
    assert result.notes  # $800 a day is far beyond what placement 3 ever spent
    with pytest.raises(ValidationError, match="placement 8"):
        what_if(inputs, parse(WhatIfRequest, {"budgets": {8: "10"}}))


def test_the_frontier_rises_ever_more_slowly(inputs) -> None:
    result = frontier(inputs, "conversions", up_to=900, points=10)
    expected = [p.objective.expected for p in result.points]
    marginal_cpa = [p.marginal_cpa for p in result.points]
    assert expected == sorted(expected)
    assert marginal_cpa == sorted(marginal_cpa)  # each dollar buys less than the one before
    assert result.points[-1].daily_total == 900
    assert all(p.objective.p10 <= p.objective.p50 <= p.objective.p90 for p in result.points)


def test_a_keep_budgets_backtest_refits_weekly_and_reports_progress() -> None:
    frame = pd.concat(
        [
            placement_history(pid, days=91, budget=150, per_dollar=b, half_saturation=k, seed=pid, vary=0.0)
            for pid, (b, k) in TRUTH.items()
        ]
    )
    panel = build_panel(clean_history(frame))
    placements = pd.DataFrame(
        {"id": [1, 2, 3], "campaign_id": [9, 9, 9], "platform": ["a", "b", "c"], "objective": "conversions"}
    ).assign(allocated_budget=150.0)
    steps = []
    kept = run_backtest(
        panel,
        placements,
        strategy="keep",
        weeks=4,
        objective="conversions",
        progress=lambda f, m: steps.append(f),
    )
    moved = run_backtest(
        panel, placements, strategy="allocator", weeks=4, objective="conversions", max_change=0.3
    )

    assert steps[0] == 0.0 and steps[-1] == 1.0 and len(steps) == 5
    assert [w.decision_day for w in kept.weeks] == [panel.dates[63 + 7 * k] for k in range(4)]
    # steady budgets: keeping them changes next to nothing, and the model saw what happened
    assert abs(kept.strategy_spend - kept.actual_spend) < 0.05 * kept.actual_spend
    assert kept.predicted_actual.p10 <= kept.actual_outcome <= kept.predicted_actual.p90
    assert moved.strategy_spend == pytest.approx(moved.actual_spend, rel=1e-6)  # same money, moved
    assert moved.difference.expected > 0 and moved.weeks[-1].changes
    assert "model estimate" in moved.caveat
    with pytest.raises(ValidationError, match="the rule set needs"):
        run_backtest(panel, placements, strategy="rules", weeks=2, objective="conversions")
    with pytest.raises(ValidationError, match="needs 14 days"):
        run_backtest(panel, placements, strategy="keep", weeks=12, objective="conversions")
