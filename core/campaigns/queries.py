"""Read-side views of campaigns: pages and single campaigns as the API shows them, and metrics over time.

A page of a long list is read many times a minute by scripts, so these skip what costs most.
On PostgreSQL the server writes each campaign's JSON itself (as CampaignPublic would serialise
it, placements included) in one statement, read from the event loop: building and validating
objects in Python took most of a request's time. Elsewhere the rows are read as plain columns,
each campaign with its placements joined on, and validated as CampaignPublic.
"""

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    Table,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from core.actor import Actor
from core.campaigns import service as campaigns
from core.campaigns.schemas import (
    CampaignFilters,
    CampaignMetrics,
    CampaignPublic,
    CampaignTotals,
    MetricPoint,
    MetricsQuery,
    PlacementPublic,
)
from core.errors import NotFound
from core.metrics.definitions import RATIOS
from core.metrics.queries import rollup
from core.money import to_money
from core.schemas import Page
from core.validation import parse
from db.models import Campaign, PlatformCampaign
from db.reads import AsyncReads


async def page_json(reads: AsyncReads, actor: Actor, filters: CampaignFilters) -> bytes:
    """The page `service.get_all` gives, as the JSON of {items: [CampaignPublic], total, page, page_size}."""
    if reads.dialect != "postgresql":
        return await reads.run(lambda session: _page_json_of_rows(session, actor, filters))
    query = campaigns.page_query(actor, filters)

    async def counted() -> int:
        ((total,),) = await reads.fetch(query.count, query.parameters)
        return total

    total = await campaigns.acount(actor, filters, counted)
    rows = await reads.fetch(_page_as_json(query.page, filters.sort, filters.descending), query.parameters)
    return _page_document([row[0] for row in rows], total, filters)


async def campaign_json(reads: AsyncReads, actor: Actor, campaign_id: int) -> bytes:
    """The campaign `service.get` gives, as CampaignPublic JSON; NotFound for another company's."""
    if reads.dialect != "postgresql":
        return await reads.run(
            lambda session: (
                CampaignPublic.model_validate(public(session, actor, campaign_id)).model_dump_json().encode()
            )
        )
    rows = await reads.fetch(_ONE_AS_JSON, {"campaign_id": campaign_id, "company_id": actor.company_id})
    if not rows:
        raise NotFound(f"No campaign #{campaign_id}.")
    return rows[0][0].encode()


def public_page(
    session: Session, actor: Actor, filters: CampaignFilters | Mapping[str, Any] | None = None
) -> Page[dict[str, Any]]:
    """The page `service.get_all` gives, as rows with their placements."""
    filters = parse(CampaignFilters, filters or {})
    query = campaigns.page_query(actor, filters)
    total = campaigns.count(session, actor, filters, query)
    rows = _with_placements(
        session, _page_as_rows(query.page, filters.sort, filters.descending), query.parameters
    )
    return Page(rows, total, filters.page, filters.page_size)


def public(session: Session, actor: Actor, campaign_id: int) -> dict[str, Any]:
    """The campaign `service.get` gives, as a row with its placements; NotFound for another company's."""
    found = _with_placements(
        session, _ONE_AS_ROWS, {"campaign_id": campaign_id, "company_id": actor.company_id}
    )
    if not found:
        raise NotFound(f"No campaign #{campaign_id}.")
    return found[0]


def _page_json_of_rows(session: Session, actor: Actor, filters: CampaignFilters) -> bytes:
    page = public_page(session, actor, filters)
    items = [CampaignPublic.model_validate(row).model_dump_json() for row in page.items]
    return _page_document(items, page.total, filters)


def _page_document(items: Sequence[str], total: int, filters: CampaignFilters) -> bytes:
    return (
        f'{{"items":[{",".join(items)}],"total":{total},"page":{filters.page},"page_size":{filters.page_size}}}'
    ).encode()


# --- The JSON PostgreSQL writes: each field of the model, written as pydantic writes it.


def _model_as_json(
    model: type[BaseModel], table: Table, computed: Mapping[str, ColumnElement]
) -> ColumnElement:
    """The row's JSON over the model's fields: the column of that name, or the computed value.

    row_to_json of a one-row subquery writes compact JSON, and faster than json_build_object.
    """
    fields = (
        select(
            *(
                _written_as_pydantic_does(
                    computed[name] if name in computed else table.c[name], field.annotation
                ).label(name)
                for name, field in model.model_fields.items()
            )
        )
        .correlate(table)
        .subquery("fields")
    )
    return select(func.row_to_json(fields.table_valued())).scalar_subquery()


def _written_as_pydantic_does(value: ColumnElement, annotation: Any) -> ColumnElement:
    kind = _without_none(annotation)
    if kind is Decimal:
        return cast(value, Text)  # "12.50": pydantic writes a Decimal as a string, all its digits kept
    if kind is float:
        return cast(value, Float)
    if kind is datetime:
        return _iso_utc(value)
    return value


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        (annotation,) = [arg for arg in get_args(annotation) if arg is not type(None)]
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _iso_utc(value: ColumnElement) -> ColumnElement:
    """As pydantic writes a UTC time: 2026-11-01T09:30:00.250000Z, without the fraction when it is zero."""
    utc = value.op("AT TIME ZONE")(_constant("UTC"))
    written = func.to_char(utc, _constant('YYYY-MM-DD"T"HH24:MI:SS.US'))
    return func.replace(written, _constant(".000000"), _constant("")).concat(_constant("Z"))


