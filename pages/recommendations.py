"""AI Recommendations: what the optimizer proposes, approved or rejected one by one or many at once,
a run of the optimizer on demand, and the autopilot switch of each campaign."""

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from core.campaigns import service as campaigns
from core.database import session_scope
from core.errors import AdFlowError
from core.optimizer import service as optimizer
from core.optimizer import settings as optimizer_settings
from core.optimizer import views as optimizer_views
from core.platforms.registry import Connectors
from core.recommendations import service as recommendations
from core.recommendations import views
from core.recommendations.service import Decision
from ui.auth import signed_in
from ui.common import (
    PAGE_SIZE,
    cached,
    data_changed,
    empty_state,
    flash,
    list_footer,
    open_tab_only,
    platform_label,
    show_error,
    show_flash,
    status_text,
    table_height,
    view_only_notice,
)

ALL = "All"
TABLE_KEY = "recommendations_table"
PAGE_KEY = "recommendations_page"
TABLE_ROWS = "recommendations_table_rows"
READ_ONLY_COLUMNS = ["Campaign", "Platform", "Type", "Confidence", "Expected impact", "Reason"]
OUTCOME_TEXT = {
    "applied": "Applied",
    "rejected": "Rejected",
    "failed": "Failed",
    "stale": "Out of date",
    "unchanged": "Unchanged",
}

me = signed_in().actor


# --- writes, from the buttons' callbacks ---------------------------------------------------------


def approve(session: Any, ids: Sequence[int]) -> list[Decision]:
    return recommendations.approve(session, me, ids, connectors=Connectors(session))


def reject(session: Any, ids: Sequence[int]) -> list[Decision]:
    return recommendations.reject(session, me, ids)


def decide(
    decision: Callable[[Any, Sequence[int]], list[Decision]], ids: Sequence[int], names: dict[int, str]
) -> None:
    """Approve or reject `ids` in one unit of work and say what became of each."""
    try:
        with session_scope() as session:
            results = decision(session, ids)
    except AdFlowError as error:
        flash("warning", f"Nothing was decided: {error.message}")
        return
    data_changed(me)
    for result in results:
        name = names.get(result.id, f"#{result.id}")
        detail = result.message.removeprefix(result.outcome).strip()  # "applied (action #3)" → "(action #3)"
        text = f"{OUTCOME_TEXT[result.outcome]}: {name}" + (
            f" {detail}." if detail.startswith("(") else f" — {detail}." if detail else "."
        )
        kind = {"applied": "success", "rejected": "success", "failed": "error"}.get(result.outcome, "warning")
        flash(kind, text)


def set_autopilot(campaign: optimizer_views.AutopilotCampaign) -> None:
    wanted = st.session_state[f"autopilot_{campaign.id}"]
    try:
        with session_scope() as session:
            campaigns.update(session, me, campaign.id, {"autopilot": wanted})
    except AdFlowError as error:
        st.session_state[f"autopilot_{campaign.id}"] = campaign.autopilot
        flash("warning", f"The autopilot of {campaign.name} is unchanged: {error.message}")
        return
    data_changed(me)
    flash("success", f"Autopilot {'on' if wanted else 'off'} for {campaign.name}.")


def set_mode() -> None:
    mode = "autopilot" if st.session_state["autopilot_mode"] else "approval"
    try:
        with session_scope() as session:
            optimizer_settings.set_mode(session, me, mode)
    except AdFlowError as error:
        st.session_state["autopilot_mode"] = mode != "autopilot"
        flash("warning", f"The mode is unchanged: {error.message}")
        return
    data_changed(me)
    flash("success", f"The optimizer now runs in {mode} mode.")


