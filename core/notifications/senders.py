"""Delivering one message over one channel: SMTP e-mail or a Slack-compatible webhook."""

import json
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

import httpx

from core.config import Settings

# A receiver answering one of these may accept the message later; other 4xx answers never will.
_RETRYABLE_HTTP = frozenset({408, 425, 429})


class DeliveryFailed(Exception):
    """The message did not get through; `permanent` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def send_email(settings: Settings, to: str, subject: str, body: str, details: Mapping[str, Any]) -> None:
    if not settings.smtp_host:
        raise DeliveryFailed("no SMTP server is configured (ADFLOW_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    lines = [body, ""] + [f"{key}: {_shown(value)}" for key, value in details.items()]
    message.set_content("\n".join(lines).strip() + "\n")
    smtp_class = smtplib.SMTP_SSL if settings.smtp_security == "ssl" else smtplib.SMTP
    try:
        with smtp_class(
            settings.smtp_host, settings.smtp_port, timeout=settings.notification_timeout_seconds
        ) as smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls()
            if settings.smtp_username:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_username, password)
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryFailed(f"the SMTP server refused {to}: {exc.recipients}", permanent=True) from None
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        raise DeliveryFailed(f"SMTP {exc.smtp_code} {text}", permanent=exc.smtp_code >= 500) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"SMTP server unreachable: {exc}") from None


def post_webhook(settings: Settings, url: str, subject: str, body: str, details: Mapping[str, Any]) -> None:
    """POST a Slack-compatible payload: `text` for the chat, `adflow` for programs."""
    payload = {"text": f"*{subject}*\n{body}", "adflow": {"subject": subject, "body": body, **details}}
    try:
        response = httpx.post(url, json=payload, timeout=settings.notification_timeout_seconds)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"webhook unreachable: {exc}") from None
    if response.is_success:
        return
    permanent = 400 <= response.status_code < 500 and response.status_code not in _RETRYABLE_HTTP
    raise DeliveryFailed(
        f"webhook answered {response.status_code} {response.text[:200]}", permanent=permanent
    )


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)
