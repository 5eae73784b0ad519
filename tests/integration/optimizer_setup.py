"""Campaigns with simulated history, as the optimizer's integration tests need them."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from core.campaigns import service as campaigns
from core.platforms.registry import Connectors
from core.platforms.sync import pull_metrics
from db.models import Campaign
from tests.conftest import TODAY, Tenant

STRONG, WEAK = {"quality": 1.8}, {"quality": 0.3}


def campaign_with_history(
    session: Session,
    tenant: Tenant,
    connectors: Connectors,
    name: str,
    placements: dict[str, tuple[float, dict[str, Any]]],
    *,
    days: int = 70,
    objective: str = "conversions",
    seed: int = 0,
    **fields: Any,
) -> Campaign:
    """An active campaign whose placements ran `days` days with weekly budget changes."""
    first_day = TODAY - timedelta(days=days)
    split = {platform: Decimal(str(budget)) for platform, (budget, _) in placements.items()}
    daily = sum(split.values(), Decimal(0))
    campaign = campaigns.create(
        session,
        tenant.marketer,
        {
            "name": name,
            "objective": objective,
            "total_budget": daily * (days + 60),
            "daily_budget": daily,
            "start_date": first_day,
            "end_date": TODAY + timedelta(days=59),
            "platforms": list(split),
            "budget_split": split,
            "status": "active",
            **fields,
        },
        connectors=connectors,
    )
    rng = np.random.default_rng(seed)
    for placement in campaign.platform_campaigns:
        budget, traits = placements[placement.platform]
        factors = np.exp(rng.normal(0.0, 0.35, days // 7 + 1))
        schedule = [
            (first_day + timedelta(days=7 * week), round(budget * factor, 2), True)
            for week, factor in enumerate(factors)
            if 7 * week < days
        ]
        schedule.append((TODAY, float(budget), True))
        connectors.for_platform(placement.platform).provision(
            placement.external_id, schedule=schedule, traits={"anomaly_rate": 0.0, **traits}
        )
    pull_metrics(
        session,
        tenant.marketer,
        campaign.platform_campaigns,
        start=first_day,
        end=TODAY - timedelta(days=1),
        connectors=connectors,
    )
    return campaign


def weak_and_strong(
    session: Session, tenant: Tenant, connectors: Connectors, name: str = "Mixed"
) -> Campaign:
    """Three platforms, one of them converting at a fraction of the others' rate."""
    return campaign_with_history(
        session,
        tenant,
        connectors,
        name,
        {"google_ads": (300, STRONG), "facebook": (200, {}), "twitter": (250, WEAK)},
    )


def without_twitter(session: Session, tenant: Tenant, connectors: Connectors, name: str) -> Campaign:
    """Two platforms, one weak: a second campaign with something to propose."""
    return campaign_with_history(
        session, tenant, connectors, name, {"google_ads": (300, STRONG), "tiktok": (250, WEAK)}, seed=3
    )
