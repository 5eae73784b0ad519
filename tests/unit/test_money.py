from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.money import split_amount, to_money

amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
weights = st.lists(
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False), min_size=1, max_size=12
)


@settings(max_examples=300, derandomize=True)
@given(total=amounts, weights=weights)
def test_split_sums_to_the_cent_and_follows_the_weights(total: Decimal, weights: list[float]) -> None:
    parts = split_amount(total, weights)

    assert sum(parts) == total
    assert all(p >= 0 and p == p.quantize(Decimal("0.01")) for p in parts)
    weight_sum = sum(Decimal(str(w)) for w in weights)
    if weight_sum > 0:
        for part, weight in zip(parts, weights, strict=True):
            exact = total * Decimal(str(weight)) / weight_sum
            assert abs(part - exact) < Decimal("0.01")


def test_split_gives_leftover_cents_to_the_largest_remainders() -> None:
    assert split_amount("100.00", [1, 1, 1]) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert split_amount("0.05", [0, 0]) == [Decimal("0.03"), Decimal("0.02")]
    assert split_amount("10", [3, 1]) == [Decimal("7.50"), Decimal("2.50")]


def test_split_refuses_impossible_requests() -> None:
    with pytest.raises(ValueError):
        split_amount("-1", [1])
    with pytest.raises(ValueError):
        split_amount("1", [])
    with pytest.raises(ValueError):
        split_amount("1", [1, -1])


def test_to_money_rounds_half_up_to_cents() -> None:
    assert to_money("2.675") == Decimal("2.68")
    assert to_money(0.1 + 0.2) == Decimal("0.30")
    assert to_money(3) == Decimal("3.00")
