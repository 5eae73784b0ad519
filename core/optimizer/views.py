"""Read-side views of the optimizer for any door: the company's mode and the campaigns the autopilot
may steer."""

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.listing import paginate
from core.optimizer.settings import settings_for
from core.schemas import Page
from db.enums import CampaignStatus
from db.models import Campaign


@dataclass(frozen=True, slots=True)
class AutopilotCampaign:
    id: int
    name: str
    status: str
    autopilot: bool


@dataclass(frozen=True, slots=True)
class AutopilotOverview:
    mode: str  # "approval" or "autopilot": the company's optimizer setting
    confidence_bar: float
    campaigns: Page[AutopilotCampaign]


def autopilot(session: Session, actor: Actor, *, page: int = 1, page_size: int = 25) -> AutopilotOverview:
    """The company's optimizer mode and one page of the campaigns the autopilot could steer (every
    campaign but the archived ones, by name)."""
    settings = settings_for(session, actor)
    steerable = select(Campaign.id, Campaign.name, Campaign.status, Campaign.autopilot).where(
        Campaign.company_id == actor.company_id, Campaign.status != CampaignStatus.ARCHIVED
    )
    found = paginate(session, steerable, (Campaign.name, Campaign.id), page, page_size, rows=True)
    return AutopilotOverview(
        mode=settings.mode,
        confidence_bar=settings.autopilot_confidence,
        campaigns=replace(found, items=[AutopilotCampaign(*row) for row in found.items]),
    )
