"""Notifications: written to the outbox with the event that causes them, delivered by the scheduler.

    notify(session, actor, kind=..., subject=..., body=..., details=...)  from any service
    dispatch_due(session)                                                 the scheduler's job

`notify` only adds rows in the caller's transaction, so it never blocks the caller, and a
notification exists exactly when its event was committed. The dispatcher delivers each row,
retries failures with exponential backoff, and records the outcome; a message it gives up on
stays in the table as failed and is logged as an error, never dropped silently.
"""

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pydantic
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.companies import service as companies
from core.config import Settings, get_settings
from core.errors import ValidationError
from core.notifications.schemas import NotificationChannels
from core.notifications.senders import DeliveryFailed, post_webhook, send_email
from core.validation import parse
from db.enums import NotificationChannel, NotificationKind, NotificationStatus
from db.models import Notification
from db.types import utcnow

logger = logging.getLogger(__name__)

SETTINGS_KEY = "notifications"
MAX_SUBJECT = 300


@dataclass(slots=True)
class DispatchResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed}


def notify(
    session: Session,
    actor: Actor,
    *,
    kind: NotificationKind | str,
    subject: str,
    body: str,
    details: Mapping[str, Any] | None = None,
) -> list[Notification]:
    """Queue a message to every channel the actor's company configured (none configured: nothing).

    Call it inside the transaction of the event (a new high-severity alert, an applied autopilot
    action): if that transaction rolls back, no notification is sent. `details` is any
    JSON-able mapping (ids, metric values); it goes to webhooks as data and to e-mail as lines.
    """
    try:
        kind = NotificationKind(kind)
    except ValueError:
        raise ValidationError({"kind": f"unknown notification kind {kind!r}"}) from None
    channels = get_channels(session, actor)
    targets = [(NotificationChannel.EMAIL, email) for email in channels.emails]
    targets += [(NotificationChannel.WEBHOOK, url) for url in channels.webhooks]
    stored_details = json.loads(json.dumps(dict(details or {}), default=str))
    queued = [
        Notification(
            company_id=actor.company_id,
            kind=kind.value,
            channel=channel.value,
            target=target,
            subject=subject.strip()[:MAX_SUBJECT],
            body=body,
            details=stored_details,
            status=NotificationStatus.PENDING.value,
            attempts=0,
            next_attempt_at=utcnow(),
        )
        for channel, target in targets
    ]
    session.add_all(queued)
    session.flush()
    return queued


def get_channels(session: Session, actor: Actor) -> NotificationChannels:
    stored = companies.get(session, actor).settings.get(SETTINGS_KEY) or {}
    try:
        return NotificationChannels.model_validate(stored)
    except pydantic.ValidationError as exc:  # settings written around set_channels must not break callers
        logger.error("company %s has unusable notification settings: %s", actor.company_id, exc)
        return NotificationChannels()


def set_channels(
    session: Session, actor: Actor, channels: NotificationChannels | Mapping[str, Any]
) -> NotificationChannels:
    """Replace where the company's notifications go (admins only)."""
    channels = parse(NotificationChannels, channels)
    companies.update_settings(session, actor, {SETTINGS_KEY: channels.model_dump()})
    return channels


def dispatch_due(
    session: Session, *, settings: Settings | None = None, now: datetime | None = None
) -> DispatchResult:
    """Deliver the notifications that are due, of every company (the scheduler's job).

    One batch per call; each message is marked sent, rescheduled with backoff, or failed for good.
    """
    settings = settings or get_settings()
    now = now or utcnow()
    due = session.scalars(
        select(Notification)
        .where(Notification.status == NotificationStatus.PENDING, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(settings.notification_batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    result = DispatchResult()
    for notification in due:
        notification.attempts += 1
        try:
            _deliver(settings, notification)
        except DeliveryFailed as exc:
            _record_failure(settings, notification, str(exc), exc.permanent, now, result)
        except Exception as exc:  # a fault in one message must not hold up the rest of the batch
            logger.exception("notification %s could not be delivered", notification.id)
            _record_failure(settings, notification, f"{type(exc).__name__}: {exc}", False, now, result)
        else:
            notification.status = NotificationStatus.SENT.value
            notification.sent_at = utcnow()
            notification.last_error = None
            result.sent += 1
    session.flush()
    return result


def prune(session: Session, *, settings: Settings | None = None, now: datetime | None = None) -> int:
    """Forget delivered and given-up notifications older than the retention period."""
    settings = settings or get_settings()
    cutoff = (now or utcnow()) - timedelta(days=settings.notification_retention_days)
    deleted = session.execute(
        delete(Notification).where(
            Notification.status != NotificationStatus.PENDING, Notification.created_at < cutoff
        )
    )
    return deleted.rowcount or 0


def _deliver(settings: Settings, notification: Notification) -> None:
    if notification.channel == NotificationChannel.EMAIL:
        send_email(
            settings, notification.target, notification.subject, notification.body, notification.details
        )
    else:
        post_webhook(
            settings, notification.target, notification.subject, notification.body, notification.details
        )


def _record_failure(
    settings: Settings,
    notification: Notification,
    error: str,
    permanent: bool,
    now: datetime,
    result: DispatchResult,
) -> None:
    notification.last_error = error[:2000]
    where = f"{notification.channel} {notification.target}"
    if permanent or notification.attempts >= settings.notification_max_attempts:
        notification.status = NotificationStatus.FAILED.value
        result.failed += 1
        result.errors.append(f"notification {notification.id} to {where}: {error}")
        logger.error(
            "gave up on notification %s to %s after %s attempt(s): %s",
            notification.id,
            where,
            notification.attempts,
            error,
        )
        return
    delay = settings.notification_retry_base_seconds * 2 ** (notification.attempts - 1)
    notification.next_attempt_at = now + timedelta(seconds=delay)
    result.retrying += 1
    logger.warning(
        "notification %s to %s failed (attempt %s), retrying in %ss: %s",
        notification.id,
        where,
        notification.attempts,
        delay,
        error,
    )
