"""Sign-in and API keys as core services, without HTTP."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.api_keys import service as api_keys
from core.auth import service as auth
from core.auth.throttle import LoginThrottle
from core.auth.tokens import TokenType, decode, encode, lifetime
from core.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied, ValidationError
from db.models import ApiKey, RefreshToken, User
from db.types import utcnow
from tests.conftest import Tenant


def test_login_gives_tokens_that_name_the_user(session: Session, tenant: Tenant) -> None:
    tokens = auth.login(
        session, {"username": "admin@acme.test", "password": "correct horse"}, throttle=LoginThrottle(5, 900)
    )
    assert decode(tokens.access_token, TokenType.ACCESS).user_id == tenant.admin.user_id
    assert decode(tokens.refresh_token, TokenType.REFRESH).user_id == tenant.admin.user_id
    assert auth.actor_for_access_token(session, tokens.access_token) == tenant.admin
    with pytest.raises(AuthenticationFailed):
        decode(tokens.access_token, TokenType.REFRESH)


def test_a_refresh_token_works_once_and_logout_revokes(session: Session, tenant: Tenant) -> None:
    first = auth.login(
        session, {"username": "acme-marketer", "password": "correct horse"}, throttle=LoginThrottle(5, 900)
    )
    second = auth.refresh(session, first.refresh_token)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        auth.refresh(session, first.refresh_token)
    auth.logout(session, second.refresh_token)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        auth.refresh(session, second.refresh_token)


def test_expired_refresh_tokens_are_refused_and_forgotten_at_the_next_login(
    session: Session, tenant: Tenant
) -> None:
    user = session.get(User, tenant.viewer.user_id)
    old = auth.issue(session, user, now=utcnow() - timedelta(days=400))
    with pytest.raises(AuthenticationFailed, match="expired"):
        auth.refresh(session, old.refresh_token)
    with pytest.raises(AuthenticationFailed, match="expired"):
        auth.actor_for_access_token(session, old.access_token)
    auth.issue(session, user)
    count = select(func.count()).select_from(RefreshToken).where(RefreshToken.user_id == user.id)
    assert session.scalar(count) == 1


def test_a_deactivated_user_can_neither_use_nor_refresh_tokens(session: Session, tenant: Tenant) -> None:
    tokens = auth.login(
        session, {"username": "acme-marketer", "password": "correct horse"}, throttle=LoginThrottle(5, 900)
    )
    session.get(User, tenant.marketer.user_id).is_active = False
    for attempt in (
        lambda: auth.actor_for_access_token(session, tokens.access_token),
        lambda: auth.refresh(session, tokens.refresh_token),
    ):
        with pytest.raises(AuthenticationFailed, match="deactivated"):
            attempt()


def test_register_signs_the_new_admin_in(session: Session) -> None:
    tokens = auth.register(
        session,
        {"username": "founder", "email": "f@new.test", "password": "long enough", "company": "New Co"},
    )
    actor = auth.actor_for_access_token(session, tokens.access_token)
    assert actor.is_admin
    with pytest.raises(ValidationError) as caught:
        auth.register(
            session,
            {"username": "other", "email": "o@new.test", "password": "long enough", "company": "\x00"},
        )
    assert caught.value.errors == {"company": "must not contain the NUL character"}


def test_an_api_key_is_stored_only_as_a_hash_and_acts_as_its_owner(session: Session, tenant: Tenant) -> None:
    issued = api_keys.create(session, tenant.marketer, {"name": "export", "expires_in_days": 30})
    stored = session.get(ApiKey, issued.record.id)
    assert issued.key not in (stored.key_hash, stored.prefix)
    assert issued.key.startswith(stored.prefix)
    assert api_keys.authenticate(session, issued.key) == tenant.marketer
    assert stored.last_used is not None
    assert stored.expires_at > utcnow() + timedelta(days=29)


def test_revoked_expired_and_unknown_keys_are_refused_alike(session: Session, tenant: Tenant) -> None:
    revoked = api_keys.create(session, tenant.admin, {"name": "revoked"})
    api_keys.revoke(session, tenant.admin, revoked.record.id)
    expired = api_keys.create(session, tenant.admin, {"name": "expired", "expires_in_days": 1})
    for key, at in ((revoked.key, None), (expired.key, utcnow() + timedelta(days=2)), ("afk_nope", None)):
        with pytest.raises(AuthenticationFailed, match="unknown, revoked or expired"):
            api_keys.authenticate(session, key, now=at)
    with pytest.raises(Conflict):
        api_keys.revoke(session, tenant.admin, revoked.record.id)


def test_keys_are_private_to_their_owner_and_the_admin(
    session: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = api_keys.create(session, tenant.marketer, {"name": "mine"})
    with pytest.raises(PermissionDenied):
        api_keys.create(session, tenant.viewer, {"name": "viewer"})
    with pytest.raises(NotFound):
        api_keys.revoke(session, other_tenant.admin, mine.record.id)
    assert api_keys.get_all(session, other_tenant.admin) == []
    assert [k.name for k in api_keys.get_all(session, tenant.admin)] == ["mine"]
    assert api_keys.revoke(session, tenant.admin, mine.record.id).is_active is False


def test_a_token_read_before_still_expires_on_time() -> None:
    # Its signature is checked once and remembered; its expiry must be checked at every use.
    expires_in = timedelta(seconds=1)
    token, _ = encode(7, TokenType.ACCESS, now=utcnow() - lifetime(TokenType.ACCESS) + expires_in)
    assert decode(token, TokenType.ACCESS).user_id == 7
    time.sleep(expires_in.total_seconds() + 0.2)
    with pytest.raises(AuthenticationFailed, match="expired"):
        decode(token, TokenType.ACCESS)


def test_a_tampered_token_is_refused_even_after_the_genuine_one_was_read() -> None:
    token, _ = encode(7, TokenType.ACCESS, now=utcnow())
    decode(token, TokenType.ACCESS)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    with pytest.raises(AuthenticationFailed, match="not a valid"):
        decode(forged, TokenType.ACCESS)
