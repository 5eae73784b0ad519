"""What the optimizer proposes: list it, approve (apply) or reject it, one or many at a time."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ConnectorsDep, CurrentActor, Id, SessionDep, WriterActor
from api.schemas import IdSelection, PageOf, RecommendationPublic, RecommendationQuery
from core.recommendations import service as recommendations
from core.recommendations.service import Decision

router = APIRouter(prefix="/recommendations", tags=["recommendations"])


@router.get("")
def list_recommendations(
    query: Annotated[RecommendationQuery, Query()], session: SessionDep, actor: CurrentActor
) -> PageOf[RecommendationPublic]:
    """Pending ones by default, the most confident first; filter by status, type and campaign."""
    filters = recommendations.RecommendationFilters(
        status=[s.value for s in query.status],
        campaign_id=query.campaign_id,
        action=query.type,
        page=query.page,
        page_size=query.page_size,
    )
    return PageOf[RecommendationPublic].of(recommendations.get_all(session, actor, filters))


@router.post("/approve")
def approve_many(
    selection: IdSelection, session: SessionDep, actor: WriterActor, connectors: ConnectorsDep
) -> list[Decision]:
    """Apply each one; the answer says, per id, whether it was applied, failed, stale or unchanged."""
    return recommendations.approve(session, actor, selection.ids, connectors=connectors)


@router.post("/reject")
def reject_many(selection: IdSelection, session: SessionDep, actor: WriterActor) -> list[Decision]:
    """Turn them down; the optimizer will not propose the same again for a while."""
    return recommendations.reject(session, actor, selection.ids)


@router.post("/{recommendation_id}/approve")
def approve_one(
    recommendation_id: Id, session: SessionDep, actor: WriterActor, connectors: ConnectorsDep
) -> Decision:
    return recommendations.approve(session, actor, [recommendation_id], connectors=connectors)[0]


@router.post("/{recommendation_id}/reject")
def reject_one(recommendation_id: Id, session: SessionDep, actor: WriterActor) -> Decision:
    return recommendations.reject(session, actor, [recommendation_id])[0]