def run_optimizer() -> None:
    """One pass now, with its progress shown as it goes and its figures at the end."""
    with st.status("Running the optimizer…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting")
        try:
            with session_scope() as session:
                summary = optimizer.run_for_company(
                    session,
                    me,
                    progress=lambda fraction, message: bar.progress(fraction, text=message),
                    connectors=Connectors(session),
                )
        except AdFlowError as error:
            status.update(label="The optimizer did not run", state="error")
            show_error(error)
            return
        data_changed(me)
        st.markdown(
            f"Looked at **{summary.campaigns}** campaigns on **{summary.placements}** platforms "
            f"in {summary.seconds:.1f} s: **{summary.recommendations_created}** new recommendations "
            f"({summary.recommendations_kept} still standing, {summary.recommendations_superseded} "
            f"replaced), **{summary.alerts_opened}** new alerts, **{summary.applied}** applied by the "
            f"autopilot" + (f", {summary.apply_failed} failed" if summary.apply_failed else "") + "."
        )
        for note in summary.notes:
            st.caption(note.capitalize())
        status.update(label="The optimizer has run", state="complete", expanded=True)


# --- the screen ---------------------------------------------------------------------------------


def back_to_first_page() -> None:
    st.session_state[PAGE_KEY] = 1


def pending_tab() -> None:
    facets = cached(views.pending_facets, me)
    campaign_names = dict(facets.campaigns)
    columns = st.columns(3)
    action = columns[0].selectbox(
        "Type",
        [None, *facets.actions],
        format_func=lambda a: views.action_label(a) if a else ALL,
        key="recommendations_type",
        on_change=back_to_first_page,
    )
    platform = columns[1].selectbox(
        "Platform",
        [None, *facets.platforms],
        format_func=lambda p: platform_label(p) if p else ALL,
        key="recommendations_platform",
        on_change=back_to_first_page,
    )
    campaign_id = columns[2].selectbox(
        "Campaign",
        [None, *campaign_names],
        format_func=lambda c: campaign_names.get(c, ALL),
        key="recommendations_campaign",
        on_change=back_to_first_page,
    )
    pending = cached(
        views.pending,
        me,
        action=action,
        platform=platform,
        campaign_id=campaign_id,
        page=st.session_state.get(PAGE_KEY, 1),
        page_size=PAGE_SIZE,
    )
    rows = pending.items
    if not rows:
        if action or platform or campaign_id:
            empty_state("No pending recommendation matches these filters.")
        else:
            empty_state(
                "No recommendations waiting. The optimizer proposes a change when a campaign has "
                "enough data to judge; run it now, or let the scheduler run it on its timetable.",
                icon=":material/lightbulb:",
            )
        return
    names = {row.id: f"{row.action_label.lower()} on {row.campaign_name}" for row in rows}

    shown = tuple(row.id for row in rows)
    if st.session_state.get(TABLE_ROWS) != shown:  # the ticks belong to rows no longer (all) shown
        st.session_state.pop(TABLE_KEY, None)
        st.session_state[TABLE_ROWS] = shown
    st.markdown("**Tick the ones to decide together**")
    edited = st.data_editor(
        pd.DataFrame(
            {
                "Select": False,
                "Campaign": [row.campaign_name for row in rows],
                "Platform": [platform_label(row.platform) if row.platform else "All" for row in rows],
                "Type": [row.action_label for row in rows],
                "Confidence": [round(row.confidence * 100) for row in rows],
                "Expected impact": [row.impact for row in rows],
                "Reason": [row.reason for row in rows],
            },
            index=[row.id for row in rows],
        ),
        key=TABLE_KEY,
        hide_index=True,
        width="stretch",
        height=table_height(len(rows)),
        disabled=READ_ONLY_COLUMNS if me.can_write else True,
        column_config={
            "Select": st.column_config.CheckboxColumn("Select", width="small"),
            "Confidence": st.column_config.ProgressColumn(
                "Confidence", min_value=0, max_value=100, format="%d%%"
            ),
            "Reason": st.column_config.TextColumn("Reason", width="large"),
        },
    )
    list_footer(pending.pages, PAGE_KEY, f"{pending.total} waiting, most confident first")
    chosen = [int(i) for i in edited.index[edited["Select"]]]
    with st.container(horizontal=True):
        st.button(
            f"Approve selected ({len(chosen)})",
            key="approve_selected",
            type="primary",
            icon=":material/done_all:",
            disabled=not me.can_write or not chosen,
            on_click=decide,
            args=(approve, chosen, names),
        )
        st.button(
            f"Reject selected ({len(chosen)})",
            key="reject_selected",
            icon=":material/block:",
            disabled=not me.can_write or not chosen,
            on_click=decide,
            args=(reject, chosen, names),
        )
        st.caption("Approving applies the change to the platforms at once.")

    st.markdown("**One by one**")
    for row in rows:
        with st.container(border=True):
            text_column, buttons_column = st.columns([5, 1], vertical_alignment="center")
            where = f" · {platform_label(row.platform)}" if row.platform else ""
            moved_on = (
                f" :gray-badge[Campaign {row.campaign_status}: approving sets this aside]"
                if row.campaign_status != "active"
                else ""
            )
            text_column.markdown(f":blue-badge[{row.action_label}] **{row.campaign_name}**{where}{moved_on}")
            text_column.markdown(row.reason)
            expires = f" · expires {row.expires_at:%b %d %H:%M} UTC" if row.expires_at else ""
            text_column.caption(f"Confidence {row.confidence:.0%} · expected {row.impact}{expires}")
            with buttons_column:
                st.button(
                    "Approve",
                    key=f"approve_{row.id}",
                    type="primary",
                    icon=":material/check:",
                    disabled=not me.can_write,
                    on_click=decide,
                    args=(approve, [row.id], names),
                    width="stretch",
                )
                st.button(
                    "Reject",
                    key=f"reject_{row.id}",
                    icon=":material/close:",
                    disabled=not me.can_write,
                    on_click=decide,
                    args=(reject, [row.id], names),
                    width="stretch",
                )


