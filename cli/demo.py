"""The demo account: a company with living, simulated campaigns, so a newcomer sees a real dashboard.

Idempotent: running it again finds what exists, creates nothing twice, and re-pulls the same
simulated history (which is deterministic), so the rows come out the same.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.campaigns import service as campaigns
from core.companies import service as companies
from core.errors import NotFound, PlatformError
from core.optimizer import service as optimizer
from core.platforms.registry import Connectors
from core.platforms.simulator import SimulatorConnector
from core.platforms.sync import pull_metrics
from core.users import service as users
from db.enums import CampaignStatus, Objective, Platform, Role
from db.models import Campaign, Company, PlatformCampaign

DEMO_COMPANY = "Demo Co"
DEMO_LOGIN = ("demo", "adflow-demo")
VIEWER_LOGIN = ("viewer", "adflow-viewer")
HISTORY_DAYS = 120
# The demo's first pass reports the anomalies of the last two weeks, not only of the last days,
# so a newcomer sees what alerts look like.
DEMO_SETTINGS = {"optimizer": {"anomaly_lookback_days": 14}}

GOOGLE, FACEBOOK, INSTAGRAM = Platform.GOOGLE_ADS, Platform.FACEBOOK, Platform.INSTAGRAM
LINKEDIN, TWITTER, TIKTOK = Platform.LINKEDIN, Platform.TWITTER, Platform.TIKTOK
STRONG, WEAK = {"quality": 1.7}, {"quality": 0.45}
NOISY = {"anomaly_rate": 0.035}


def saturated(daily_budget: float) -> dict[str, Any]:
    """Reach that is half gone at a third of the budget: more money buys little more."""
    return {"saturation_spend": daily_budget / 3.0}


@dataclass(frozen=True)
class DemoCampaign:
    name: str
    objective: Objective
    placements: dict[Platform, tuple[int, dict[str, Any]]]  # platform -> (daily budget, traits)
    status: CampaignStatus = CampaignStatus.ACTIVE
    days_left: int = 60
    description: str = ""


CAMPAIGNS = (
    DemoCampaign(
        "Black Friday Sale 2026",
        Objective.SALES,
        {GOOGLE: (400, STRONG), FACEBOOK: (250, {}), INSTAGRAM: (150, {})},
        days_left=10,
        description="Site-wide discount, search and social.",
    ),
    DemoCampaign(
        "Spring Collection Launch",
        Objective.SALES,
        {INSTAGRAM: (220, {}), TIKTOK: (180, NOISY), FACEBOOK: (160, {})},
    ),
    DemoCampaign(
        "B2B Lead Gen — Q4", Objective.LEADS, {LINKEDIN: (300, STRONG), GOOGLE: (200, {})}, days_left=35
    ),
    DemoCampaign(
        "Brand Awareness — Always On",
        Objective.AWARENESS,
        {TWITTER: (120, {}), TIKTOK: (150, {}), FACEBOOK: (130, {})},
        days_left=200,
    ),
    DemoCampaign(
        "Retargeting — Cart Abandoners",
        Objective.SALES,
        {FACEBOOK: (180, STRONG), INSTAGRAM: (120, {}), GOOGLE: (100, {})},
    ),
    DemoCampaign("App Install Push", Objective.CONVERSIONS, {TIKTOK: (260, {}), TWITTER: (140, WEAK)}),
    DemoCampaign(
        "Webinar Registrations", Objective.LEADS, {LINKEDIN: (180, {}), FACEBOOK: (90, NOISY)}, days_left=20
    ),
    DemoCampaign(
        "Holiday Gift Guide",
        Objective.SALES,
        {GOOGLE: (650, saturated(650)), INSTAGRAM: (200, {})},
        days_left=40,
    ),
    DemoCampaign("Newsletter Signups", Objective.CONVERSIONS, {TWITTER: (110, WEAK), FACEBOOK: (120, {})}),
    DemoCampaign(
        "Local Store Traffic", Objective.TRAFFIC, {GOOGLE: (150, {}), FACEBOOK: (100, {})}, days_left=90
    ),
    DemoCampaign(
        "Creator Collab — Summer", Objective.SALES, {TIKTOK: (240, NOISY), INSTAGRAM: (180, STRONG)}
    ),
    DemoCampaign("Enterprise ABM", Objective.LEADS, {LINKEDIN: (520, saturated(520)), GOOGLE: (160, {})}),
    DemoCampaign("Search — Brand Terms", Objective.CONVERSIONS, {GOOGLE: (300, STRONG)}, days_left=120),
    DemoCampaign(
        "Clearance Event",
        Objective.SALES,
        {FACEBOOK: (140, WEAK), INSTAGRAM: (90, {})},
        status=CampaignStatus.PAUSED,
    ),
    DemoCampaign(
        "Q1 Planning (draft)",
        Objective.CONVERSIONS,
        {GOOGLE: (200, {}), LINKEDIN: (100, {})},
        status=CampaignStatus.DRAFT,
        days_left=150,
    ),
)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    company_id: int
    campaigns: int
    metric_rows: int
    recommendations: int


def seed_demo(session: Session, *, today: date | None = None, seed: int = 7) -> DemoSummary:
    today = today or date.today()
    company = _company(session)
    admin = _user(session, company, DEMO_LOGIN, Role.ADMIN, "Dana Demo")
    _user(session, company, VIEWER_LOGIN, Role.VIEWER, "Vic Viewer")
    actor = Actor.for_user(admin)
    connectors = Connectors(session, today=today)
    first_day = today - timedelta(days=HISTORY_DAYS)
    rng = np.random.default_rng(seed)
    placements: list[PlatformCampaign] = []
    for spec in CAMPAIGNS:
        schedule_shape = _budget_walk(rng)  # drawn for every campaign, so the seed stays aligned
        campaign = session.scalar(
            select(Campaign).where(Campaign.company_id == company.id, Campaign.name == spec.name)
        )
        if campaign is None:
            campaign = _create_campaign(session, actor, spec, first_day, today, connectors, schedule_shape)
        if spec.status != CampaignStatus.DRAFT:
            placements.extend(campaign.platform_campaigns)
    synced = pull_metrics(
        session, actor, placements, start=first_day, end=today - timedelta(days=1), connectors=connectors
    )
    if synced.failures:
        raise PlatformError(f"The simulator could not provide the demo's history: {synced.failures}")
    # One pass in approval mode, so the demo opens with scores, alerts and pending recommendations.
    # Run again, it keeps the identical pending recommendations rather than adding copies.
    optimized = optimizer.run_for_company(session, actor, today=today, apply=False, connectors=connectors)
    return DemoSummary(
        company.id,
        len(CAMPAIGNS),
        synced.rows,
        optimized.recommendations_created + optimized.recommendations_kept,
    )


def _company(session: Session) -> Company:
    try:
        return companies.get_by_name(session, DEMO_COMPANY)
    except NotFound:
        return companies.create(session, DEMO_COMPANY, DEMO_SETTINGS)


def _user(session: Session, company: Company, login: tuple[str, str], role: Role, full_name: str):
    username, password = login
    try:
        return users.get_by_username(session, username)
    except NotFound:
        return users.create(
            session,
            company,
            {
                "username": username,
                "email": f"{username}@demo.adflow.ai",
                "password": password,
                "role": role,
                "full_name": full_name,
            },
        )


def _create_campaign(
    session: Session,
    actor: Actor,
    spec: DemoCampaign,
    first_day: date,
    today: date,
    connectors: Connectors,
    walk: list[tuple[int, float]],
) -> Campaign:
    budgets = {platform: Decimal(budget) for platform, (budget, _) in spec.placements.items()}
    daily = sum(budgets.values(), Decimal(0))
    end = today + timedelta(days=spec.days_left)
    flight_days = (end - first_day).days + 1
    campaign = campaigns.create(
        session,
        actor,
        {
            "name": spec.name,
            "description": spec.description,
            "objective": spec.objective,
            "total_budget": daily * flight_days,
            "daily_budget": daily,
            "start_date": first_day,
            "end_date": end,
            "platforms": list(budgets),
            "budget_split": budgets,
            "status": CampaignStatus.DRAFT if spec.status == CampaignStatus.DRAFT else CampaignStatus.ACTIVE,
        },
        connectors=connectors,
    )
    if spec.status == CampaignStatus.DRAFT:
        return campaign
    for placement in campaign.platform_campaigns:
        budget, traits = spec.placements[Platform(placement.platform)]
        schedule = [
            (first_day + timedelta(days=offset), round(budget * factor, 2), True) for offset, factor in walk
        ]
        schedule.append((today, float(budget), spec.status == CampaignStatus.ACTIVE))
        connector = connectors.for_platform(placement.platform)
        if not isinstance(connector, SimulatorConnector):
            raise RuntimeError(
                "The demo's history comes from the simulator; no other connector can provide it."
            )
        connector.provision(placement.external_id, schedule=schedule, traits=traits)
    if spec.status != CampaignStatus.ACTIVE:
        campaign = campaigns.set_status(session, actor, campaign.id, spec.status, connectors=connectors)
    return campaign


def _budget_walk(rng: np.random.Generator) -> list[tuple[int, float]]:
    """Budget changes every one to three weeks, as marketers make them: (day offset, factor) pairs.

    The variation matters: a response curve can only be learnt from spend that varied.
    """
    offsets, day = [], 0
    while day < HISTORY_DAYS:
        offsets.append(day)
        day += int(rng.integers(7, 22))
    factors = np.clip(np.exp(rng.normal(0.0, 0.35, len(offsets))), 0.4, 1.8)
    return list(zip(offsets, factors.tolist(), strict=True))
