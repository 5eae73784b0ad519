"""API keys for scripts: issue one (shown once), list them, revoke one."""

from fastapi import APIRouter, status

from api.deps import CurrentActor, Id, SessionDep, WriterActor
from core.api_keys import service as api_keys
from core.api_keys.schemas import ApiKeyCreate, ApiKeyIssued, ApiKeyPublic

router = APIRouter(prefix="/api-keys", tags=["api keys"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_api_key(data: ApiKeyCreate, session: SessionDep, actor: WriterActor) -> ApiKeyIssued:
    """A key that acts as you, with your role. The key is in this answer only: store it now."""
    issued = api_keys.create(session, actor, data)
    return ApiKeyIssued.of(issued.record, issued.key)


@router.get("")
def list_api_keys(session: SessionDep, actor: CurrentActor) -> list[ApiKeyPublic]:
    """Your keys (an admin sees the whole company's), by their first characters only."""
    return api_keys.get_all(session, actor)


@router.delete("/{key_id}")
def revoke_api_key(key_id: Id, session: SessionDep, actor: WriterActor) -> ApiKeyPublic:
    """Switch a key off for good."""
    return api_keys.revoke(session, actor, key_id)
