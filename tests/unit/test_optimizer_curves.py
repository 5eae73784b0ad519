import numpy as np
import pandas as pd
import pytest

from core.errors import ValidationError
from core.optimizer import ResponseCurveModel
from tests.unit.optimizer_data import placement_history, true_conversions


def fit(history: pd.DataFrame, **params):
    return ResponseCurveModel(**params).fit(history).curves_


def test_a_curve_learnt_from_varied_spend_matches_the_truth_where_it_was_seen() -> None:
    history = placement_history(1, days=84, budget=150, per_dollar=0.08, half_saturation=150, seed=3)
    curves = fit(history)
    spend = np.array([[100.0, 150.0, 220.0]])
    truth = true_conversions(spend[0], 0.08, 150)
    assert np.allclose(curves.expected(spend)[0], truth, rtol=0.2)
    # returns diminish: the next dollar buys less at higher spend
    marginal = curves.marginal(spend)[0]
    assert marginal[0] > marginal[1] > marginal[2] > 0


def test_quantiles_bracket_the_mean_and_samples_are_reproducible() -> None:
    curves = fit(placement_history(1, seed=1))
    low, middle, high = curves.quantiles(np.array([100.0]))[0]
    assert low < curves.expected(np.array([100.0]))[0] < high
    assert low < middle < high
    a, b = curves.sample(50, seed=4), curves.sample(50, seed=4)
    assert np.array_equal(a.beta, b.beta)


def test_constant_spend_leaves_the_curve_uncertain_but_sane() -> None:
    varied = fit(placement_history(1, vary=0.4, days=84, seed=2))
    constant = fit(placement_history(1, vary=0.0, days=84, seed=2))
    at = np.array([100.0])
    assert np.isfinite(constant.expected(at * 3)).all()
    # where spend never varied, saturation is not known: the marginal return is less certain
    assert constant.marginal_spread(at * 3)[0] > varied.marginal_spread(at * 3)[0]


def test_zero_conversions_fractional_conversions_gaps_and_a_single_day() -> None:
    zero = placement_history(1, per_dollar=0.0, seed=5)
    fractional = placement_history(2, seed=6).assign(conversions=lambda f: f["conversions"] * 0.37)
    gappy = placement_history(3, seed=7).iloc[::3]
    single = placement_history(4, days=1, seed=8)
    curves = fit(pd.concat([zero, fractional, gappy, single]))
    expected = curves.expected(np.full(4, 100.0))
    assert np.isfinite(expected).all() and (expected >= 0).all()
    assert expected[0] < 0.2 * expected[1]  # no conversions: a low rate, not zero and not undefined
    assert curves.days_observed.tolist() == [56, 56, 19, 1]


def test_the_spend_scale_does_not_matter() -> None:
    small = placement_history(1, budget=5, per_dollar=0.4, half_saturation=6, seed=9)
    large = small.assign(spend=small["spend"] * 10_000, platform_campaign_id=2)
    curves = fit(pd.concat([small, large]))
    small_spend, large_spend = curves.typical_spend
    assert large_spend == pytest.approx(small_spend * 10_000, rel=1e-3)
    ratio = curves.expected(np.array([small_spend * 2, large_spend * 2]))
    assert ratio[0] == pytest.approx(ratio[1], rel=1e-3)


def test_predict_before_fit_and_bad_parameters_are_refused() -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        ResponseCurveModel().predict(1.0)
    with pytest.raises(ValidationError, match="objective"):
        ResponseCurveModel(objective="likes").fit(placement_history(1))
    with pytest.raises(ValidationError, match="spend"):
        ResponseCurveModel().fit(placement_history(1).assign(spend=-1))
