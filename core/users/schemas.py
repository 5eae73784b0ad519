"""What it takes to create an account."""

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.schemas import Text
from core.security import MAX_PASSWORD_BYTES
from db.enums import Role

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str
    email: Text = Field(max_length=254)
    password: Text = Field(repr=False)
    role: Role = Role.MARKETER
    full_name: Text = Field(default="", max_length=200)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not USERNAME_PATTERN.match(value):
            raise ValueError("3–64 characters: letters, digits, '.', '_' or '-'")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL_PATTERN.match(value):
            raise ValueError("must be an e-mail address")
        return value.lower()

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        if len(value) < 8:
            raise ValueError("must be at least 8 characters")
        if len(value.encode()) > MAX_PASSWORD_BYTES:
            raise ValueError(f"must be at most {MAX_PASSWORD_BYTES} bytes")
        return value
