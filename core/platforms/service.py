"""The platforms as a company sees them: where its campaigns run, and whether each platform answers."""

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import PlatformError
from core.platforms.registry import Connectors
from db.enums import Platform
from db.models import PlatformCampaign


@dataclass(frozen=True, slots=True)
class PlatformSummary:
    platform: Platform
    label: str
    placements: int
    active_placements: int


@dataclass(frozen=True, slots=True)
class PlatformHealth:
    platform: Platform
    label: str
    reachable: bool
    message: str
    # The company's own placements on the platform (never anybody else's).
    placements: int


def get_all(session: Session, actor: Actor) -> list[PlatformSummary]:
    """Every supported platform, with how many of the company's placements run there."""
    counts = {
        platform: (total, active or 0)
        for platform, total, active in session.execute(
            select(
                PlatformCampaign.platform,
                func.count(),
                func.sum(case((PlatformCampaign.is_active, 1), else_=0)),
            )
            .where(PlatformCampaign.company_id == actor.company_id)
            .group_by(PlatformCampaign.platform)
        )
    }
    return [
        PlatformSummary(platform, platform.label, *counts.get(platform.value, (0, 0)))
        for platform in Platform
    ]


def status(
    session: Session, actor: Actor, platform: Platform | str, *, connectors: Connectors
) -> PlatformHealth:
    """Whether the platform's connector answers; when it does not, its own words say why.

    A connector's status speaks for the whole platform account (the simulator's counts every
    company's placements), so only the company's own count is passed on.
    """
    platform = Platform(platform)
    placements = session.scalar(
        select(func.count()).where(
            PlatformCampaign.company_id == actor.company_id, PlatformCampaign.platform == platform.value
        )
    )
    try:
        answer = connectors.for_platform(platform).status()
    except PlatformError as exc:
        return PlatformHealth(platform, platform.label, False, exc.message, placements or 0)
    message = f"{platform.label} answers." if answer.reachable else answer.message
    return PlatformHealth(platform, platform.label, answer.reachable, message, placements or 0)
