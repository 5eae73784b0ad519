"""The simulated ad world: how each platform turns a daily budget into results.

Each platform has a character (CPM, CTR, conversion rate, order value, weekday rhythm, how fast
creatives tire, how much of a day's effect carries over to later days, where reach saturates).
Each placement draws its own traits around its platform's, deterministically from the seed and
its id. A day's numbers depend only on the seed, the placement, the date and the budgets in
effect, never on the order or range of the calls: the noise is counter-based (a hash of
placement, stream and day), not a shared random stream.

The response to spend on a day with budget b:
    spend        ≈ b (platforms pace to 93–100% of the budget)
    impressions  = 1000/CPM · K · u^a / (1 + u^a),  u = spend / K   (reach saturates around K)
    clicks       ~ Poisson(impressions · CTR · fatigue · √weekday)
    conversions  ~ Poisson(adstock(clicks) · CVR · √weekday)   (adstock: part lands on later days)
    revenue      ~ Gamma with mean conversions · order value
Injected anomalies (spend spikes, delivery drops, tracking outages, conversion spikes) and
late-arriving conversions make the observed data as awkward as real data.
"""

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy import signal, special, stats

from db.enums import Platform


@dataclass(frozen=True, slots=True)
class PlatformProfile:
    cpm: float  # $ per 1,000 impressions at low spend
    ctr: float
    cvr: float  # conversions per click
    order_value: float  # $ revenue per conversion
    saturation_spend: float  # typical daily $ at which reach is half of its ceiling
    carryover: float  # share of a day's conversion effect that lands on later days
    fatigue_days: float  # e-folding time of creative fatigue on CTR
    weekday: tuple[float, float, float, float, float, float, float]  # Monday .. Sunday demand


PROFILES: dict[Platform, PlatformProfile] = {
    Platform.GOOGLE_ADS: PlatformProfile(
        28.0, 0.035, 0.045, 95.0, 420.0, 0.15, 720.0, (1.08, 1.10, 1.08, 1.05, 0.98, 0.85, 0.86)
    ),
    Platform.FACEBOOK: PlatformProfile(
        11.0, 0.011, 0.028, 70.0, 360.0, 0.35, 220.0, (0.97, 0.98, 0.99, 1.00, 1.00, 1.03, 1.03)
    ),
    Platform.INSTAGRAM: PlatformProfile(
        8.5, 0.0085, 0.022, 62.0, 300.0, 0.35, 160.0, (0.96, 0.97, 0.98, 0.99, 1.02, 1.05, 1.03)
    ),
    Platform.LINKEDIN: PlatformProfile(
        36.0, 0.0055, 0.035, 260.0, 260.0, 0.25, 300.0, (1.15, 1.15, 1.13, 1.10, 1.00, 0.72, 0.75)
    ),
    Platform.TWITTER: PlatformProfile(
        6.5, 0.007, 0.012, 58.0, 220.0, 0.20, 180.0, (1.00, 1.01, 1.01, 1.00, 0.99, 0.99, 1.00)
    ),
    Platform.TIKTOK: PlatformProfile(
        7.5, 0.012, 0.013, 48.0, 380.0, 0.30, 90.0, (0.92, 0.93, 0.95, 0.98, 1.05, 1.10, 1.07)
    ),
}

FATIGUE_FLOOR = 0.55
ANOMALY_RATE = 0.012  # chance that an anomaly starts on a given placement-day
ANOMALY_KINDS = ("spend_spike", "delivery_drop", "tracking_outage", "conversion_spike")
# Share of a day's conversions already reported 1, 2, 3+ days later (attribution lag).
REPORTING_COMPLETENESS = {1: 0.75, 2: 0.92}

# Independent noise streams, one per random quantity.
_PACING, _IMPRESSIONS, _CLICKS, _CONVERSIONS, _REVENUE = 1, 2, 3, 4, 5
_ANOMALY_START, _ANOMALY_KIND, _ANOMALY_SIZE, _ANOMALY_LENGTH = 6, 7, 8, 9


@dataclass(frozen=True, slots=True)
class PlacementTraits:
    """A placement's hidden character. Only the simulator and benchmarks may look at it."""

    platform: Platform
    external_id: str
    key: int
    cpm: float
    ctr: float
    cvr: float
    order_value: float
    saturation_spend: float
    shape: float
    carryover: float
    fatigue_days: float
    weekday: tuple[float, ...]
    anomaly_rate: float


