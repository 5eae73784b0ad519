import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from core.errors import ValidationError
from core.optimizer import BudgetAllocator, allocate_budget
from tests.unit.optimizer_data import placement_history, true_conversions

# Three placements: one cheap and far from saturation, one middling, one saturated and dear.
TRUTH = {1: (0.08, 400.0), 2: (0.05, 200.0), 3: (0.03, 60.0)}


def history(days: int = 84) -> pd.DataFrame:
    return pd.concat(
        [
            placement_history(pid, days=days, budget=150, per_dollar=b, half_saturation=k, seed=pid)
            for pid, (b, k) in TRUTH.items()
        ]
    )


def true_total(budgets: dict) -> float:
    return sum(true_conversions(np.array(float(budgets[p])), *TRUTH[p]) for p in TRUTH)


def test_the_split_sums_to_the_cent_and_beats_an_equal_split() -> None:
    plan = allocate_budget(history(), "450.00", max_change=None, exploration_share=0)
    assert set(plan.budgets) == {1, 2, 3}
    assert sum(plan.budgets.values()) == Decimal("450.00")
    assert all(isinstance(v, Decimal) and v >= 0 for v in plan.budgets.values())
    assert plan.budgets[1] > plan.budgets[2] > plan.budgets[3]
    assert true_total(plan.budgets) > 1.05 * true_total({p: 150 for p in TRUTH})
    assert plan.expected_total_low < plan.expected_total < plan.expected_total_high
    assert all(plan.reasons[p] for p in TRUTH)


def test_the_change_cap_holds_each_placement_within_thirty_percent() -> None:
    current = {1: 150.0, 2: 150.0, 3: 150.0}
    plan = allocate_budget(history(), 450, current_budgets=current, max_change=0.3)
    assert all(105 <= float(amount) <= 195 for amount in plan.budgets.values())
    assert plan.budgets[1] == Decimal("195.00")
    assert "raised as far as allowed" in plan.reasons[1]
    assert plan.budgets[3] == Decimal("105.00") and "lowered as far as allowed" in plan.reasons[3]


def test_minimum_and_maximum_budgets_are_kept() -> None:
    plan = allocate_budget(history(), 450, max_change=None, min_budget={3: 100}, max_budget=250)
    assert plan.budgets[3] >= Decimal("100.00")
    assert max(plan.budgets.values()) <= Decimal("250.00")
    assert sum(plan.budgets.values()) == Decimal("450.00")


def test_an_uncertain_placement_keeps_an_exploration_budget() -> None:
    frame = pd.concat(
        [history(), placement_history(4, days=5, budget=20, per_dollar=0.0, seed=11)], ignore_index=True
    )
    explored = allocate_budget(frame, 450, max_change=None, exploration_share=0.1)
    starved = allocate_budget(frame, 450, max_change=None, exploration_share=0.0)
    assert explored.budgets[4] > starved.budgets[4]
    assert explored.budgets[4] <= Decimal("450") * Decimal("0.1")
    assert "learn" in explored.reasons[4]


def test_revenue_objective_and_a_zero_budget() -> None:
    plan = allocate_budget(history(), 300, objective="revenue")
    assert plan.objective == "revenue" and sum(plan.budgets.values()) == Decimal("300.00")
    zero = allocate_budget(history(), 0)
    assert set(zero.budgets.values()) == {Decimal("0.00")}


def test_the_plan_serialises_to_json() -> None:
    document = json.loads(json.dumps(allocate_budget(history(), 450).to_dict()))
    assert sum(Decimal(p["budget"]) for p in document["placements"]) == Decimal("450.00")
    assert {"reason", "expected", "expected_interval"} <= set(document["placements"][0])


@pytest.mark.parametrize(
    ("total", "constraints", "field"),
    [
        (-5, {}, "total_budget"),
        ("lots", {}, "total_budget"),
        (100, {"min_budget": 50}, "min_budget"),
        (1000, {"max_budget": 100}, "max_budget"),
        (100, {"min_budget": {99: 10}}, "min_budget"),
        (100, {"speed": "fast"}, "speed"),
        (100, {"objective": "likes"}, "objective"),
    ],
)
def test_impossible_requests_are_refused_naming_the_field(total, constraints, field) -> None:
    with pytest.raises(ValidationError) as refused:
        allocate_budget(history(), total, **constraints)
    assert field in refused.value.errors


def test_missing_columns_and_unfitted_use_are_refused() -> None:
    with pytest.raises(ValidationError, match="revenue"):
        allocate_budget(history().drop(columns="revenue"), 100)
    with pytest.raises(RuntimeError, match="not fitted"):
        BudgetAllocator().predict(100)
