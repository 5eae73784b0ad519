from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from core.platforms.simulator import PROFILES, SimulatedWorld
from db.enums import Platform

START = date(2026, 6, 1)


def run(
    world: SimulatedWorld,
    platform: Platform = Platform.FACEBOOK,
    budget: float = 200.0,
    days: int = 90,
    external_id: str = "p1",
    **overrides,
) -> pd.DataFrame:
    traits = world.traits(platform, external_id, overrides or None)
    return world.simulate(traits, START, np.full(days, budget))


def test_the_same_seed_gives_the_same_world_and_another_seed_another() -> None:
    pd.testing.assert_frame_equal(run(SimulatedWorld(7)), run(SimulatedWorld(7)))
    assert not run(SimulatedWorld(7)).equals(run(SimulatedWorld(8)))


def test_a_day_does_not_depend_on_how_much_was_asked_for() -> None:
    world = SimulatedWorld(3)
    long = run(world, days=90)
    short = run(world, days=45)
    pd.testing.assert_frame_equal(long.iloc[:45].reset_index(drop=True), short)


def test_each_platform_has_its_own_character() -> None:
    world = SimulatedWorld(11)
    cpm = {}
    for platform in Platform:
        frame = run(world, platform, anomaly_rate=0.0)
        cpm[platform] = frame["spend"].sum() / frame["impressions"].sum() * 1000
    assert len({round(v) for v in cpm.values()}) >= 5
    assert cpm[Platform.LINKEDIN] > cpm[Platform.FACEBOOK] > cpm[Platform.TWITTER]
    assert set(PROFILES) == set(Platform)


def test_returns_diminish_as_spend_grows() -> None:
    world = SimulatedWorld(5)
    traits = world.traits(Platform.GOOGLE_ADS, "curve")
    spend = np.array([50.0, 100.0, 200.0, 400.0, 800.0])
    conversions, revenue = world.expected_response(traits, spend)
    per_dollar = conversions / spend
    assert np.all(np.diff(conversions) > 0)
    assert np.all(np.diff(per_dollar) < 0)
    assert np.allclose(revenue, conversions * traits.order_value)


def test_a_weekday_rhythm_shows_in_conversions() -> None:
    world = SimulatedWorld(5)
    frame = run(world, Platform.LINKEDIN, budget=400, days=28 * 6, anomaly_rate=0.0)
    by_weekday = frame.groupby(pd.to_datetime(frame["date"]).dt.day_of_week)["clicks"].mean()
    assert by_weekday[[0, 1, 2]].mean() > 1.15 * by_weekday[[5, 6]].mean()


def test_anomalies_are_injected_and_change_the_data() -> None:
    world = SimulatedWorld(9)
    traits = world.traits(Platform.TIKTOK, "noisy", {"anomaly_rate": 0.05})
    anomalies = world.anomaly_days(traits, START, 200)
    assert len(anomalies) >= 5
    assert set(anomalies["kind"]) <= {"spend_spike", "delivery_drop", "tracking_outage", "conversion_spike"}
    clean = world.simulate(
        world.traits(Platform.TIKTOK, "noisy", {"anomaly_rate": 0.0}), START, np.full(200, 300.0)
    )
    noisy = world.simulate(traits, START, np.full(200, 300.0))
    hit = clean["date"].isin(anomalies["date"])
    assert not clean[hit].equals(noisy[hit])
    # Away from the anomalies delivery is untouched (conversions may still carry an echo).
    delivery = ["date", "impressions", "clicks", "spend"]
    pd.testing.assert_frame_equal(clean.loc[~hit, delivery], noisy.loc[~hit, delivery])


def test_a_paused_day_spends_nothing() -> None:
    world = SimulatedWorld(1)
    traits = world.traits(Platform.TWITTER, "p", {"anomaly_rate": 0.0})
    active = np.array([True, False, True])
    frame = world.simulate(traits, START, np.full(3, 100.0), active)
    assert frame.loc[1, ["spend", "impressions", "clicks"]].sum() == 0
    assert frame.loc[0, "spend"] > 90


def test_recent_days_are_reported_late_and_today_not_at_all() -> None:
    world = SimulatedWorld(2)
    traits = world.traits(Platform.GOOGLE_ADS, "lag", {"anomaly_rate": 0.0})
    full = world.simulate(traits, START, np.full(30, 500.0))
    as_of = START + timedelta(days=29)
    reported = world.simulate(traits, START, np.full(30, 500.0), as_of=as_of)
    assert reported["date"].max() == as_of - timedelta(days=1)
    assert reported["conversions"].iloc[-1] < full["conversions"].iloc[-2]
    pd.testing.assert_frame_equal(reported.iloc[:-2], full.iloc[:-3])


def test_unknown_trait_overrides_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown simulator trait"):
        SimulatedWorld().traits(Platform.FACEBOOK, "x", {"magic": 1})
