"""Notifications delivered to a real local SMTP sink and a real local webhook receiver."""

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.errors import PermissionDenied, ValidationError
from core.notifications import service as notifications
from db.enums import NotificationStatus
from db.models import Notification
from db.types import utcnow
from tests.conftest import Tenant, free_port


class SmtpSink:
    """An SMTP server that keeps what it receives; it can answer "try later" a few times first."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refusals = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.refusals:
            self.refusals -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


class WebhookReceiver(ThreadingHTTPServer):
    """An HTTP server that records posted JSON and answers with the statuses queued for it."""

    def __init__(self, port: int) -> None:
        self.received: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200:
                    receiver.received.append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", port), Handler)


@pytest.fixture
def smtp_sink() -> Iterator[tuple[SmtpSink, int]]:
    sink, port = SmtpSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(server: WebhookReceiver) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/hooks/ops"


def settings_for(smtp_port: int, **overrides) -> Settings:
    return Settings(
        smtp_host="127.0.0.1", smtp_port=smtp_port, notification_retry_base_seconds=60, **overrides
    )


def alert(session: Session, tenant: Tenant) -> list[Notification]:
    return notifications.notify(
        session,
        tenant.admin,
        kind="alert",
        subject="Spend spike on Black Friday — Google Ads",
        body="Spend was 3.4× its expected level yesterday.",
        details={"campaign_id": 7, "metric": "spend", "observed": 1234.5, "expected": 360.0},
    )


def test_notify_queues_one_message_per_channel_within_the_callers_transaction(
    session: Session, tenant: Tenant
) -> None:
    assert alert(session, tenant) == []  # nothing configured, nothing queued
    notifications.set_channels(
        session, tenant.admin, {"emails": ["Ops@Acme.test"], "webhooks": ["https://chat.acme.test/hook"]}
    )
    with session.begin_nested() as event:
        alert(session, tenant)
        event.rollback()  # the event did not happen: neither did its notifications
    assert session.scalars(select(Notification)).all() == []

    queued = alert(session, tenant)

    assert [(n.channel, n.target, n.status) for n in queued] == [
        ("email", "ops@acme.test", "pending"),
        ("webhook", "https://chat.acme.test/hook", "pending"),
    ]


def test_channels_are_checked_and_only_admins_set_them(session: Session, tenant: Tenant) -> None:
    with pytest.raises(ValidationError) as refused:
        notifications.set_channels(
            session, tenant.admin, {"emails": ["not-an-address"], "webhooks": ["ftp://x"]}
        )
    assert set(refused.value.errors) == {"emails", "webhooks"}
    with pytest.raises(PermissionDenied):
        notifications.set_channels(session, tenant.marketer, {"emails": ["ops@acme.test"]})
    with pytest.raises(ValidationError):
        notifications.notify(session, tenant.admin, kind="gossip", subject="s", body="b")


def test_email_and_webhook_are_delivered(
    session: Session, tenant: Tenant, smtp_sink: tuple[SmtpSink, int], receiver: WebhookReceiver
) -> None:
    sink, port = smtp_sink
    notifications.set_channels(
        session, tenant.admin, {"emails": ["ops@acme.test"], "webhooks": [url(receiver)]}
    )
    alert(session, tenant)

    result = notifications.dispatch_due(session, settings=settings_for(port))

    assert (result.sent, result.retrying, result.failed) == (2, 0, 0)
    [message] = sink.messages
    assert message["To"] == "ops@acme.test"
    assert message["Subject"] == "Spend spike on Black Friday — Google Ads"
    assert "observed: 1234.5" in message.get_content()
    [posted] = receiver.received
    assert posted["text"].startswith("*Spend spike on Black Friday")
    assert posted["adflow"]["campaign_id"] == 7
    assert {n.status for n in session.scalars(select(Notification))} == {NotificationStatus.SENT}
    assert notifications.dispatch_due(session, settings=settings_for(port)).sent == 0  # sent once only


def test_failures_are_retried_with_backoff_until_delivered(
    session: Session, tenant: Tenant, smtp_sink: tuple[SmtpSink, int], receiver: WebhookReceiver
) -> None:
    sink, port = smtp_sink
    sink.refusals = 1
    receiver.statuses = [503, 502]
    notifications.set_channels(
        session, tenant.admin, {"emails": ["ops@acme.test"], "webhooks": [url(receiver)]}
    )
    alert(session, tenant)
    settings = settings_for(port)
    start = utcnow()

    first = notifications.dispatch_due(session, settings=settings, now=start)
    too_soon = notifications.dispatch_due(session, settings=settings, now=start + timedelta(seconds=30))
    second = notifications.dispatch_due(session, settings=settings, now=start + timedelta(seconds=61))
    third = notifications.dispatch_due(session, settings=settings, now=start + timedelta(seconds=182))

    assert (first.sent, first.retrying) == (0, 2)
    assert (too_soon.sent, too_soon.retrying) == (0, 0)
    assert (second.sent, second.retrying) == (1, 1)  # the e-mail; the webhook failed again
    assert (third.sent, third.retrying) == (1, 0)  # after 60 s, then 120 s
    assert len(sink.messages) == 1 and len(receiver.received) == 1
    rows = session.scalars(select(Notification).order_by(Notification.channel)).all()
    assert [(n.channel, n.attempts, n.status) for n in rows] == [("email", 2, "sent"), ("webhook", 3, "sent")]


def test_refusals_and_exhausted_retries_are_recorded_not_lost(
    session: Session, tenant: Tenant, receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.statuses = [404]
    nobody_listens = free_port()
    notifications.set_channels(
        session, tenant.admin, {"emails": ["ops@acme.test"], "webhooks": [url(receiver)]}
    )
    alert(session, tenant)
    settings = settings_for(nobody_listens, notification_max_attempts=2)
    start = utcnow()

    first = notifications.dispatch_due(session, settings=settings, now=start)
    second = notifications.dispatch_due(session, settings=settings, now=start + timedelta(hours=1))

    assert (first.failed, first.retrying) == (1, 1)  # the webhook said 404: it will never accept it
    assert (second.failed, second.retrying) == (1, 0)  # the e-mail, after its two attempts
    rows = session.scalars(select(Notification).order_by(Notification.channel)).all()
    assert [n.status for n in rows] == ["failed", "failed"]
    assert "SMTP server unreachable" in rows[0].last_error and "404" in rows[1].last_error
    assert sum("gave up on notification" in r.message for r in caplog.records) == 2
