"""Campaigns: list, create, read, edit, status, platforms, archive, their metrics and analytics, and
running the optimizer on one."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import (
    ConnectorsDep,
    CurrentActor,
    Id,
    ReadsDep,
    SessionDep,
    Today,
    WriterActor,
)
from api.schemas import (
    AnalyticsQuery,
    CampaignAnalytics,
    CampaignReport,
    OptimizationRun,
    PageOf,
    frame_rows,
)
from core.analytics import service as analytics
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
from core.optimizer import forecasting
from core.optimizer import service as optimizer
from core.recommendations import service as recommendations
from core.schemas import MAX_PAGE_SIZE

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


# These two are read most, by scripts paging through a company: their JSON comes ready-made.
@router.get("", response_model=PageOf[CampaignPublic])
async def list_campaigns(
    filters: Annotated[CampaignFilters, Query()], reads: ReadsDep, actor: CurrentActor
) -> Response:
    """Your company's campaigns, filtered, sorted and one page at a time (archived ones only on request)."""
    return Response(await queries.page_json(reads, actor, filters), media_type="application/json")


@router.post("", status_code=status.HTTP_201_CREATED)
def create_campaign(
    data: CampaignCreate, session: SessionDep, actor: WriterActor, connectors: ConnectorsDep
) -> CampaignPublic:
    """A new campaign on the chosen platforms; the daily budget is split evenly unless you split it."""
    return campaigns.create(session, actor, data, connectors=connectors)


@router.get("/{campaign_id}", response_model=CampaignPublic)
async def get_campaign(campaign_id: Id, reads: ReadsDep, actor: CurrentActor) -> Response:
    return Response(await queries.campaign_json(reads, actor, campaign_id), media_type="application/json")


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


@router.post("/{campaign_id}/optimize")
def optimize_campaign(
    campaign_id: Id, session: SessionDep, actor: WriterActor, connectors: ConnectorsDep, today: Today
) -> OptimizationRun:
    """Run the optimizer on this campaign now (autopilot applies as the settings say): the run's
    figures and what is now advised for the campaign."""
    campaigns.get(session, actor, campaign_id)
    summary = optimizer.run_for_company(
        session, actor, campaign_ids=[campaign_id], today=today, connectors=connectors
    )
    advice = recommendations.get_all(
        session,
        actor,
        recommendations.RecommendationFilters(campaign_id=campaign_id, page_size=MAX_PAGE_SIZE),
    )
    return OptimizationRun.model_validate(
        {"summary": summary, "recommendations": advice.items},
        from_attributes=True,
    )


@router.get("/{campaign_id}/analytics")
def campaign_analytics(
    campaign_id: Id,
    query: Annotated[AnalyticsQuery, Query()],
    session: SessionDep,
    actor: CurrentActor,
    today: Today,
) -> CampaignAnalytics:
    """The campaign over the period (the last 30 days by default) by placement and by day, its budget
    pacing, and a forecast of the next days with a verdict on where its budget is heading."""
    period = query.resolve(today)
    drilldown = analytics.campaign_drilldown(session, actor, campaign_id, start=period.start, end=period.end)
    forecast = forecasting.forecast_campaign(session, actor, campaign_id, query.forecast_days, today=today)
    return CampaignAnalytics.model_validate(
        {
            "report": CampaignReport.of(drilldown, period),
            "forecast": frame_rows(forecast.frame),
            "forecast_pacing": forecast.pacing,
        },
        from_attributes=True,
    )
