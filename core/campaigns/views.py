"""Read-side lists of campaigns for pickers (a drill-down, a filter, a form)."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from db.enums import CampaignStatus
from db.models import Campaign


@dataclass(frozen=True, slots=True)
class CampaignChoice:
    id: int
    name: str
    status: str


def choices(session: Session, actor: Actor, *, include_archived: bool = False) -> list[CampaignChoice]:
    """Every campaign of the company by name (id and status only, so it stays light)."""
    query = select(Campaign.id, Campaign.name, Campaign.status).where(Campaign.company_id == actor.company_id)
    if not include_archived:
        query = query.where(Campaign.status != CampaignStatus.ARCHIVED)
    return [CampaignChoice(*row) for row in session.execute(query.order_by(Campaign.name, Campaign.id))]
