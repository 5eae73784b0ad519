"""The impact ledger's arithmetic on constructed cases, and how it tempers confidence."""

import numpy as np
import pytest

from core.optimizer.impacts import did_effect, forecast_effect, is_hit, temper_confidence


def test_difference_in_differences_applies_the_controls_growth_to_the_treated_baseline() -> None:
    # treated 10/day before, 15/day after; controls grew 10% (20 → 22): without the action the
    # treated would have made 11/day, so the action added 4/day over 14 days.
    effect = did_effect(np.full(28, 10.0), np.full(14, 15.0), np.full(28, 20.0), np.full(14, 22.0))
    assert effect.value == pytest.approx(56.0)
    assert effect.low == pytest.approx(56.0) and effect.high == pytest.approx(56.0)  # no noise, no doubt


def test_a_loss_is_negative_and_noise_gives_an_interval_around_it() -> None:
    rng = np.random.default_rng(3)
    pre_t, post_t = rng.poisson(20, 28), rng.poisson(14, 14)
    pre_c, post_c = rng.poisson(30, 28), rng.poisson(30, 14)
    effect = did_effect(pre_t, post_t, pre_c, post_c, seed=1)
    point = post_t.sum() - 14 * pre_t.mean() * post_c.mean() / pre_c.mean()
    assert effect.value == pytest.approx(point)
    assert effect.low < effect.value < effect.high < 0
    assert effect == did_effect(pre_t, post_t, pre_c, post_c, seed=1)  # seeded


def test_without_comparable_placements_there_is_no_difference_in_differences() -> None:
    assert did_effect(np.ones(28), np.ones(14), np.zeros(28), np.ones(14)) is None


def test_the_forecast_effect_is_what_happened_minus_the_flat_forecast() -> None:
    weekdays = np.arange(56) % 7
    effect = forecast_effect(np.full(56, 10.0), weekdays, np.full(14, 15.0), np.arange(56, 70) % 7)
    assert effect.value == pytest.approx(70.0)
    assert effect.low <= 70.0 <= effect.high


@pytest.mark.parametrize(
    ("effect", "expected", "hit"),
    [(5.0, 10.0, True), (-1.0, 10.0, False), (0.0, None, True), (-8.0, -10.0, True), (-12.0, -10.0, False)],
)
def test_a_hit_has_the_promised_direction(effect, expected, hit) -> None:
    assert is_hit(effect, expected) is hit


def test_confidence_is_tempered_by_the_hit_rate_and_never_raised() -> None:
    assert temper_confidence(0.8, 0, 0) == 0.8
    assert temper_confidence(0.8, 10, 10) == 0.8
    assert temper_confidence(0.8, 0, 4) == pytest.approx(0.4)
    assert temper_confidence(0.8, 5, 10) == pytest.approx(0.8 * 9 / 14, abs=1e-4)
