"""What the sign-in flows take and give back."""

from pydantic import BaseModel, ConfigDict, Field

from core.schemas import MAX_NAME_LENGTH, Text

_MAX_LOGIN_LENGTH = 254
_MAX_PASSWORD_LENGTH = 1024
_MAX_TOKEN_LENGTH = 4096


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Registration(_Strict):
    """Sign-up: a new company with this person as its admin (the account rules are checked by core)."""

    username: Text = Field(max_length=_MAX_LOGIN_LENGTH)
    email: Text = Field(max_length=_MAX_LOGIN_LENGTH)
    password: Text = Field(max_length=_MAX_PASSWORD_LENGTH, repr=False)
    company: Text = Field(max_length=MAX_NAME_LENGTH)


class Login(_Strict):
    username: Text = Field(max_length=_MAX_LOGIN_LENGTH, description="the username or the e-mail address")
    password: Text = Field(max_length=_MAX_PASSWORD_LENGTH, repr=False)


class RefreshRequest(_Strict):
    refresh_token: str = Field(max_length=_MAX_TOKEN_LENGTH)


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until the access token expires")