def _constant(text: str) -> ColumnElement:
    """A string of ours written into the SQL: as a parameter, it would be one more to send each time."""
    assert "'" not in text
    return literal_column(f"'{text}'")


_PLACEMENTS_AS_JSON = (
    select(
        func.coalesce(
            func.json_agg(
                aggregate_order_by(
                    _model_as_json(PlacementPublic, PlatformCampaign.__table__, {}),
                    # Bytewise, as CampaignPublic sorts them, whatever the database's collation.
                    PlatformCampaign.platform.collate("C"),
                )
            ),
            literal_column("'[]'::json"),
        )
    )
    .where(PlatformCampaign.campaign_id == Campaign.id)
    # Said outright: inside the fields subquery (a FROM), SQLAlchemy correlates nothing by itself.
    .correlate(Campaign)
    .scalar_subquery()
)
_CAMPAIGN_AS_JSON = cast(
    _model_as_json(
        CampaignPublic,
        Campaign.__table__,
        {
            "remaining_budget": Campaign.total_budget - Campaign.spent_budget,
            "placements": _PLACEMENTS_AS_JSON,
        },
    ),
    Text,
)
_ONE_AS_JSON = select(_CAMPAIGN_AS_JSON).where(
    Campaign.id == bindparam("campaign_id"), Campaign.company_id == bindparam("company_id")
)


@lru_cache(maxsize=256)
def _page_as_json(page: Select, sort: str, descending: bool) -> Select:
    # The page's ids as a subquery of one column: it is read from an index, without the rows.
    return (
        select(_CAMPAIGN_AS_JSON)
        .where(Campaign.id.in_(page.with_only_columns(Campaign.id)))
        .order_by(*campaigns.page_order(sort, descending))
    )


# --- The plain rows, elsewhere: one per placement, or one alone for a campaign without any.

_CAMPAIGN_COLUMNS = tuple(Campaign.__table__.columns)
# A placement's columns beside its campaign's, each under a name of its own.
_PLACEMENT_LABELS = {f"placement_{column.name}": column.name for column in PlatformCampaign.__table__.columns}
_PLACEMENT_COLUMNS = tuple(
    PlatformCampaign.__table__.c[name].label(label) for label, name in _PLACEMENT_LABELS.items()
)
_WITH_PLACEMENTS = select(*_CAMPAIGN_COLUMNS, *_PLACEMENT_COLUMNS).outerjoin(
    PlatformCampaign, PlatformCampaign.campaign_id == Campaign.id
)
_ONE_AS_ROWS = _WITH_PLACEMENTS.where(
    Campaign.id == bindparam("campaign_id"), Campaign.company_id == bindparam("company_id")
)


@lru_cache(maxsize=256)
def _page_as_rows(page: Select, sort: str, descending: bool) -> Select:
    return _WITH_PLACEMENTS.where(Campaign.id.in_(page.with_only_columns(Campaign.id))).order_by(
        *campaigns.page_order(sort, descending)
    )


def _with_placements(session: Session, joined: Select, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Campaigns in the order of `joined`'s rows."""
    campaigns_by_id: dict[int, dict[str, Any]] = {}
    for row in session.connection().execute(joined, dict(parameters)).mappings().all():
        campaign = campaigns_by_id.get(row["id"])
        if campaign is None:
            campaign = campaigns_by_id[row["id"]] = _campaign(row)
        if row["placement_id"] is not None:
            campaign["placements"].append({name: row[label] for label, name in _PLACEMENT_LABELS.items()})
    return list(campaigns_by_id.values())


def _campaign(row: Mapping[str, Any]) -> dict[str, Any]:
    campaign = {column.name: row[column.name] for column in _CAMPAIGN_COLUMNS}
    return {
        **campaign,
        "remaining_budget": campaign["total_budget"] - campaign["spent_budget"],
        "placements": [],
    }


def metrics(
    session: Session, actor: Actor, campaign_id: int, query: MetricsQuery | Mapping[str, Any] | None = None
) -> CampaignMetrics:
    """The campaign's summed metrics per day or week in [start, end], with the totals of the range."""
    query = parse(MetricsQuery, query or {})
    campaign = campaigns.get(session, actor, campaign_id)
    scope = {"start": query.start, "end": query.end, "campaign_ids": [campaign.id]}
    periods = rollup(session, actor, by=query.granularity, **scope)
    (totals,) = rollup(session, actor, by="total", **scope).to_dict("records")
    period_column = "date" if query.granularity == "day" else "week"
    return CampaignMetrics(
        campaign_id=campaign.id,
        granularity=query.granularity,
        start=query.start,
        end=query.end,
        totals=CampaignTotals(**_clean(totals)),
        points=[MetricPoint(period=row[period_column], **_clean(row)) for row in periods.to_dict("records")],
    )


def _clean(row: Mapping[str, Any]) -> dict[str, Any]:
    """Counts as integers, money to the cent, undefined ratios (NaN) as None."""
    return {
        "impressions": int(row["impressions"]),
        "clicks": int(row["clicks"]),
        "conversions": float(row["conversions"]),
        "spend": to_money(row["spend"]),
        "revenue": to_money(row["revenue"]),
        **{name: None if math.isnan(row[name]) else float(row[name]) for name in RATIOS},
    }
