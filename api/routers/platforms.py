"""The ad platforms: where the company's campaigns run, and whether each platform answers."""

from fastapi import APIRouter

from api.deps import ConnectorsDep, CurrentActor, SessionDep
from core.platforms import service as platforms
from core.platforms.service import PlatformHealth, PlatformSummary
from db.enums import Platform

router = APIRouter(prefix="/platforms", tags=["platforms"])


@router.get("")
def list_platforms(session: SessionDep, actor: CurrentActor) -> list[PlatformSummary]:
    return platforms.get_all(session, actor)


@router.get("/{platform}/status")
def platform_status(
    platform: Platform, session: SessionDep, actor: CurrentActor, connectors: ConnectorsDep
) -> PlatformHealth:
    return platforms.status(session, actor, platform, connectors=connectors)
