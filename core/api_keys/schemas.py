"""What it takes to issue an API key, and how a key is shown."""

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from core.schemas import Name
from db.models import ApiKey

MAX_KEY_DAYS = 3650


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name = Field(description="what the key is for, e.g. 'nightly export'")
    expires_in_days: int | None = Field(
        default=None, ge=1, le=MAX_KEY_DAYS, description="leave out for a key that does not expire"
    )


class ApiKeyPublic(BaseModel):
    """A key as listed: never the key itself, only its first characters to recognise it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    user_id: int
    is_active: bool
    created_at: datetime
    last_used: datetime | None
    expires_at: datetime | None


class ApiKeyIssued(ApiKeyPublic):
    key: str = Field(description="the key itself, shown this once only: store it now")

    @classmethod
    def of(cls, record: ApiKey, key: str) -> Self:
        return cls(**ApiKeyPublic.model_validate(record).model_dump(), key=key)
