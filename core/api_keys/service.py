"""API key use cases: issue, list, revoke, and who a presented key speaks for."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.api_keys.schemas import ApiKeyCreate
from core.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied
from core.security import api_key_prefix, hash_api_key, new_api_key
from core.validation import parse
from db.models import ApiKey, User
from db.types import utcnow

KEY_PREFIX = "afk_"
# A key used many times a second needs its last_used written once a minute, not on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_MAX_KEY_LENGTH = 128
WRONG_KEY = "That API key is unknown, revoked or expired."


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: the stored row and the plain key, which exists only here and is never stored."""

    record: ApiKey
    key: str


def create(session: Session, actor: Actor, data: ApiKeyCreate | Mapping[str, Any]) -> IssuedKey:
    """A key that acts as the actor (with the actor's role) until revoked or expired."""
    actor.require_write()
    if actor.user_id is None:
        raise PermissionDenied("Only a person can own an API key.")
    data = parse(ApiKeyCreate, data)
    key = new_api_key()
    record = ApiKey(
        company_id=actor.company_id,
        user_id=actor.user_id,
        name=data.name,
        prefix=api_key_prefix(key),
        key_hash=hash_api_key(key),
        is_active=True,
        expires_at=utcnow() + timedelta(days=data.expires_in_days) if data.expires_in_days else None,
    )
    session.add(record)
    session.flush()
    return IssuedKey(record, key)


def get_all(session: Session, actor: Actor) -> list[ApiKey]:
    """An admin sees every key of the company; anyone else, their own."""
    query = select(ApiKey).where(ApiKey.company_id == actor.company_id)
    if not actor.is_admin:
        query = query.where(ApiKey.user_id == actor.user_id)
    return list(session.scalars(query.order_by(ApiKey.created_at.desc(), ApiKey.id.desc())))


def get(session: Session, actor: Actor, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if (
        key is None
        or key.company_id != actor.company_id
        or (not actor.is_admin and key.user_id != actor.user_id)
    ):
        raise NotFound(f"No API key #{key_id}.")
    return key


def revoke(session: Session, actor: Actor, key_id: int) -> ApiKey:
    """Switch the key off for good; its owner or an admin may."""
    actor.require_write()
    key = get(session, actor, key_id)
    if not key.is_active:
        raise Conflict(f"API key #{key_id} is already revoked.")
    key.is_active = False
    session.flush()
    return key


def authenticate(session: Session, key: str, *, now: datetime | None = None) -> Actor:
    """The actor an active, unexpired key belongs to; every failure says the same thing."""
    now = now or utcnow()
    if not key.startswith(KEY_PREFIX) or len(key) > _MAX_KEY_LENGTH:
        raise AuthenticationFailed(WRONG_KEY)
    found = session.execute(
        select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.key_hash == hash_api_key(key))
    ).first()
    if found is None:
        raise AuthenticationFailed(WRONG_KEY)
    record, user = found
    if not record.is_active or not user.is_active or (record.expires_at and record.expires_at <= now):
        raise AuthenticationFailed(WRONG_KEY)
    if record.last_used is None or now - record.last_used >= LAST_USED_RESOLUTION:
        record.last_used = now
    return Actor.for_user(user)
