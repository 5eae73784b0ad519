"""Alerts: anomalies and warnings the optimizer raised, and what people did about them."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import ValidationError
from core.listing import owned_by_id, owned_one, paginate, with_status
from core.schemas import Page
from db.enums import AlertStatus, Severity
from db.models import Alert
from db.types import utcnow

_SEVERITY_ORDER = {Severity.HIGH.value: 0, Severity.MEDIUM.value: 1, Severity.LOW.value: 2}


@dataclass(frozen=True, slots=True)
class AlertFilters:
    status: Sequence[str] | str | None = (AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value)
    severity: str | None = None
    campaign_id: int | None = None
    since: date | None = None
    page: int = 1
    page_size: int = 50


def get_all(session: Session, actor: Actor, filters: AlertFilters | None = None) -> Page[Alert]:
    """The company's alerts (open and acknowledged by default), newest day first."""
    filters = filters or AlertFilters()
    query = select(Alert).where(Alert.company_id == actor.company_id)
    query = with_status(query, Alert.status, filters.status, AlertStatus)
    if filters.severity:
        if filters.severity not in _SEVERITY_ORDER:
            raise ValidationError({"severity": f"unknown severity {filters.severity!r}"})
        query = query.where(Alert.severity == filters.severity)
    if filters.campaign_id is not None:
        query = query.where(Alert.campaign_id == filters.campaign_id)
    if filters.since is not None:
        query = query.where(Alert.date >= filters.since)
    order = (Alert.date.desc(), Alert.anomaly_score.desc(), Alert.id.desc())
    return paginate(session, query, order, filters.page, filters.page_size)


def get(session: Session, actor: Actor, alert_id: int) -> Alert:
    return owned_one(session, actor, Alert, alert_id, "alert")


def acknowledge(session: Session, actor: Actor, ids: Iterable[int]) -> list[Alert]:
    """Someone has seen these; open ones become acknowledged (resolved ones stay resolved)."""
    actor.require_write()
    alerts = owned_by_id(session, actor, Alert, ids, "alert")
    for alert in alerts:
        if alert.status == AlertStatus.OPEN:
            alert.status = AlertStatus.ACKNOWLEDGED.value
    session.flush()
    return alerts


def resolve(session: Session, actor: Actor, ids: Iterable[int]) -> list[Alert]:
    actor.require_write()
    alerts = owned_by_id(session, actor, Alert, ids, "alert")
    for alert in alerts:
        if alert.status != AlertStatus.RESOLVED:
            alert.status = AlertStatus.RESOLVED.value
            alert.resolved_at = utcnow()
    session.flush()
    return alerts
