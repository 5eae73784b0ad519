"""Campaigns: list, create, read, edit, status, platforms, archive, and their metrics."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from core.api.deps import ConnectorsDep, CurrentActor, Id, SessionDep, WriterActor
from core.api.schemas import PageOf
from core.campaigns import queries
from core.campaigns import service as campaigns
from core.campaigns.schemas import (
    CampaignCreate,
    CampaignFilters,
    CampaignMetrics,
    CampaignPublic,
    CampaignUpdate,
    MetricsQuery,
    PlatformSplit,
    StatusChange,
)

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.get("")
def list_campaigns(
    filters: Annotated[CampaignFilters, Query()], session: SessionDep, actor: CurrentActor
) -> PageOf[CampaignPublic]:
    """Your company's campaigns, filtered, sorted and one page at a time (archived ones only on request)."""
    return PageOf[CampaignPublic].of(campaigns.get_all(session, actor, filters))


@router.post("", status_code=status.HTTP_201_CREATED)
def create_campaign(
    data: CampaignCreate, session: SessionDep, actor: WriterActor, connectors: ConnectorsDep
) -> CampaignPublic:
    """A new campaign on the chosen platforms; the daily budget is split evenly unless you split it."""
    return campaigns.create(session, actor, data, connectors=connectors)


@router.get("/{campaign_id}")
def get_campaign(campaign_id: Id, session: SessionDep, actor: CurrentActor) -> CampaignPublic:
    return campaigns.get(session, actor, campaign_id)


@router.put("/{campaign_id}")
def update_campaign(
    campaign_id: Id, data: CampaignUpdate, session: SessionDep, actor: WriterActor, connectors: ConnectorsDep
) -> CampaignPublic:
    """Change the fields sent, and only those; a new daily budget keeps the platforms' shares."""
    return campaigns.update(session, actor, campaign_id, data, connectors=connectors)


@router.delete("/{campaign_id}")
def delete_campaign(
    campaign_id: Id, session: SessionDep, actor: WriterActor, connectors: ConnectorsDep
) -> CampaignPublic:
    """Archive the campaign: it stops everywhere, and its history is kept."""
    return campaigns.delete(session, actor, campaign_id, connectors=connectors)


@router.post("/{campaign_id}/status")
def set_campaign_status(
    campaign_id: Id, data: StatusChange, session: SessionDep, actor: WriterActor, connectors: ConnectorsDep
) -> CampaignPublic:
    """Activate, pause, complete or archive; a move the life cycle does not allow is a 409."""
    return campaigns.set_status(session, actor, campaign_id, data.status, connectors=connectors)


@router.put("/{campaign_id}/platforms")
def set_campaign_platforms(
    campaign_id: Id, data: PlatformSplit, session: SessionDep, actor: WriterActor, connectors: ConnectorsDep
) -> CampaignPublic:
    """Run on exactly these platforms with these daily budgets (summing to the daily budget)."""
    return campaigns.set_platforms(session, actor, campaign_id, data, connectors=connectors)


@router.get("/{campaign_id}/metrics")
def campaign_metrics(
    campaign_id: Id, query: Annotated[MetricsQuery, Query()], session: SessionDep, actor: CurrentActor
) -> CampaignMetrics:
    """Impressions, clicks, conversions, spend, revenue and their ratios per day or week."""
    return queries.metrics(session, actor, campaign_id, query)
