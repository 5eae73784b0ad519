"""Signing in through the API: register, log in, refresh, log out, and every kind of bad credential."""

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from core.auth import service as auth
from core.auth.tokens import TokenType, encode
from core.config import get_settings
from db.models import User
from db.types import utcnow
from tests.api.conftest import PASSWORD, Api


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_register_creates_a_company_with_its_admin_signed_in(api: Api) -> None:
    response = api.client.post(
        "/api/v1/auth/register",
        json={
            "username": "founder",
            "email": "f@startup.test",
            "password": "long enough",
            "company": "Startup",
        },
    )
    assert response.status_code == 201, response.text
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == get_settings().access_token_minutes * 60
    listed = api.client.get("/api/v1/campaigns", headers=bearer(tokens["access_token"]))
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "total": 0, "page": 1, "page_size": 25}
    founder = api.session.scalar(select(User).where(User.username == "founder"))
    assert founder.role == "admin"


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"username": "acme-admin"}, 409, None),
        ({"company": "Acme"}, 409, None),
        ({"password": "short"}, 422, "password"),
        ({"email": "not-an-email"}, 422, "email"),
        ({"company": "  "}, 422, "company"),
    ],
)
def test_a_bad_registration_is_refused_and_changes_nothing(
    api: Api, changes: dict, status: int, field: str | None
) -> None:
    before = api.session.scalar(select(User.id).order_by(User.id.desc()).limit(1))
    data = {"username": "newbie", "email": "n@new.test", "password": "long enough", "company": "New Co"}
    response = api.client.post("/api/v1/auth/register", json={**data, **changes})
    assert response.status_code == status, response.text
    if field:
        assert field in response.json()["error"]["details"]["fields"]
    assert api.session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) == before


@pytest.mark.parametrize("login", ["acme-marketer", "marketer@acme.test", "MARKETER@acme.test"])
def test_login_by_username_or_email(api: Api, login: str) -> None:
    response = api.client.post("/api/v1/auth/login", json={"username": login, "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert (
        api.client.get("/api/v1/campaigns", headers=bearer(response.json()["access_token"])).status_code
        == 200
    )


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "acme-marketer", "password": "wrong password"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "acme-marketer", "password": "x\x00y"},
    ],
)
def test_wrong_credentials_get_401_without_saying_which_part_was_wrong(api: Api, credentials: dict) -> None:
    response = api.client.post("/api/v1/auth/login", json=credentials)
    if "\x00" in credentials["password"]:
        assert_refused(response, 422, "validation_error")
        return
    assert_refused(response, 401, "authentication_failed")
    assert response.json()["error"]["message"] == "Wrong username or password."


def test_refresh_rotates_and_a_used_refresh_token_is_refused(api: Api) -> None:
    first = api.client.post(
        "/api/v1/auth/login", json={"username": "acme-admin", "password": PASSWORD}
    ).json()
    refreshed = api.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert api.client.get("/api/v1/campaigns", headers=bearer(second["access_token"])).status_code == 200
    again = api.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_refused(again, 401, "authentication_failed")
    assert "revoked" in again.json()["error"]["message"]


def test_logout_revokes_the_refresh_token(api: Api) -> None:
    tokens = api.client.post(
        "/api/v1/auth/login", json={"username": "acme-admin", "password": PASSWORD}
    ).json()
    assert (
        api.client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code
        == 204
    )
    for path in ("/api/v1/auth/refresh", "/api/v1/auth/logout"):
        assert_refused(
            api.client.post(path, json={"refresh_token": tokens["refresh_token"]}),
            401,
            "authentication_failed",
        )


def test_expired_tokens_get_401(api: Api) -> None:
    user = api.session.scalar(select(User).where(User.username == "acme-admin"))
    long_ago = utcnow() - timedelta(days=get_settings().refresh_token_days + 1)
    old = auth.issue(api.session, user, now=long_ago)
    api.session.commit()
    response = api.client.get("/api/v1/campaigns", headers=bearer(old.access_token))
    assert_refused(response, 401, "authentication_failed")
    assert "expired" in response.json()["error"]["message"]
    assert response.headers["WWW-Authenticate"] == "Bearer"
    refused = api.client.post("/api/v1/auth/refresh", json={"refresh_token": old.refresh_token})
    assert_refused(refused, 401, "authentication_failed")


