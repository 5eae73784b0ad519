import numpy as np
import pandas as pd
import pytest

from core.errors import ValidationError
from core.optimizer import PerformancePredictor
from core.optimizer import predictor as predictors
from core.optimizer.panel import build_panel, clean_history
from core.optimizer.settings import DEFAULTS, for_company
from core.optimizer.trends import forecast_series, weekly_trend
from tests.unit.optimizer_data import placement_history


def test_the_score_reads_as_documented() -> None:
    benchmark = np.array([1.0, 1.0, 1.0, 1.0])
    scores = predictors.score(np.array([1.0, 1.41, 0.81, 0.0]), benchmark)
    assert scores[0] == pytest.approx(0.5)
    assert scores[1] == pytest.approx(0.8, abs=0.01)
    assert scores[2] == pytest.approx(0.3, abs=0.01)
    assert 0 <= scores[3] < 0.01


def test_the_predictor_learns_on_a_time_split_and_beats_the_naive_week() -> None:
    frames = [
        placement_history(i, days=140, budget=50 + 10 * i, per_dollar=0.02 + 0.002 * (i % 7), seed=i)
        for i in range(60)
    ]
    panel = build_panel(clean_history(pd.concat(frames)))
    uses_revenue = np.arange(60) % 4 == 0
    features, target, weight, cutoff = predictors.training_set(
        panel, uses_revenue, np.full(60, 0.03), last_end=panel.n_days - 1
    )
    assert (cutoff + predictors.HORIZON_DAYS <= panel.n_days - 1).all()  # targets never past the data
    train, test = cutoff < 100, cutoff >= 107
    model = PerformancePredictor().fit(features[train], target[train], weight[train])
    ours = predictors.weighted_error(model.predict(features[test]), target[test], weight[test])
    naive = predictors.weighted_error(predictors.naive_ratio(features[test]), target[test], weight[test])
    assert ours < 0.9 * naive
    with pytest.raises(RuntimeError, match="not fitted"):
        PerformancePredictor().predict(features)


def test_a_steady_decline_is_significant_and_noise_is_not() -> None:
    weeks = np.arange(6)
    spend = np.full((2, 6), 700.0)
    outcome = np.vstack([70.0 * 0.8**weeks, [70, 66, 73, 69, 71, 68]])
    trend = weekly_trend(outcome, spend, np.full(2, 0.1))
    assert trend.slope[0] == pytest.approx(np.log(0.8), abs=0.02)
    assert trend.p_value[0] < 0.05 < trend.p_value[1]


def test_the_forecast_follows_the_weekday_rhythm_with_an_interval() -> None:
    weekdays = np.arange(56) % 7
    values = np.where(weekdays >= 5, 50.0, 100.0) + np.random.default_rng(0).normal(0, 3, 56)
    result = forecast_series(values, weekdays, np.array([0, 5]))
    assert result.mean[0] > 1.5 * result.mean[1]
    assert (result.low < result.mean).all() and (result.mean < result.high).all()


def test_company_settings_override_defaults_and_bad_ones_are_named() -> None:
    settings = for_company({"optimizer": {"mode": "autopilot", "max_change": 0.2}})
    assert settings.mode == "autopilot" and settings.max_change == 0.2
    assert settings.cooldown_days == DEFAULTS.cooldown_days
    assert for_company({}) == DEFAULTS
    with pytest.raises(ValidationError, match="max_change"):
        for_company({"optimizer": {"max_change": 5}})
    with pytest.raises(ValidationError, match="shiny"):
        for_company({"optimizer": {"shiny": True}})
