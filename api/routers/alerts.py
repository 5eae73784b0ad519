"""Anomalies and warnings the optimizer raised: list them, acknowledge them, resolve them."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentActor, SessionDep, WriterActor
from api.schemas import AlertPublic, AlertQuery, IdSelection, PageOf
from core.alerts import service as alerts

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("")
def list_alerts(
    query: Annotated[AlertQuery, Query()], session: SessionDep, actor: CurrentActor
) -> PageOf[AlertPublic]:
    """Open and acknowledged ones by default, the newest day first."""
    filters = alerts.AlertFilters(**{**dict(query), "status": [s.value for s in query.status]})
    return PageOf[AlertPublic].of(alerts.get_all(session, actor, filters))


@router.post("/acknowledge")
def acknowledge(selection: IdSelection, session: SessionDep, actor: WriterActor) -> list[AlertPublic]:
    """Someone has seen these: open ones become acknowledged."""
    return alerts.acknowledge(session, actor, selection.ids)


@router.post("/resolve")
def resolve(selection: IdSelection, session: SessionDep, actor: WriterActor) -> list[AlertPublic]:
    return alerts.resolve(session, actor, selection.ids)
