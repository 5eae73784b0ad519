"""Small, seeded histories for the optimizer's unit tests, with a known response curve."""

from datetime import date, timedelta

import numpy as np
import pandas as pd

START = date(2026, 3, 2)  # a Monday


def placement_history(
    placement_id: int,
    *,
    days: int = 56,
    budget: float = 100.0,
    per_dollar: float = 0.05,
    half_saturation: float = 200.0,
    vary: float = 0.35,
    seed: int = 0,
    order_value: float = 60.0,
) -> pd.DataFrame:
    """Daily rows of a placement with a known curve: conversions ~ Poisson(b·K·x/(K+x))."""
    rng = np.random.default_rng(seed)
    weekly = budget * np.exp(rng.normal(0.0, vary, days // 7 + 1))
    spend = np.round(np.repeat(weekly, 7)[:days] * rng.uniform(0.95, 1.0, days), 2)
    mean = per_dollar * half_saturation * spend / (half_saturation + spend)
    conversions = rng.poisson(mean).astype(float)
    clicks = rng.poisson(spend * 0.8 + 1)
    return pd.DataFrame(
        {
            "date": [START + timedelta(days=i) for i in range(days)],
            "platform_campaign_id": placement_id,
            "spend": spend,
            "impressions": clicks * 40,
            "clicks": clicks,
            "conversions": conversions,
            "revenue": np.round(conversions * order_value, 2),
        }
    )


def true_conversions(spend: np.ndarray, per_dollar: float, half_saturation: float) -> np.ndarray:
    return per_dollar * half_saturation * spend / (half_saturation + spend)
