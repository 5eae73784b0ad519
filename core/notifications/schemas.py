"""Where a company's notifications go, as stored in Company.settings["notifications"]."""

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.users.schemas import EMAIL_PATTERN

MAX_CHANNELS = 20


class NotificationChannels(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    emails: list[str] = Field(default_factory=list, max_length=MAX_CHANNELS)
    # Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat, Teams workflows …).
    webhooks: list[str] = Field(default_factory=list, max_length=MAX_CHANNELS)

    @field_validator("emails")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        for value in values:
            if not EMAIL_PATTERN.match(value):
                raise ValueError(f"{value!r} is not an e-mail address")
        return list(dict.fromkeys(value.lower() for value in values))

    @field_validator("webhooks")
    @classmethod
    def _webhooks(cls, values: list[str]) -> list[str]:
        for value in values:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 500:
                raise ValueError(f"{value!r} is not an http(s) URL")
        return list(dict.fromkeys(values))
