"""The action history: every change applied to a campaign, and undoing one."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ConnectorsDep, CurrentActor, Id, SessionDep, WriterActor
from api.schemas import PageOf
from core.actions import service as actions
from core.actions import views
from core.actions.schemas import ActionPublic, ActionQuery

router = APIRouter(prefix="/actions", tags=["actions"])


@router.get("")
def list_actions(
    query: Annotated[ActionQuery, Query()], session: SessionDep, actor: CurrentActor
) -> PageOf[ActionPublic]:
    """Who changed what and when, newest first, with the state before and after and, once measured,
    what an applied recommendation did."""
    return PageOf[ActionPublic].of(views.public_history(session, actor, actions.ActionFilters(**dict(query))))


@router.post("/{action_id}/undo")
def undo_action(
    action_id: Id, session: SessionDep, actor: WriterActor, connectors: ConnectorsDep
) -> ActionPublic:
    """Put back what the action changed. The answer is the undo, itself logged: check `success`."""
    return actions.undo(session, actor, action_id, connectors=connectors)