def test_an_access_token_expires_after_its_lifetime(api: Api) -> None:
    user_id = api.session.scalar(select(User.id).where(User.username == "acme-admin"))
    lifetime = timedelta(minutes=get_settings().access_token_minutes)
    just_valid, _ = encode(user_id, TokenType.ACCESS, now=utcnow() - lifetime + timedelta(seconds=30))
    just_expired, _ = encode(user_id, TokenType.ACCESS, now=utcnow() - lifetime - timedelta(seconds=1))
    assert api.client.get("/api/v1/campaigns", headers=bearer(just_valid)).status_code == 200
    assert api.client.get("/api/v1/campaigns", headers=bearer(just_expired)).status_code == 401


def test_tampered_foreign_and_wrong_type_tokens_get_401(api: Api) -> None:
    tokens = api.client.post(
        "/api/v1/auth/login", json={"username": "acme-viewer", "password": PASSWORD}
    ).json()
    header, _, signature = tokens["access_token"].split(".")
    other_user = api.session.scalar(select(User.id).where(User.username == "acme-admin"))
    forged_payload = jwt.utils.base64url_encode(
        f'{{"sub":"{other_user}","type":"access","jti":"x","iat":1,"exp":9999999999}}'.encode()
    ).decode()
    foreign = jwt.encode(
        {"sub": str(other_user), "type": "access", "jti": "x", "iat": 1, "exp": 9999999999},
        "another secret, long enough to be a real one",
        algorithm="HS256",
    )
    unsigned = jwt.encode(
        {"sub": str(other_user), "type": "access", "jti": "x", "iat": 1, "exp": 9999999999},
        None,
        algorithm="none",
    )
    for token in (
        f"{header}.{forged_payload}.{signature}",
        foreign,
        unsigned,
        tokens["refresh_token"],  # a refresh token is not an access token
        "not-a-token",
    ):
        assert_refused(
            api.client.get("/api/v1/campaigns", headers=bearer(token)), 401, "authentication_failed"
        )
    access_as_refresh = api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]}
    )
    assert_refused(access_as_refresh, 401, "authentication_failed")


def test_missing_credentials_or_a_deactivated_account_get_401(api: Api) -> None:
    assert_refused(api.client.get("/api/v1/campaigns"), 401, "authentication_failed")
    assert_refused(
        api.client.get("/api/v1/campaigns", headers={"Authorization": "Basic YTpi"}),
        401,
        "authentication_failed",
    )
    headers = api.headers("acme-marketer")
    api.session.scalar(select(User).where(User.username == "acme-marketer")).is_active = False
    api.session.commit()
    assert_refused(api.client.get("/api/v1/campaigns", headers=headers), 401, "authentication_failed")


def test_repeated_wrong_passwords_lock_the_account_for_a_while_with_429(api: Api) -> None:
    limit = get_settings().login_max_failures
    for _ in range(limit):
        wrong = api.client.post("/api/v1/auth/login", json={"username": "acme-admin", "password": "guess"})
        assert_refused(wrong, 401, "authentication_failed")

    locked = api.client.post("/api/v1/auth/login", json={"username": "ACME-admin", "password": PASSWORD})
    assert_refused(locked, 429, "too_many_attempts")
    retry_after = int(locked.headers["Retry-After"])
    assert 0 < retry_after <= get_settings().login_lockout_seconds
    assert locked.json()["error"]["details"] == {"retry_after": retry_after}
    assert "Too many failed log-ins for this account" in locked.json()["error"]["message"]
    # Only that account: the others sign in as usual.
    assert api.client.post(
        "/api/v1/auth/login", json={"username": "acme-viewer", "password": PASSWORD}
    ).is_success
