"""Sign-in use cases: log in, register, refresh (rotating the refresh token), log out, and who a token is.

Access tokens are short-lived and checked by signature; refresh tokens are long-lived and also
recorded, so that logging out or refreshing revokes them for good.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from core.actor import Actor
from core.auth import tokens
from core.auth.schemas import Login, Registration, Tokens
from core.auth.throttle import LoginThrottle
from core.auth.tokens import Claims, TokenType
from core.cache import TimedCache, clear_on_change
from core.config import get_settings
from core.errors import AuthenticationFailed
from core.users import service as users
from core.validation import parse
from db.models import RefreshToken, User
from db.types import utcnow

INACTIVE_ACCOUNT = "This account no longer exists or has been deactivated."

# Who a user id is (company, role, active), read once per few seconds rather than on every request.
_actors: TimedCache[Actor | None] = TimedCache(get_settings().auth_cache_seconds)
clear_on_change(_actors, User)


def login(session: Session, data: Login | Mapping[str, Any], *, throttle: LoginThrottle) -> Tokens:
    """Tokens for the user whose username (or e-mail) and password match; TooManyAttempts once the
    account has had too many failures lately (core.auth.throttle)."""
    data = parse(Login, data)
    user = throttle.attempt(data.username, lambda: users.authenticate(session, data.username, data.password))
    return issue(session, user)


def register(session: Session, data: Registration | Mapping[str, Any]) -> Tokens:
    """Sign-up: a new company with this person as its admin, signed in at once."""
    data = parse(Registration, data)
    user = users.register(
        session, username=data.username, email=data.email, password=data.password, company=data.company
    )
    return issue(session, user)


def issue(session: Session, user: User, *, now: datetime | None = None) -> Tokens:
    """A fresh access and refresh token for the user; the refresh token is recorded."""
    now = now or utcnow()
    # The user's refresh tokens that expired are of no use any more: keep the table small.
    session.execute(
        delete(RefreshToken).where(RefreshToken.user_id == user.id, RefreshToken.expires_at < now)
    )
    access_token, access = tokens.encode(user.id, TokenType.ACCESS, now=now)
    refresh_token, refresh = tokens.encode(user.id, TokenType.REFRESH, now=now)
    session.add(RefreshToken(jti=refresh.jti, user_id=user.id, issued_at=now, expires_at=refresh.expires_at))
    session.flush()
    return Tokens(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_in=int((access.expires_at - access.issued_at).total_seconds()),
    )


def refresh(session: Session, refresh_token: str, *, now: datetime | None = None) -> Tokens:
    """New tokens for a live refresh token, which is revoked: each refresh token works once."""
    now = now or utcnow()
    stored = _live(session, tokens.decode(refresh_token, TokenType.REFRESH))
    user = session.get(User, stored.user_id)
    if user is None or not user.is_active:
        raise AuthenticationFailed(INACTIVE_ACCOUNT)
    stored.revoked_at = now
    return issue(session, user, now=now)


def logout(session: Session, refresh_token: str) -> None:
    """Revoke the refresh token; access tokens already handed out run out on their own, soon."""
    _live(session, tokens.decode(refresh_token, TokenType.REFRESH)).revoked_at = utcnow()


def actor_for_access_token(session: Session, access_token: str) -> Actor:
    """Who a genuine, unexpired access token speaks for, if that account is still active."""
    claims = tokens.decode(access_token, TokenType.ACCESS)
    actor = _actors.get(claims.user_id, lambda: _active_actor(session, claims.user_id))
    if actor is None:
        raise AuthenticationFailed(INACTIVE_ACCOUNT)
    return actor


def known_actor(access_token: str) -> Actor | None:
    """The actor of a genuine access token if its user was read moments ago, else None; no I/O."""
    return _actors.peek(tokens.decode(access_token, TokenType.ACCESS).user_id)


def _active_actor(session: Session, user_id: int) -> Actor | None:
    user = session.get(User, user_id)
    return Actor.for_user(user) if user is not None and user.is_active else None


def _live(session: Session, claims: Claims) -> RefreshToken:
    # Locked, so that two refreshes racing with the same token cannot both succeed.
    stored = session.get(RefreshToken, claims.jti, with_for_update=True)
    if stored is None or stored.user_id != claims.user_id:
        raise AuthenticationFailed("That refresh token is unknown; log in again.")
    if stored.revoked_at is not None:
        raise AuthenticationFailed("That refresh token has been revoked; log in again.")
    return stored
