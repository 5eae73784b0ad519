"""Campaign use cases. Each takes the session first; the caller owns the transaction."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.actions.service import apply_change
from core.actor import Actor
from core.cache import TimedCache, clear_on_change
from core.campaigns.schemas import (
    CampaignCreate,
    CampaignFilters,
    CampaignUpdate,
    PlatformSplit,
    check_budget_and_dates,
    check_split,
)
from core.config import get_settings
from core.errors import Conflict, ValidationError
from core.listing import owned_one
from core.money import split_amount
from core.platforms.registry import Connectors, push_placement
from core.schemas import Page
from core.validation import parse
from db.enums import CampaignStatus, DataSource, Platform
from db.models import Campaign, OptimizationLog, PlatformCampaign

# draft → active ↔ paused → completed → archived; archiving (our "delete") is allowed from anywhere.
TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.ACTIVE, CampaignStatus.ARCHIVED}),
    CampaignStatus.ACTIVE: frozenset(
        {CampaignStatus.PAUSED, CampaignStatus.COMPLETED, CampaignStatus.ARCHIVED}
    ),
    CampaignStatus.PAUSED: frozenset(
        {CampaignStatus.ACTIVE, CampaignStatus.COMPLETED, CampaignStatus.ARCHIVED}
    ),
    CampaignStatus.COMPLETED: frozenset({CampaignStatus.ARCHIVED}),
    CampaignStatus.ARCHIVED: frozenset(),
}
# Counting a long list costs more than reading a page of it: its total is kept for a few seconds.
_long_list_totals: TimedCache[int] = TimedCache(get_settings().count_cache_seconds)
clear_on_change(_long_list_totals, Campaign, PlatformCampaign)
# What a total depends on: the filters, not the page or the order.
_PAGING_FIELDS = frozenset({"page", "page_size", "sort", "descending"})

STATUS_ACTIONS = {
    CampaignStatus.ACTIVE: "activate",
    CampaignStatus.PAUSED: "pause_campaign",
    CampaignStatus.COMPLETED: "complete",
    CampaignStatus.ARCHIVED: "archive",
}


def create(
    session: Session,
    actor: Actor,
    data: CampaignCreate | Mapping[str, Any],
    *,
    connectors: Connectors | None = None,
    data_source: DataSource = DataSource.SIMULATOR,
) -> Campaign:
    """A new campaign of the actor's company, on the chosen platforms with the daily budget split."""
    actor.require_write()
    data = parse(CampaignCreate, data)
    campaign = Campaign(
        company_id=actor.company_id,
        user_id=actor.user_id,
        status=data.status,
        **data.model_dump(exclude={"platforms", "budget_split", "status"}),
    )
    session.add(campaign)
    session.flush()
    split = data.budget_split or _even_split(data.daily_budget, data.platforms)
    for platform, amount in split.items():
        placement = PlatformCampaign(
            company_id=actor.company_id,
            platform=platform.value,
            external_id=f"c{campaign.id}-{platform.value}",
            data_source=data_source.value,
            allocated_budget=amount,
            is_active=True,
        )
        campaign.platform_campaigns.append(placement)
    session.flush()
    connectors = connectors or Connectors(session)
    for placement in campaign.platform_campaigns:
        push_placement(connectors, campaign, placement)
    return campaign


