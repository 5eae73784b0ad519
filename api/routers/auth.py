"""Sign-up, log-in (username or e-mail), token refresh and log-out."""

from fastapi import APIRouter, status

from api.deps import LoginThrottleDep, SessionDep
from core.auth import service as auth
from core.auth.schemas import Login, RefreshRequest, Registration, Tokens

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED)
def register(data: Registration, session: SessionDep) -> Tokens:
    """Create a company with you as its admin, and sign in."""
    return auth.register(session, data)


@router.post("/login")
def login(data: Login, session: SessionDep, throttle: LoginThrottleDep) -> Tokens:
    """Trade a username (or e-mail) and password for an access token and a refresh token. After
    repeated wrong passwords the account is refused for a while: 429 with Retry-After."""
    return auth.login(session, data, throttle=throttle)


@router.post("/refresh")
def refresh(data: RefreshRequest, session: SessionDep) -> Tokens:
    """New tokens for a refresh token; that refresh token then stops working."""
    return auth.refresh(session, data.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(data: RefreshRequest, session: SessionDep) -> None:
    """Revoke the refresh token."""
    auth.logout(session, data.refresh_token)
