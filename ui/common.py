"""What every page shares: the signed-in user, cached reads, the date-range control, formatting,
error and empty-state display. Pages stay a few lines each because this exists once."""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

import streamlit as st

from core.actor import Actor
from core.config import get_settings
from core.database import get_database, session_scope
from core.errors import AdFlowError, Conflict, NotFound, PermissionDenied, ValidationError
from core.metrics.definitions import format_ratio as format_ratio
from core.metrics.reporting import DateRange
from core.money import format_money as format_money
from db.enums import Objective, Platform

T = TypeVar("T")

PAGE_SIZE = 25
RANGE_PRESETS = {"7 days": 7, "14 days": 14, "30 days": 30, "90 days": 90, "Custom": None}
DEFAULT_PRESET = "30 days"
STATUS_FILTERS = {
    "All but archived": None,
    "Active": ["active"],
    "Paused": ["paused"],
    "Draft": ["draft"],
    "Completed": ["completed"],
    "Archived": ["archived"],
}
SORTS = {
    "Spent to date": ("spent_budget", True),
    "Performance score": ("performance_score", True),
    "ROAS": ("roas", True),
    "CPA": ("cpa", False),
    "Daily budget": ("daily_budget", True),
    "Name": ("name", False),
    "Newest": ("created_at", True),
}
VIEW_ONLY = "You have view-only access: ask an admin of your company for the marketer role to make changes."

_FLASH_KEY = "flash_messages"
SCORE_COLUMN = st.column_config.ProgressColumn(
    "Score",
    help="The optimizer's performance score (0–1); empty until it has scored the campaign.",
    min_value=0.0,
    max_value=1.0,
    format="%.2f",
)


# --- cached reads -------------------------------------------------------------------------------


@st.cache_resource
def _generations() -> dict[int, int]:
    """Per company, how many times the app has changed its data (shared by every session)."""
    return {}


def data_changed(actor: Actor) -> None:
    """Call after every write: the company's cached reads are dropped for all its sessions."""
    generations = _generations()
    generations[actor.company_id] = generations.get(actor.company_id, 0) + 1


@st.cache_data(ttl=get_settings().app_cache_seconds, max_entries=1024, show_spinner=False)
def _cached_call(
    _query: Callable[..., T],
    query_name: str,
    actor: Actor,
    database: str,
    generation: int,
    params: tuple[tuple[str, Any], ...],
) -> T:
    with session_scope() as session:
        return _query(session, actor, **dict(params))


def cached(query: Callable[..., T], actor: Actor, /, **params: Any) -> T:
    """`query(session, actor, **params)` in its own unit of work, cached until the app changes the
    company's data or, for changes made elsewhere (scheduler, API, imports), a short TTL passes."""
    return _cached_call(
        query,
        f"{query.__module__}.{query.__qualname__}",
        actor,
        get_database().url.render_as_string(hide_password=True),
        _generations().get(actor.company_id, 0),
        tuple(sorted(params.items())),
    )


# --- controls -----------------------------------------------------------------------------------


def date_range_control(key: str, *, today: date | None = None) -> DateRange:
    """Preset ranges of complete days (today is still coming in), or any custom range."""
    today = today or date.today()
    preset = st.segmented_control(
        "Period",
        list(RANGE_PRESETS),
        default=DEFAULT_PRESET,
        key=f"{key}_preset",
        required=True,
        label_visibility="collapsed",
    )
    days = RANGE_PRESETS[preset or DEFAULT_PRESET]
    if days is not None:
        period = DateRange.last_days(days, today=today)
        st.caption(f"{format_day(period.start)} – {format_day(period.end)}")
        return period
    default = DateRange.last_days(30, today=today)
    chosen = st.date_input(
        "Dates",
        value=(default.start, default.end),
        max_value=today,
        key=f"{key}_dates",
        label_visibility="collapsed",
    )
    if isinstance(chosen, tuple) and len(chosen) == 2:
        return DateRange(*chosen)
    start = chosen[0] if isinstance(chosen, tuple) and chosen else default.start
    return DateRange(start, start)