def autopilot_tab() -> None:
    overview = cached(
        optimizer_views.autopilot, me, page=st.session_state.get("autopilot_page", 1), page_size=PAGE_SIZE
    )
    st.toggle(
        "Autopilot mode for the whole company",
        value=overview.mode == "autopilot",
        key="autopilot_mode",
        disabled=not me.is_admin,
        on_change=set_mode,
        help="Only an admin of the company can switch the mode" if not me.is_admin else None,
    )
    bar = f"**{overview.confidence_bar:.0%}**"
    if overview.mode == "autopilot":
        st.markdown(
            f"The optimizer applies, on the campaigns switched on below, what it is at least {bar} sure "
            "of, without waiting for approval; the rest waits on the Pending tab. Everything it applies "
            "is in the Action History and can be undone."
        )
    else:
        st.markdown(
            "Approval mode: the optimizer only proposes, whatever the switches below say. In autopilot "
            f"mode it would apply, on the campaigns switched on, what it is at least {bar} sure of."
        )
    campaigns = overview.campaigns
    if not campaigns.total:
        empty_state("No campaigns yet — create one or import a CSV.", icon=":material/campaign:")
        return
    for campaign in campaigns.items:
        name_column, switch_column = st.columns([4, 1], vertical_alignment="center")
        name_column.markdown(f"**{campaign.name}** · :gray[{status_text(campaign.status)}]")
        switch_column.toggle(
            "Autopilot",
            value=campaign.autopilot,
            key=f"autopilot_{campaign.id}",
            disabled=not me.can_write,
            on_change=set_autopilot,
            args=(campaign,),
        )
    list_footer(campaigns.pages, "autopilot_page", f"{campaigns.total} campaigns that are not archived")


TABS = {"Pending": pending_tab, "Autopilot": autopilot_tab}

title, run_column = st.columns([3, 1], vertical_alignment="bottom")
title.title("AI Recommendations")
run_clicked = run_column.button(
    "Run the optimizer now",
    key="run_optimizer",
    icon=":material/bolt:",
    disabled=not me.can_write,
    help="Score every active campaign, look for anomalies and propose changes, now",
    width="stretch",
)
st.caption(
    "What the optimizer proposes, why, how sure it is and what it expects. Nothing changes until you approve."
)
show_flash()
if not me.can_write:
    view_only_notice()
if run_clicked:
    run_optimizer()

open_tab_only(TABS, "recommendations_tab")
