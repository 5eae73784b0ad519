"""Company use cases: create, look up, and read or change its settings."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import Conflict, NotFound, ValidationError
from core.schemas import MAX_NAME_LENGTH, no_nul
from db.models import Company


def create(session: Session, name: str, settings: Mapping[str, Any] | None = None) -> Company:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"company": "must not be empty"})
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError({"company": f"must be at most {MAX_NAME_LENGTH} characters"})
    try:
        no_nul(name)
    except ValueError as exc:
        raise ValidationError({"company": str(exc)}) from None
    if session.scalar(select(Company.id).where(Company.name == name)) is not None:
        raise Conflict(f"A company named {name!r} already exists.")
    company = Company(name=name, settings=dict(settings or {}))
    session.add(company)
    session.flush()
    return company


def get(session: Session, actor: Actor) -> Company:
    company = session.get(Company, actor.company_id)
    if company is None:
        raise NotFound("Your company no longer exists.")
    return company


def get_by_name(session: Session, name: str) -> Company:
    company = session.scalar(select(Company).where(Company.name == name))
    if company is None:
        raise NotFound(f"No company named {name!r}.")
    return company


def get_all(session: Session) -> list[Company]:
    """Every tenant, for processes that work on all of them (the scheduler)."""
    return list(session.scalars(select(Company).order_by(Company.id)))


def update_settings(session: Session, actor: Actor, changes: Mapping[str, Any]) -> Company:
    """Merge `changes` into the company's settings (admins only)."""
    actor.require_admin()
    company = get(session, actor)
    company.settings = {**company.settings, **changes}
    session.flush()
    return company