def campaign_filters(key: str, *, more: bool = False) -> dict[str, Any]:
    """Search, status and sort (and with `more`, objective and platform) for a campaign list, as
    the filters of `core.campaigns.service.get_all`, on the page the list's pager shows."""

    def back_to_first_page() -> None:
        st.session_state[f"{key}_page"] = 1

    columns = st.columns([3, 2, 2, 2, 2] if more else [3, 2, 2])
    search = columns[0].text_input(
        "Search", key=f"{key}_search", placeholder="Search campaigns", on_change=back_to_first_page
    )
    status = columns[1].selectbox(
        "Status", list(STATUS_FILTERS), key=f"{key}_status", on_change=back_to_first_page
    )
    sort = columns[2].selectbox("Sort by", list(SORTS), key=f"{key}_sort", on_change=back_to_first_page)
    filters: dict[str, Any] = {
        "search": search or None,
        "status": STATUS_FILTERS[status],
        "sort": SORTS[sort][0],
        "descending": SORTS[sort][1],
        "page": st.session_state.get(f"{key}_page", 1),
        "page_size": PAGE_SIZE,
    }
    if more:
        filters["objective"] = columns[3].selectbox(
            "Objective",
            [None, *(o.value for o in Objective)],
            format_func=lambda o: o.capitalize() if o else "Any objective",
            key=f"{key}_objective",
            on_change=back_to_first_page,
        )
        filters["platform"] = columns[4].selectbox(
            "Platform",
            [None, *(p.value for p in Platform)],
            format_func=lambda p: platform_label(p) if p else "Any platform",
            key=f"{key}_platform",
            on_change=back_to_first_page,
        )
    return filters


def filtered(filters: Mapping[str, Any]) -> bool:
    """Whether the list is narrowed down (so an empty list means "no match", not "no campaigns")."""
    return any(filters.get(k) for k in ("search", "status", "objective", "platform"))


def list_footer(total_pages: int, key: str, caption: str) -> None:
    """Under a paginated list: the pages to move through (when there are several) and a count."""
    pager_column, count_column = st.columns([3, 1], vertical_alignment="center")
    if total_pages > 1:
        with pager_column:
            st.pagination(total_pages, key=key)
    count_column.caption(caption)


# --- formatting ---------------------------------------------------------------------------------


def open_tab_only(tabs: Mapping[str, Callable[..., None]], key: str, *args: Any) -> None:
    """Tabs, of which only the open one runs (with `args`): each reads the database on its own."""
    for tab, render in zip(st.tabs(list(tabs), key=key, on_change="rerun"), tabs.values(), strict=True):
        if tab.open:
            with tab:
                render(*args)


def format_day(day: date) -> str:
    return f"{day:%b} {day.day}, {day:%Y}"


def format_count(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"


def format_share(value: float | None) -> str:
    """A share or a ratio against a reference as a percentage: '98%', '4.5%', '—' when undefined."""
    if value is None or value != value:
        return "—"
    return f"{value:.0%}" if abs(value) >= 0.1 else f"{value:.1%}"


def format_change(change: float | None) -> str | None:
    """'+12.3%' against the previous period; None (no delta shown) when there is nothing to compare."""
    return None if change is None else f"{change:+.1%}"


def platform_label(platform: str) -> str:
    return Platform(platform).label


def platforms_text(platforms: tuple[str, ...] | list[str]) -> str:
    return ", ".join(platform_label(p) for p in platforms) or "—"


def status_text(status: str) -> str:
    return status.capitalize()


def table_height(rows: int) -> int:
    """Pixels for a table that shows all its rows (one page of a list) without a scroll bar."""
    return 38 + 35 * max(rows, 1)


def days_ago(day: date, *, today: date | None = None) -> str:
    today = today or date.today()
    delta = (today - day).days
    return {0: "today", 1: "yesterday"}.get(delta, format_day(day) if delta > 6 else f"{delta} days ago")


# --- messages -----------------------------------------------------------------------------------


def show_error(error: AdFlowError) -> None:
    """A refusal the user can act on, in words; never a traceback."""
    if isinstance(error, ValidationError):
        st.error("Nothing was saved: " + "; ".join(_field_sentence(f, m) for f, m in error.errors.items()))
    elif isinstance(error, PermissionDenied):
        st.warning(error.message, icon=":material/lock:")
    elif isinstance(error, Conflict | NotFound):
        st.warning(error.message)
    else:
        st.error(error.message)


def field_error(errors: Mapping[str, str], *fields: str) -> None:
    """The message for a form field, right under it (a field's sub-keys count as the field)."""
    for field, message in errors.items():
        if field in fields or field.split(".")[0] in fields:
            st.markdown(f":red[{message[0].upper() + message[1:]}]")
            return


def flash(kind: str, message: str) -> None:
    """A result to show at the top of the page on the next run (set from a button's callback)."""
    st.session_state.setdefault(_FLASH_KEY, []).append((kind, message))


def show_flash() -> None:
    for kind, message in st.session_state.pop(_FLASH_KEY, []):
        {"success": st.success, "warning": st.warning, "error": st.error}[kind](message)


def empty_state(message: str, *, icon: str = ":material/inbox:") -> None:
    st.info(message, icon=icon)


def view_only_notice() -> None:
    st.caption(f":material/visibility: {VIEW_ONLY}")


def _field_sentence(field: str, message: str) -> str:
    return message if field == "__all__" else f"{field.replace('_', ' ')} {message}"
