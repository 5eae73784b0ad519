import numpy as np
import pandas as pd
import pytest

from core.errors import ValidationError
from core.optimizer import AnomalyDetector, detect_anomalies


def daily(days: int = 90, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2026-01-05", periods=days, freq="D")
    weekday = np.array([1.1, 1.1, 1.05, 1.0, 0.95, 0.8, 0.8])[dates.day_of_week]
    budget = np.where(np.arange(days) < 45, 200.0, 320.0)  # a budget change half-way
    spend = budget * rng.uniform(0.95, 1.0, days)
    conversions = rng.poisson(spend * 0.05 * weekday).astype(float)
    return pd.DataFrame({"day": dates, "spend": spend, "conversions": conversions})


def test_injected_spikes_and_outages_stand_out_and_a_budget_change_does_not() -> None:
    frame = daily()
    frame.loc[20, "spend"] *= 3.5
    frame.loc[60, "conversions"] = 0.0
    frame.loc[61, "conversions"] = 0.0
    scored = detect_anomalies(frame, "day", ["spend", "conversions"])
    flagged = set(np.flatnonzero(scored["is_anomaly"]))
    assert {20, 60} <= flagged
    assert not flagged & {44, 45, 46}  # the step in budget is not an anomaly
    assert len(flagged) <= 6
    assert scored["anomaly_score"].between(0, 1).all()


def test_rows_come_back_in_their_original_order_with_their_columns() -> None:
    frame = daily().sample(frac=1.0, random_state=1)
    scored = detect_anomalies(frame, "day", "spend")
    assert list(scored.index) == list(frame.index)
    assert list(scored.columns) == [*frame.columns, "anomaly_score", "is_anomaly"]


def test_hourly_irregular_series() -> None:
    rng = np.random.default_rng(3)
    hours = pd.date_range("2026-02-01", periods=24 * 14, freq="h")
    kept = np.sort(rng.choice(len(hours), 250, replace=False))  # irregular: a third of the hours missing
    base = 50 + 40 * np.sin(2 * np.pi * hours.hour / 24)
    values = rng.poisson(base)[kept].astype(float)
    values[100] = values[100] * 6 + 200
    frame = pd.DataFrame({"at": hours[kept].strftime("%Y-%m-%d %H:%M"), "clicks": values})
    scored = detect_anomalies(frame, "at", ["clicks"])
    assert scored["is_anomaly"].iloc[100]
    assert scored["is_anomaly"].sum() <= 8


@pytest.mark.parametrize("rows", [0, 1, 5])
def test_tiny_and_constant_series(rows: int) -> None:
    frame = pd.DataFrame({"day": pd.date_range("2026-01-01", periods=rows), "spend": [100.0] * rows})
    scored = detect_anomalies(frame, "day", ["spend"])
    assert len(scored) == rows and not scored["is_anomaly"].any()


def test_a_constant_series_flags_its_one_change() -> None:
    frame = pd.DataFrame({"day": pd.date_range("2026-01-01", periods=40), "spend": [100.0] * 40})
    frame.loc[25, "spend"] = 400.0
    scored = detect_anomalies(frame, "day", "spend")
    assert np.flatnonzero(scored["is_anomaly"]).tolist() == [25]


def test_bad_input_is_refused_naming_the_column() -> None:
    frame = daily(20)
    with pytest.raises(ValidationError, match="time_column"):
        detect_anomalies(frame, "when", ["spend"])
    with pytest.raises(ValidationError, match="value_columns"):
        detect_anomalies(frame, "day", ["cost"])
    with pytest.raises(ValidationError, match="spend"):
        detect_anomalies(frame.assign(spend="a lot"), "day", ["spend"])
    with pytest.raises(ValidationError, match="day"):
        detect_anomalies(frame.assign(day="someday"), "day", ["spend"])


def test_the_forest_scores_a_lone_point_higher_than_the_crowd() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(300, 3))
    detector = AnomalyDetector(random_state=0).fit(z)
    scores = detector.predict(np.vstack([z[:5], [[9.0, -9.0, 9.0]]]))
    assert scores[-1] > 0.8 > scores[:5].max()
    with pytest.raises(RuntimeError, match="not fitted"):
        AnomalyDetector().predict(z)
