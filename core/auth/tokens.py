"""JSON Web Tokens signed with the secret key (HS256): issuing and checking them, without a database."""

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

from core.config import get_settings
from core.errors import AuthenticationFailed

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("sub", "exp", "iat", "jti", "type")


class TokenType(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: int
    jti: str
    type: TokenType
    issued_at: datetime
    expires_at: datetime


def lifetime(token_type: TokenType) -> timedelta:
    settings = get_settings()
    if token_type == TokenType.ACCESS:
        return timedelta(minutes=settings.access_token_minutes)
    return timedelta(days=settings.refresh_token_days)


def encode(user_id: int, token_type: TokenType, *, now: datetime) -> tuple[str, Claims]:
    """A signed token for the user, valid for the type's lifetime from `now`."""
    claims = Claims(user_id, uuid.uuid4().hex, token_type, now, now + lifetime(token_type))
    payload = {
        "sub": str(user_id),
        "type": token_type.value,
        "jti": claims.jti,
        "iat": int(now.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
    }
    return jwt.encode(payload, _secret(), algorithm=ALGORITHM), claims


def decode(token: str, expected: TokenType) -> Claims:
    """The claims of a genuine, unexpired token of the expected type; AuthenticationFailed otherwise."""
    claims = _verified(token, expected, _secret())
    if claims.expires_at <= datetime.now(UTC):
        raise AuthenticationFailed(f"The {expected} token has expired.")
    return claims


# A script sends the same token with every request, and the rate limiter and the route both read
# it: its signature is checked once, its expiry every time.
@functools.lru_cache(maxsize=4096)
def _verified(token: str, expected: TokenType, secret: str) -> Claims:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": list(REQUIRED_CLAIMS), "verify_exp": False},
        )
    except jwt.InvalidTokenError:
        raise AuthenticationFailed(f"That is not a valid {expected} token.") from None
    if payload.get("type") != expected.value or not str(payload["sub"]).isdigit():
        raise AuthenticationFailed(f"That is not a valid {expected} token.")
    return Claims(
        user_id=int(payload["sub"]),
        jti=str(payload["jti"]),
        type=expected,
        issued_at=datetime.fromtimestamp(payload["iat"], UTC),
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
    )


def _secret() -> str:
    return get_settings().secret_key.get_secret_value()