def get(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    """The campaign, if it belongs to the actor's company; NotFound otherwise (never a hint it exists)."""
    return owned_one(
        session, actor, Campaign, campaign_id, "campaign", options=[selectinload(Campaign.platform_campaigns)]
    )


def get_all(
    session: Session, actor: Actor, filters: CampaignFilters | Mapping[str, Any] | None = None
) -> Page[Campaign]:
    filters = parse(CampaignFilters, filters or {})
    query = page_query(actor, filters)
    total = count(session, actor, filters, query)
    rows = session.scalars(query.page.options(selectinload(Campaign.platform_campaigns)), query.parameters)
    return Page(list(rows), total, filters.page, filters.page_size)


@dataclass(frozen=True)
class PageQuery:
    """One page of the company's campaigns: statements built once per kind of filter and order
    (building one costs more than running it), and the values of their parameters."""

    page: Select  # the page's campaigns, in order
    count: Select  # how many campaigns pass the filters
    parameters: dict[str, Any]


def page_query(actor: Actor, filters: CampaignFilters) -> PageQuery:
    statuses = sorted({status.value for status in filters.status or ()})
    matching = _matching(
        statuses=len(statuses),
        objective=filters.objective is not None,
        platform=filters.platform is not None,
        search=filters.search is not None,
        include_archived=filters.include_archived,
    )
    parameters: dict[str, Any] = {
        "company_id": actor.company_id,
        "limit": filters.page_size,
        "offset": (filters.page - 1) * filters.page_size,
        **{f"chosen_status_{i}": status for i, status in enumerate(statuses)},
    }
    if filters.objective is not None:
        parameters["objective"] = filters.objective.value
    if filters.platform is not None:
        parameters["platform"] = filters.platform.value
    if filters.search is not None:
        parameters["pattern"] = f"%{_escape_like(filters.search.lower())}%"
    return PageQuery(_ordered_page(matching, filters.sort, filters.descending), _count(matching), parameters)


def count(session: Session, actor: Actor, filters: CampaignFilters, query: PageQuery) -> int:
    """How many campaigns pass `filters`; a long list's count is what it was a moment ago."""
    return _long_list_totals.get(
        _total_key(actor, filters),
        lambda: session.scalar(query.count, query.parameters) or 0,
        keep=_worth_keeping,
    )


async def acount(actor: Actor, filters: CampaignFilters, counted: Callable[[], Awaitable[int]]) -> int:
    """`count` for callers on an event loop, where `counted()` reads the count."""
    return await _long_list_totals.aget(_total_key(actor, filters), counted, keep=_worth_keeping)


def _total_key(actor: Actor, filters: CampaignFilters) -> tuple[int, str]:
    return actor.company_id, filters.model_dump_json(exclude=_PAGING_FIELDS)


def _worth_keeping(total: int) -> bool:
    return total >= get_settings().count_cache_min_rows


@lru_cache(maxsize=64)
def _matching(
    *, statuses: int, objective: bool, platform: bool, search: bool, include_archived: bool
) -> Select:
    """The company's campaigns that pass filters of this kind; the values come as parameters."""
    query = select(Campaign).where(Campaign.company_id == bindparam("company_id"))
    if statuses:
        query = query.where(Campaign.status.in_([bindparam(f"chosen_status_{i}") for i in range(statuses)]))
    elif not include_archived:
        query = query.where(Campaign.status != CampaignStatus.ARCHIVED)
    if objective:
        query = query.where(Campaign.objective == bindparam("objective"))
    if platform:
        on_platform = select(PlatformCampaign.campaign_id).where(
            PlatformCampaign.company_id == bindparam("company_id"),
            PlatformCampaign.platform == bindparam("platform"),
        )
        query = query.where(Campaign.id.in_(on_platform))
    if search:
        pattern = bindparam("pattern")
        query = query.where(
            or_(
                func.lower(Campaign.name).like(pattern, escape="\\"),
                func.lower(Campaign.description).like(pattern, escape="\\"),
            )
        )
    return query


@lru_cache(maxsize=256)
def _ordered_page(matching: Select, sort: str, descending: bool) -> Select:
    order = page_order(sort, descending)
    return matching.order_by(*order).limit(bindparam("limit")).offset(bindparam("offset"))


@lru_cache(maxsize=64)
def _count(matching: Select) -> Select:
    return select(func.count()).select_from(matching.subquery())


def page_order(sort: str, descending: bool) -> list[ColumnElement]:
    """The order of a page: the chosen column, then id (so that ties keep one order across pages)."""
    column = Campaign.__table__.c[sort]
    order = column.desc() if descending else column.asc()
    if descending and column.nullable:
        # Only where NULLs can occur: NULLS LAST on a NOT NULL column stops PostgreSQL using its index.
        order = order.nulls_last()
    return [order, Campaign.id.desc() if descending else Campaign.id.asc()]


def update(
    session: Session,
    actor: Actor,
    campaign_id: int,
    data: CampaignUpdate | Mapping[str, Any],
    *,
    connectors: Connectors | None = None,
) -> Campaign:
    """Change the fields sent. A new daily budget is spread over the platforms in their current shares."""
    actor.require_write()
    changes = parse(CampaignUpdate, data).model_dump(exclude_unset=True)
    campaign = get(session, actor, campaign_id)
    _refuse_if_archived(campaign)
    total = changes.get("total_budget", campaign.total_budget)
    daily = changes.get("daily_budget", campaign.daily_budget)
    check_budget_and_dates(
        total,
        daily,
        changes.get("start_date", campaign.start_date),
        changes.get("end_date", campaign.end_date),
    )
    if total < campaign.spent_budget:
        raise ValidationError(
            {"total_budget": f"must be at least what has been spent ({campaign.spent_budget})"}
        )
    # A budget sent unchanged (a whole form saved) is no budget change: nothing to log or push.
    budget_fields = {
        k: value
        for k in ("total_budget", "daily_budget")
        if k in changes and (value := changes.pop(k)) != getattr(campaign, k)
    }
    for key, value in changes.items():
        setattr(campaign, key, value)
    if budget_fields:
        after: dict[str, Any] = {"campaign": budget_fields}
        if "daily_budget" in budget_fields:
            after["placements"] = _rescaled(campaign, budget_fields["daily_budget"])
        _apply(session, actor, campaign, after, "change_budget", "Budget edited", connectors)
    session.flush()
    return campaign


def set_status(
    session: Session,
    actor: Actor,
    campaign_id: int,
    status: CampaignStatus | str,
    *,
    connectors: Connectors | None = None,
) -> Campaign:
    """Move the campaign along its life cycle; illegal moves are refused with the ones allowed."""
    actor.require_write()
    try:
        status = CampaignStatus(status)
    except ValueError:
        raise ValidationError({"status": f"unknown status {status!r}"}) from None
    campaign = get(session, actor, campaign_id)
    current = CampaignStatus(campaign.status)
    if status == current:
        return campaign
    if status not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (archived campaigns stay archived)"
        raise Conflict(f"A {current} campaign cannot become {status}; allowed: {allowed}.")
    if status == CampaignStatus.ACTIVE and not any(p.is_active for p in campaign.platform_campaigns):
        raise ValidationError({"platforms": "choose at least one platform before activating"})
    _apply(
        session,
        actor,
        campaign,
        {"campaign": {"status": status.value}},
        STATUS_ACTIONS[status],
        f"Status set to {status} by {actor.name}",
        connectors,
    )
    return campaign


def delete(
    session: Session, actor: Actor, campaign_id: int, *, connectors: Connectors | None = None
) -> Campaign:
    """Campaigns are never erased (their history matters): deleting archives."""
    return set_status(session, actor, campaign_id, CampaignStatus.ARCHIVED, connectors=connectors)


def set_platforms(
    session: Session,
    actor: Actor,
    campaign_id: int,
    split: PlatformSplit | Mapping[str, Any],
    *,
    connectors: Connectors | None = None,
) -> Campaign:
    """Run the campaign on exactly these platforms with these daily budgets (summing to the daily budget).

    A platform left out is switched off, not deleted: its history stays.
    """
    actor.require_write()
    split = parse(PlatformSplit, split).budget_split
    campaign = get(session, actor, campaign_id)
    _refuse_if_archived(campaign)
    if not split:
        raise ValidationError({"budget_split": "choose at least one platform"})
    check_split(split, None, campaign.daily_budget)
    existing = {Platform(p.platform): p for p in campaign.platform_campaigns}
    for platform in split.keys() - existing.keys():
        campaign.platform_campaigns.append(
            PlatformCampaign(
                company_id=campaign.company_id,
                platform=platform.value,
                external_id=f"c{campaign.id}-{platform.value}",
                data_source=DataSource.SIMULATOR.value,
                allocated_budget=Decimal("0.00"),
                is_active=False,
            )
        )
    session.flush()
    placements = {
        str(p.id): {
            "allocated_budget": split.get(Platform(p.platform), Decimal("0.00")),
            "is_active": Platform(p.platform) in split,
        }
        for p in campaign.platform_campaigns
    }
    _apply(
        session,
        actor,
        campaign,
        {"placements": placements},
        "set_platforms",
        "Platforms and budget split edited",
        connectors,
    )
    return campaign


def _apply(
    session: Session,
    actor: Actor,
    campaign: Campaign,
    after: dict[str, Any],
    action: str,
    reason: str,
    connectors: Connectors | None,
) -> OptimizationLog:
    log = apply_change(
        session,
        actor,
        campaign,
        after,
        action=action,
        reason=reason,
        connectors=connectors or Connectors(session),
    )
    if not log.success:
        raise Conflict(f"The platform refused the change, so nothing was changed: {log.error_message}")
    return log


def _even_split(daily_budget: Decimal, platforms: list[Platform]) -> dict[Platform, Decimal]:
    if not platforms:
        return {}
    return dict(zip(platforms, split_amount(daily_budget, [1] * len(platforms)), strict=True))


def _rescaled(campaign: Campaign, daily_budget: Decimal) -> dict[str, dict[str, Decimal]]:
    active = [p for p in campaign.platform_campaigns if p.is_active]
    if not active:
        return {}
    amounts = split_amount(daily_budget, [p.allocated_budget for p in active])
    return {str(p.id): {"allocated_budget": a} for p, a in zip(active, amounts, strict=True)}


def _refuse_if_archived(campaign: Campaign) -> None:
    if campaign.status == CampaignStatus.ARCHIVED:
        raise Conflict("This campaign is archived; archived campaigns cannot be edited.")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
