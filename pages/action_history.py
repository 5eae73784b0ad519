"""Action History: every change to a campaign, who made it, before → after, and undo."""

from datetime import UTC, datetime, time

import streamlit as st

from core.actions import service as actions
from core.actions import views as history
from core.actions.service import ActionFilters
from core.database import session_scope
from core.errors import AdFlowError
from core.platforms.registry import Connectors
from ui.auth import signed_in
from ui.common import (
    PAGE_SIZE,
    cached,
    data_changed,
    empty_state,
    flash,
    format_day,
    list_footer,
    show_flash,
    view_only_notice,
)

ALL = "All"
OUTCOMES = {ALL: None, "Applied": True, "Failed": False}

me = signed_in().actor


def undo(entry: history.ActionEntry) -> None:
    try:
        with session_scope() as session:
            result = actions.undo(session, me, entry.id, connectors=Connectors(session))
    except AdFlowError as error:
        flash("warning", f"Could not undo #{entry.id}: {error.message}")
        return
    data_changed(me)
    if result.success:
        flash("success", f"Undone: {entry.action_label.lower()} on {entry.campaign_name} is reverted.")
    else:
        flash("error", f"The platform refused the undo, so nothing changed: {result.error_message}")


st.title("Action History")
st.caption("Every change to a campaign, by a person or by the optimizer, with what it was before.")
show_flash()
if not me.can_write:
    view_only_notice()

facets = cached(history.history_facets, me)
campaign_names = dict(facets.campaigns)
columns = st.columns([3, 2, 2, 2, 3])
campaign_id = columns[0].selectbox(
    "Campaign",
    [None, *campaign_names],
    format_func=lambda c: campaign_names.get(c, ALL),
    key="history_campaign",
)
action = columns[1].selectbox(
    "Action",
    [None, *facets.actions],
    format_func=lambda a: history.action_label(a) if a else ALL,
    key="history_action",
)
performer = columns[2].selectbox(
    "By", [None, *facets.performers], format_func=lambda p: p or ALL, key="history_by"
)
outcome = columns[3].selectbox("Outcome", list(OUTCOMES), key="history_outcome")
dates = columns[4].date_input("Between", value=(), key="history_dates")
since = until = None
if isinstance(dates, tuple) and dates:
    since = datetime.combine(dates[0], time.min, UTC)
    until = datetime.combine(dates[-1], time.max, UTC)

filters = ActionFilters(
    campaign_id=campaign_id,
    action=action,
    success=OUTCOMES[outcome],
    performed_by=performer,
    since=since,
    until=until,
    page=st.session_state.get("history_page", 1),
    page_size=PAGE_SIZE,
)
page = cached(history.history, me, filters=filters)
if not page.total:
    if filters == ActionFilters(page=filters.page, page_size=PAGE_SIZE):
        empty_state(
            "Nothing has been changed yet. Edits, pauses, budget moves and approved recommendations "
            "all appear here, and can be undone from here.",
            icon=":material/history:",
        )
    else:
        empty_state("No action matches these filters.")

for entry in page.items:
    with st.container(border=True):
        text_column, undo_column = st.columns([6, 1], vertical_alignment="center")
        with text_column:
            outcome_badge = (
                ":red-badge[Failed]"
                if not entry.success
                else ":gray-badge[Undone]"
                if entry.undone_at
                else ":violet-badge[Undo]"
                if entry.undo_of_id
                else ":green-badge[Applied]"
            )
            st.markdown(f"{outcome_badge} **{entry.action_label}** · {entry.campaign_name}")
            for change in entry.changes:
                st.markdown(f"- {change}")
            details = [
                f"by **{entry.performed_by}**",
                f"{format_day(entry.performed_at.date())} {entry.performed_at:%H:%M} UTC",
                f"#{entry.id}",
            ]
            if entry.confidence is not None:
                details.append(f"confidence {entry.confidence:.0%}")
            if entry.undone_at:
                details.append(f"undone {format_day(entry.undone_at.date())}")
            st.caption(" · ".join(details) + (f" — {entry.reason}" if entry.reason else ""))
            if entry.impact:
                st.markdown(f":blue[{entry.impact}]")
            if entry.error_message:
                st.markdown(f":red[{entry.error_message}]")
        if entry.can_undo:
            undo_column.button(
                "Undo",
                key=f"undo_{entry.id}",
                icon=":material/undo:",
                on_click=undo,
                args=(entry,),
                disabled=not me.can_write,
                help="Put back what this action changed" if me.can_write else "View-only access",
                width="stretch",
            )

if page.total:
    list_footer(page.pages, "history_page", f"{page.total} actions, newest first")
