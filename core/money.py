"""Money: Decimal cents everywhere, and splits that add up to their total to the cent."""

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_money(value: Decimal | float | int | str) -> Decimal:
    """Round an amount to cents, half up (how invoices round)."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def split_amount(total: Decimal | float | str, weights: Sequence[float | Decimal]) -> list[Decimal]:
    """Split `total` in proportion to `weights`, in whole cents that sum exactly to `total`.

    Largest-remainder method: every part gets the floor of its exact share, then the cents left
    over go to the parts with the largest remainders (ties to the earlier part). All-zero
    weights split evenly.
    """
    total_cents = int(to_money(total) / CENT)
    if total_cents < 0:
        raise ValueError("cannot split a negative amount")
    if not weights:
        raise ValueError("cannot split an amount into no parts")
    exact_weights = [Decimal(str(w)) for w in weights]
    if any(w < 0 or not w.is_finite() for w in exact_weights):
        raise ValueError("weights must be finite and non-negative")
    weight_sum = sum(exact_weights)
    if weight_sum == 0:
        exact_weights = [Decimal(1)] * len(weights)
        weight_sum = Decimal(len(weights))
    shares = [total_cents * w / weight_sum for w in exact_weights]
    cents = [int(share) for share in shares]
    leftover = total_cents - sum(cents)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - cents[i]), i))
    for i in by_remainder[:leftover]:
        cents[i] += 1
    return [Decimal(c) * CENT for c in cents]


def format_money(value: Decimal | float | int | None) -> str:
    """How an amount reads on screen: $1,234.56, -$12.00, and '—' when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    amount = to_money(value)
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"
