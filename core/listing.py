"""Listing and bulk selection of a company's rows: one page of a query, or rows chosen by id."""

import math
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import NotFound, ValidationError
from core.schemas import MAX_PAGE_SIZE, Page

RowT = TypeVar("RowT")


def with_status(
    query: Select, column: Any, wanted: str | Iterable[str] | None, known: type[StrEnum]
) -> Select:
    """`query` kept to rows whose status is one (or any) of `wanted`; an unknown status is refused."""
    statuses = [wanted] if isinstance(wanted, str) else list(wanted or ())
    if not statuses:
        return query
    unknown = set(statuses) - {s.value for s in known}
    if unknown:
        raise ValidationError({"status": f"unknown status {sorted(unknown)[0]!r}"})
    return query.where(column.in_(statuses))


def paginate(
    session: Session,
    query: Select,
    order_by: Iterable[Any],
    page: int,
    page_size: int,
    *,
    rows: bool = False,
    past_end_is_last: bool = False,
) -> Page:
    """One page of `query` in the given order, with the total across all pages.

    Items are the first column's values (ORM objects for `select(Model)`), or whole rows with
    `rows`. With `past_end_is_last`, a page past the end is the last one rather than empty.
    """
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(page, 1)
    if past_end_is_last:
        page = min(page, max(1, math.ceil(total / page_size)))
    window = query.order_by(*order_by).limit(page_size).offset((page - 1) * page_size)
    items = session.execute(window).all() if rows else session.scalars(window).all()
    return Page(list(items), total, page, page_size)


def owned_one(
    session: Session,
    actor: Actor,
    model: type[RowT],
    row_id: int,
    noun: str,
    options: Iterable[Any] = (),
    *,
    lock: bool = False,
) -> RowT:
    """The row with this id if it is the actor's company's; NotFound otherwise (never a hint it exists).

    With `lock`, the row is locked until the transaction ends (FOR UPDATE on PostgreSQL) and read
    afresh once the lock is held, so a decision taken on it sees what any concurrent one left.
    """
    row = session.get(
        model, row_id, options=list(options), with_for_update=lock or None, populate_existing=lock
    )
    if row is None or row.company_id != actor.company_id:
        raise NotFound(f"No {noun} #{row_id}.")
    return row


def owned_by_id(
    session: Session, actor: Actor, model: type[RowT], ids: Iterable[int], noun: str, *, lock: bool = False
) -> list[RowT]:
    """The actor's company's rows with these ids, in the order given (duplicates once).

    An empty choice is a ValidationError; an id that is not the company's is NotFound, before
    anything is changed. With `lock`, as for owned_one: the rows are locked in id order (two
    callers locking overlapping choices then wait for each other instead of deadlocking).
    """
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        raise ValidationError({"ids": f"choose at least one {noun}"})
    query = select(model).where(model.id.in_(wanted), model.company_id == actor.company_id)
    if lock:
        query = query.order_by(model.id).with_for_update().execution_options(populate_existing=True)
    found = {row.id: row for row in session.scalars(query)}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"No {noun} #{missing[0]}.")
    return [found[i] for i in wanted]