class SimulatedWorld:
    """All six platforms, deterministic for `seed`."""

    def __init__(self, seed: int = 7) -> None:
        self.seed = seed

    def traits(
        self, platform: Platform | str, external_id: str, overrides: dict[str, Any] | None = None
    ) -> PlacementTraits:
        """The placement's character, drawn around its platform's profile.

        `overrides` may set `quality` (multiplies the conversion rate), `saturation_spend` ($/day),
        `order_value_factor` and `anomaly_rate`, so a scenario can ask for a weak, strong or
        saturated placement.
        """
        platform = Platform(platform)
        profile = PROFILES[platform]
        key = _placement_key(self.seed, platform, external_id)
        rng = np.random.default_rng(key)
        quality = rng.lognormal(0.0, 0.35)
        weekday = np.array(profile.weekday) * np.exp(rng.normal(0.0, 0.03, 7))
        traits = PlacementTraits(
            platform=platform,
            external_id=external_id,
            key=key,
            cpm=profile.cpm * rng.lognormal(0.0, 0.15),
            ctr=profile.ctr * rng.lognormal(0.0, 0.2),
            cvr=profile.cvr * quality,
            order_value=profile.order_value * rng.lognormal(0.0, 0.15),
            saturation_spend=profile.saturation_spend * rng.lognormal(0.0, 0.5),
            shape=rng.uniform(0.8, 1.0),
            carryover=float(np.clip(profile.carryover + rng.normal(0.0, 0.05), 0.0, 0.7)),
            fatigue_days=profile.fatigue_days * rng.lognormal(0.0, 0.2),
            weekday=tuple(weekday / weekday.mean()),
            anomaly_rate=ANOMALY_RATE,
        )
        overrides = overrides or {}
        unknown = set(overrides) - {"quality", "saturation_spend", "order_value_factor", "anomaly_rate"}
        if unknown:
            raise ValueError(f"unknown simulator trait overrides: {sorted(unknown)}")
        if "quality" in overrides:
            traits = replace(traits, cvr=profile.cvr * float(overrides["quality"]))
        if "saturation_spend" in overrides:
            traits = replace(traits, saturation_spend=float(overrides["saturation_spend"]))
        if "order_value_factor" in overrides:
            traits = replace(traits, order_value=traits.order_value * float(overrides["order_value_factor"]))
        if "anomaly_rate" in overrides:
            traits = replace(traits, anomaly_rate=float(overrides["anomaly_rate"]))
        return traits

    def simulate(
        self,
        traits: PlacementTraits,
        start: date,
        budgets: np.ndarray,
        active: np.ndarray | None = None,
        as_of: date | None = None,
    ) -> pd.DataFrame:
        """Daily metrics from `start` (the placement's first day) for len(budgets) days.

        Days on or after `as_of` are not reported yet (metrics arrive the next day); the two days
        before it still miss some late conversions. Returns date, impressions, clicks,
        conversions, spend, revenue.
        """
        budgets = np.asarray(budgets, dtype=float)
        active = np.ones(len(budgets), dtype=bool) if active is None else np.asarray(active, dtype=bool)
        days = _day_ordinals(start, len(budgets))
        day = _DayNoise(traits.key, days)
        anomaly = self._anomalies(traits, day)

        spend = np.where(active, budgets * (0.93 + 0.07 * day.uniform(_PACING)), 0.0)
        spend = spend * anomaly.spend
        mean_impressions = _reach(traits, spend) * np.exp(0.06 * special.ndtri(day.uniform(_IMPRESSIONS)))
        impressions = np.round(mean_impressions * anomaly.impressions)
        spend = np.round(spend * anomaly.impressions, 2)

        weekday_lift = np.sqrt(np.asarray(traits.weekday)[_weekdays(days)])
        fatigue = np.maximum(FATIGUE_FLOOR, np.exp(-np.arange(len(days)) / traits.fatigue_days))
        clicks = _poisson(day.uniform(_CLICKS), impressions * traits.ctr * fatigue * weekday_lift)
        carried_clicks = signal.lfilter([1.0 - traits.carryover], [1.0, -traits.carryover], clicks)
        conversions = _poisson(day.uniform(_CONVERSIONS), carried_clicks * traits.cvr * weekday_lift)
        conversions = np.round(conversions * anomaly.conversions)
        revenue = _order_values(day.uniform(_REVENUE), conversions, traits.order_value)

        frame = pd.DataFrame(
            {
                "date": [date.fromordinal(int(d)) for d in days],
                "impressions": impressions.astype(np.int64),
                "clicks": clicks.astype(np.int64),
                "conversions": conversions,
                "spend": spend,
                "revenue": revenue,
            }
        )
        if as_of is not None:
            frame = _report_as_of(frame, as_of)
        return frame

    def anomaly_days(self, traits: PlacementTraits, start: date, n_days: int) -> pd.DataFrame:
        """The injected anomalies: date and kind. Hidden truth, for benchmarks and tests only."""
        days = _day_ordinals(start, n_days)
        anomaly = self._anomalies(traits, _DayNoise(traits.key, days))
        hit = anomaly.kind >= 0
        return pd.DataFrame(
            {
                "date": [date.fromordinal(int(d)) for d in days[hit]],
                "kind": [ANOMALY_KINDS[k] for k in anomaly.kind[hit]],
            }
        )

    def expected_response(
        self, traits: PlacementTraits, daily_spend: np.ndarray | float, age_days: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Expected conversions and revenue per day at a steady daily spend, over an average week.

        Hidden truth: the true response curve, for the allocation benchmark's oracle only.
        """
        spend = np.asarray(daily_spend, dtype=float)
        fatigue = max(FATIGUE_FLOOR, float(np.exp(-age_days / traits.fatigue_days)))
        weekday_mean = float(np.mean(traits.weekday))  # √w · √w averaged over the week
        conversions = _reach(traits, spend) * traits.ctr * fatigue * traits.cvr * weekday_mean
        return conversions, conversions * traits.order_value

    def _anomalies(self, traits: PlacementTraits, day: "_DayNoise") -> "_AnomalyEffects":
        n = len(day.days)
        starts = day.uniform(_ANOMALY_START) < traits.anomaly_rate
        kinds = (day.uniform(_ANOMALY_KIND) * len(ANOMALY_KINDS)).astype(int)
        sizes = day.uniform(_ANOMALY_SIZE)
        lengths = 1 + (day.uniform(_ANOMALY_LENGTH) * 3).astype(int)
        effects = _AnomalyEffects(np.ones(n), np.ones(n), np.ones(n), np.full(n, -1))
        for i in np.flatnonzero(starts):
            span = slice(i, min(n, i + lengths[i]))
            kind = ANOMALY_KINDS[kinds[i]]
            effects.kind[span] = kinds[i]
            if kind == "spend_spike":  # a budget or bidding bug: the platform overspends
                effects.spend[span] = 2.5 + 1.5 * sizes[i]
            elif kind == "delivery_drop":  # ads disapproved or an audience gone: little delivery
                effects.impressions[span] = 0.1 + 0.2 * sizes[i]
            elif kind == "tracking_outage":  # the pixel stopped firing
                effects.conversions[span] = 0.1 * sizes[i]
            else:  # duplicate pixel fires or bot traffic
                effects.conversions[span] = 3.0 + 2.0 * sizes[i]
        return effects


@dataclass(slots=True)
class _AnomalyEffects:
    spend: np.ndarray
    impressions: np.ndarray
    conversions: np.ndarray
    kind: np.ndarray  # index into ANOMALY_KINDS, -1 on a normal day


class _DayNoise:
    """Counter-based uniforms: the same (placement, stream, day) always gives the same number."""

    def __init__(self, key: int, days: np.ndarray) -> None:
        self.key = key
        self.days = days

    def uniform(self, stream: int) -> np.ndarray:
        salted = (self.key ^ (stream * 0x632BE59BD9B4E019)) & 0xFFFFFFFFFFFFFFFF
        base = _splitmix64(np.array([salted], dtype=np.uint64))
        mixed = _splitmix64(self.days.astype(np.uint64) ^ base)
        return ((mixed >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def _splitmix64(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _placement_key(seed: int, platform: Platform, external_id: str) -> int:
    digest = hashlib.blake2b(f"{seed}|{platform}|{external_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFFFFFFFFFFFFFF


def _day_ordinals(start: date, n_days: int) -> np.ndarray:
    return np.arange(start.toordinal(), start.toordinal() + n_days, dtype=np.int64)


def _weekdays(days: np.ndarray) -> np.ndarray:
    return (days - 1) % 7  # date.fromordinal(1) is a Monday


def _reach(traits: PlacementTraits, spend: np.ndarray) -> np.ndarray:
    u = np.asarray(spend, dtype=float) / traits.saturation_spend
    saturation = u**traits.shape / (1.0 + u**traits.shape)
    return 1000.0 / traits.cpm * traits.saturation_spend * saturation


def _poisson(uniforms: np.ndarray, means: np.ndarray) -> np.ndarray:
    means = np.maximum(np.asarray(means, dtype=float), 0.0)
    draws = stats.poisson.ppf(uniforms, means)
    return np.where(means > 0, draws, 0.0)


def _order_values(uniforms: np.ndarray, conversions: np.ndarray, order_value: float) -> np.ndarray:
    """Revenue of `conversions` orders: Gamma-distributed around conversions · order value."""
    shape = np.maximum(conversions, 1e-9) * 2.0
    revenue = stats.gamma.ppf(uniforms, shape, scale=order_value / 2.0)
    return np.round(np.where(conversions > 0, revenue, 0.0), 2)


def _report_as_of(frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    lag = np.array([(as_of - d).days for d in frame["date"]])
    frame = frame[lag >= 1].copy()
    lag = lag[lag >= 1]
    completeness = np.array([REPORTING_COMPLETENESS.get(int(n), 1.0) for n in lag])
    reported = np.floor(frame["conversions"].to_numpy() * completeness)
    share = np.divide(
        reported,
        frame["conversions"].to_numpy(),
        out=np.zeros(len(lag)),
        where=frame["conversions"].to_numpy() > 0,
    )
    frame["conversions"] = reported
    frame["revenue"] = np.round(frame["revenue"].to_numpy() * share, 2)
    return frame.reset_index(drop=True)
