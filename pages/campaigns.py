"""Campaigns: the list, a new campaign, and one campaign's details, platforms, budget split and status.

Each tab is one function in TABS; importing CSV exports is one of them.
"""

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import streamlit as st

from core.campaigns import service as campaigns
from core.dashboard import service as dashboard
from core.dashboard.service import CampaignRow
from core.database import session_scope
from core.errors import AdFlowError, NotFound, ValidationError
from core.imports import service as csv_import
from core.money import split_amount, to_money
from db.enums import CampaignStatus, Objective, Platform
from ui.auth import signed_in
from ui.common import (
    SCORE_COLUMN,
    cached,
    campaign_filters,
    data_changed,
    empty_state,
    field_error,
    filtered,
    flash,
    format_count,
    format_day,
    format_money,
    format_ratio,
    list_footer,
    open_tab_only,
    platform_label,
    platforms_text,
    show_error,
    show_flash,
    status_text,
    table_height,
    view_only_notice,
)

PLATFORMS = [p.value for p in Platform]
OBJECTIVES = [o.value for o in Objective]
NEW = "new"  # prefix of the new-campaign widgets' keys
IMPORT_ROUND = "import_round"  # bumped after an import, so the uploader starts empty
IMPORT_PREVIEW = "import_preview"
FROM_FILE = ""  # the import options' "detect it from the file" choice
FIELD_NAMES = {
    "date": "Day",
    "date_end": "Last day (of a range)",
    "campaign": "Campaign name",
    "campaign_id": "Campaign ID",
    "platform": "Platform",
    "impressions": "Impressions",
    "clicks": "Clicks",
    "conversions": "Conversions",
    "spend": "Spend",
    "revenue": "Revenue",
    "currency": "Currency",
}
ERRORS = "errors"
STATUS_MOVES = {
    CampaignStatus.ACTIVE: (
        "Activate",
        ":material/play_arrow:",
        "It starts spending {daily} a day on {platforms}.",
    ),
    CampaignStatus.PAUSED: ("Pause", ":material/pause:", "It stops spending on every platform today."),
    CampaignStatus.COMPLETED: ("Complete", ":material/flag:", "It stops for good; you can still archive it."),
    CampaignStatus.ARCHIVED: (
        "Archive",
        ":material/archive:",
        "It stops on every platform and can no longer be edited. Its history stays.",
    ),
}

me = signed_in().actor


# --- writes: each is one core call in its own unit of work, run from a button's callback ------------


def run_write(form: str, write: Callable[[Any], Any], done: str) -> bool:
    """Run `write(session)`; on a refusal keep the messages for the form named `form`."""
    st.session_state[f"{form}_{ERRORS}"] = {}
    try:
        with session_scope() as session:
            write(session)
    except ValidationError as error:
        st.session_state[f"{form}_{ERRORS}"] = error.errors
        return False
    except AdFlowError as error:
        st.session_state[f"{form}_{ERRORS}"] = {"__all__": error.message}
        return False
    data_changed(me)
    flash("success", done)
    return True


def money(value: float | None) -> Decimal | None:
    return None if value is None else to_money(value)


def campaign_fields(form: str) -> dict[str, Any]:
    """What the details widgets of a form (keys `{form}_{field}`) say, as a campaign's fields."""
    state = st.session_state
    fields = {f: state[f"{form}_{f}"] for f in ("name", "description", "objective", "start_date", "end_date")}
    money_fields = {f: money(state[f"{form}_{f}"]) for f in ("total_budget", "daily_budget", "target_cpa")}
    return {**fields, **money_fields, "target_roas": state[f"{form}_target_roas"]}


def create_campaign() -> None:
    state = st.session_state
    chosen = state[f"{NEW}_platforms"]
    data = {
        **campaign_fields(NEW),
        "platforms": chosen,
        "budget_split": {p: money(state.get(f"{NEW}_split_{p}_amount")) for p in chosen} if chosen else None,
        "status": CampaignStatus.ACTIVE if state[f"{NEW}_start_now"] else CampaignStatus.DRAFT,
    }
    created: list[int] = []
    if run_write(NEW, lambda s: created.append(campaigns.create(s, me, data).id), f"Created {data['name']}."):
        for key in [k for k in state if str(k).startswith(f"{NEW}_")]:
            del state[key]
        state["manage_campaign"] = created[0]
        state["campaigns_tab"] = "Campaigns"


def save_details(row: CampaignRow) -> None:
    key = f"edit_{row.id}"
    data = campaign_fields(key)
    run_write(key, lambda s: campaigns.update(s, me, row.id, data), f"Saved {data['name']}.")


def save_split(row: CampaignRow) -> None:
    key = f"split_{row.id}"
    split = {
        p: money(st.session_state[f"{key}_{p}_amount"])
        for p in PLATFORMS
        if st.session_state[f"{key}_{p}_on"]
    }
    run_write(
        key,
        lambda s: campaigns.set_platforms(s, me, row.id, {"budget_split": split}),
        f"{row.name} now runs on {platforms_text(list(split))}.",
    )


def set_status(row: CampaignRow, status: CampaignStatus) -> None:
    run_write(
        f"status_{row.id}",
        lambda s: campaigns.set_status(s, me, row.id, status),
        f"{row.name} is now {status}.",
    )


def split_evenly(key: str, daily: float | None, chosen: list[str]) -> None:
    """Fill the amounts of the chosen platforms with the daily budget split evenly, to the cent."""
    if not chosen:
        return
    for platform, amount in zip(chosen, split_amount(daily or 0, [1] * len(chosen)), strict=True):
        st.session_state[f"{key}_{platform}_amount"] = float(amount)


# --- widgets ----------------------------------------------------------------------------------------


def errors_of(form: str) -> Mapping[str, str]:
    errors = st.session_state.get(f"{form}_{ERRORS}", {})
    if "__all__" in errors:
        show_error(ValidationError({"__all__": errors["__all__"]}))
    return errors


def split_summary(total: Decimal, daily: Decimal | None) -> None:
    """The running sum of a split against the daily budget, to the cent."""
    if daily is None:
        st.caption(f"Allocated {format_money(total)}; set the daily budget first.")
    elif total == daily:
        st.markdown(
            f":green[:material/check_circle: Allocated {format_money(total)} of {format_money(daily)}]"
        )
    else:
        gap = daily - total
        st.markdown(
            f":orange[:material/warning: Allocated {format_money(total)} of {format_money(daily)} — "
            f"{format_money(abs(gap))} {'left to allocate' if gap > 0 else 'too much'}]"
        )


# --- tabs -------------------------------------------------------------------------------------------


def list_tab() -> None:
    filters = campaign_filters("campaigns", more=True)
    rows = cached(dashboard.campaign_rows, me, filters=filters)
    if not rows.total:
        if filtered(filters):
            empty_state("No campaign matches these filters.")
        else:
            empty_state("No campaigns yet — create one or import a CSV.", icon=":material/campaign:")
        return
    st.dataframe(
        [
            {
                "Campaign": row.name,
                "Status": status_text(row.status),
                "Objective": row.objective.capitalize(),
                "Platforms": platforms_text(row.platforms),
                "Daily budget": format_money(row.daily_budget),
                "Spent": format_money(row.spent_budget),
                "Budget left": format_money(row.remaining_budget),
                "Flight": f"{format_day(row.start_date)} – "
                + (format_day(row.end_date) if row.end_date else "no end"),
                "Score": row.performance_score,
                "Conversions": format_count(row.lifetime.conversions),
                "CPA": format_ratio("cpa", row.lifetime.cpa),
                "ROAS": format_ratio("roas", row.lifetime.roas),
            }
            for row in rows.items
        ],
        hide_index=True,
        height=table_height(len(rows.items)),
        width="stretch",
        column_config={
            "Score": SCORE_COLUMN,
        },
    )
    list_footer(rows.pages, "campaigns_page", f"{rows.total} campaigns · lifetime figures")
    st.divider()
    names = {row.id: row.name for row in rows.items}
    selected = st.session_state.get("manage_campaign")
    if selected is not None and selected not in names:  # just created, or on another page
        try:
            names = {selected: cached(dashboard.campaign_row, me, campaign_id=selected).name, **names}
        except NotFound:
            del st.session_state["manage_campaign"]
    chosen = st.selectbox("Manage", list(names), format_func=names.get, key="manage_campaign")
    manage(cached(dashboard.campaign_row, me, campaign_id=chosen))


def manage(row: CampaignRow) -> None:
    heading, status_column = st.columns([3, 2], vertical_alignment="center")
    heading.subheader(row.name)
    heading.caption(
        f"{status_text(row.status)} · {row.objective.capitalize()} · "
        f"{format_money(row.daily_budget)} a day on {platforms_text(row.platforms)}"
    )
    with status_column:
        status_controls(row)
    if row.status == CampaignStatus.ARCHIVED:
        st.info("This campaign is archived: it is kept for its history and can no longer be edited.")
        return
    details, split = st.columns(2, gap="large")
    with details:
        details_form(row)
    with split:
        split_editor(row)


def status_controls(row: CampaignRow) -> None:
    moves = sorted(campaigns.TRANSITIONS[CampaignStatus(row.status)], key=list(STATUS_MOVES).index)
    errors_of(f"status_{row.id}")
    with st.container(horizontal=True, horizontal_alignment="right"):
        for status in moves:
            label, icon, consequence = STATUS_MOVES[status]
            if status == CampaignStatus.ACTIVE and row.status == CampaignStatus.PAUSED:
                label = "Resume"
            with st.popover(label, icon=icon, disabled=not me.can_write, key=f"move_{status}_{row.id}"):
                st.markdown(f"**{label} {row.name}?**")
                st.caption(
                    consequence.format(
                        daily=format_money(row.daily_budget), platforms=platforms_text(row.platforms)
                    )
                )
                st.button(
                    f"Yes, {label.lower()}",
                    key=f"confirm_{status}_{row.id}",
                    type="primary",
                    on_click=set_status,
                    args=(row, status),
                )


def details_form(row: CampaignRow) -> None:
    key = f"edit_{row.id}"
    errors = errors_of(key)
    locked = not me.can_write
    with st.form(f"{key}_form", border=True):
        st.markdown("**Details**")
        st.text_input("Name", value=row.name, key=f"{key}_name", disabled=locked)
        field_error(errors, "name")
        st.text_area("Description", value=row.description, key=f"{key}_description", disabled=locked)
        st.selectbox(
            "Objective",
            OBJECTIVES,
            index=OBJECTIVES.index(row.objective),
            format_func=str.capitalize,
            key=f"{key}_objective",
            disabled=locked,
        )
        budget_fields(key, errors, float(row.total_budget), float(row.daily_budget), locked)
        dates(key, errors, row.start_date, row.end_date, locked)
        targets(key, errors, row, locked)
        st.form_submit_button(
            "Save details", type="primary", disabled=locked, on_click=save_details, args=(row,)
        )


def budget_fields(
    key: str, errors: Mapping[str, str], total: float | None, daily: float | None, locked: bool
):
    left, right = st.columns(2)
    with left:
        st.number_input(
            "Total budget ($)",
            min_value=0.0,
            value=total,
            step=100.0,
            format="%.2f",
            key=f"{key}_total_budget",
            disabled=locked,
        )
        field_error(errors, "total_budget")
    with right:
        st.number_input(
            "Daily budget ($)",
            min_value=0.0,
            value=daily,
            step=10.0,
            format="%.2f",
            key=f"{key}_daily_budget",
            disabled=locked,
        )
        field_error(errors, "daily_budget")


def dates(key: str, errors: Mapping[str, str], start: date, end: date | None, locked: bool) -> None:
    left, right = st.columns(2)
    with left:
        st.date_input("Start date", value=start, key=f"{key}_start_date", disabled=locked)
        field_error(errors, "start_date")
    with right:
        st.date_input("End date (optional)", value=end, key=f"{key}_end_date", disabled=locked)
        field_error(errors, "end_date")


def targets(key: str, errors: Mapping[str, str], row: CampaignRow | None, locked: bool) -> None:
    left, right = st.columns(2)
    target_cpa = row.target_cpa if row else None
    target_roas = row.target_roas if row else None
    with left:
        st.number_input(
            "Target CPA ($, optional)",
            min_value=0.0,
            value=float(target_cpa) if target_cpa is not None else None,
            format="%.2f",
            key=f"{key}_target_cpa",
            disabled=locked,
        )
        field_error(errors, "target_cpa")
    with right:
        st.number_input(
            "Target ROAS (optional)",
            min_value=0.0,
            value=target_roas,
            format="%.2f",
            key=f"{key}_target_roas",
            disabled=locked,
        )
        field_error(errors, "target_roas")


def split_editor(row: CampaignRow) -> None:
    """Platforms on or off, each with its daily budget; the sum must be the daily budget."""
    key = f"split_{row.id}"
    errors = errors_of(key)
    locked = not me.can_write
    current = {p.platform: p for p in row.placements}
    with st.container(border=True):
        st.markdown("**Platforms and daily budget split**")
        chosen, total = [], Decimal(0)
        for platform in PLATFORMS:
            placement = current.get(platform)
            running = bool(placement and placement.is_active)
            # Defaults through the state (not value=): "Split evenly" rewrites the amounts.
            st.session_state.setdefault(f"{key}_{platform}_on", running)
            st.session_state.setdefault(
                f"{key}_{platform}_amount", float(placement.allocated_budget) if running else 0.0
            )
            toggle_column, amount_column = st.columns([1, 1], vertical_alignment="center")
            on = toggle_column.toggle(platform_label(platform), key=f"{key}_{platform}_on", disabled=locked)
            amount = amount_column.number_input(
                f"{platform_label(platform)} daily budget",
                min_value=0.0,
                step=5.0,
                format="%.2f",
                key=f"{key}_{platform}_amount",
                disabled=locked or not on,
                label_visibility="collapsed",
            )
            if on:
                chosen.append(platform)
                total += money(amount) or Decimal(0)
        split_summary(total, row.daily_budget)
        field_error(errors, "budget_split", "platforms")
        even, save = st.columns(2)
        even.button(
            "Split evenly",
            key=f"{key}_even",
            on_click=split_evenly,
            args=(key, float(row.daily_budget), chosen),
            disabled=locked or not chosen,
            width="stretch",
        )
        save.button(
            "Save split",
            key=f"{key}_save",
            type="primary",
            on_click=save_split,
            args=(row,),
            disabled=locked,
            width="stretch",
        )


def new_tab() -> None:
    if not me.can_write:
        view_only_notice()
        return
    errors = errors_of(NEW)
    state = st.session_state
    with st.container(border=True):
        st.markdown("**The campaign**")
        st.text_input("Name", key=f"{NEW}_name", placeholder="Spring Sale 2027")
        field_error(errors, "name")
        st.text_area("Description", key=f"{NEW}_description", placeholder="What it sells, to whom, and why")
        objective_column, start_column = st.columns(2, vertical_alignment="bottom")
        objective_column.selectbox(
            "Objective",
            OBJECTIVES,
            index=OBJECTIVES.index("conversions"),
            format_func=str.capitalize,
            key=f"{NEW}_objective",
        )
        start_column.toggle("Start spending as soon as it is created", key=f"{NEW}_start_now")
        budget_fields(NEW, errors, None, None, locked=False)
        dates(NEW, errors, date.today(), None, locked=False)
        targets(NEW, errors, None, locked=False)
    with st.container(border=True):
        st.markdown("**Platforms and daily budget split**")
        chosen = st.multiselect(
            "Platforms",
            PLATFORMS,
            format_func=platform_label,
            key=f"{NEW}_platforms",
            placeholder="Choose where it runs",
            on_change=lambda: split_evenly(
                f"{NEW}_split", state.get(f"{NEW}_daily_budget"), state[f"{NEW}_platforms"]
            ),
        )
        field_error(errors, "platforms")
        total = Decimal(0)
        for column, platform in zip(st.columns(max(len(chosen), 1)), chosen, strict=False):
            amount = column.number_input(
                f"{platform_label(platform)} ($ a day)",
                min_value=0.0,
                step=5.0,
                format="%.2f",
                key=f"{NEW}_split_{platform}_amount",
            )
            total += money(amount) or Decimal(0)
        if chosen:
            split_summary(total, money(state.get(f"{NEW}_daily_budget")))
            st.button(
                "Split evenly",
                key=f"{NEW}_even",
                on_click=split_evenly,
                args=(f"{NEW}_split", state.get(f"{NEW}_daily_budget"), chosen),
            )
        else:
            st.caption("A campaign without platforms is saved as a draft; add platforms before it starts.")
        field_error(errors, "budget_split")
    st.button(
        "Create campaign",
        key=f"{NEW}_create",
        type="primary",
        icon=":material/add:",
        on_click=create_campaign,
    )


def import_tab() -> None:
    st.markdown(
        "Bring in the daily figures you already have: a **Google Ads** report, a **Meta Ads Manager** "
        "export, or any CSV with a day, campaign, impressions, clicks and spend per row. Campaigns "
        "the file names are created (as drafts) or matched by name; days already stored are replaced."
    )
    round_ = st.session_state.setdefault(IMPORT_ROUND, 0)
    upload = st.file_uploader("CSV export", type=["csv", "tsv", "txt"], key=f"import_file_{round_}")
    if upload is None:
        return
    platform_column, date_column = st.columns(2)
    platform = platform_column.selectbox(
        "Platform of every row",
        [FROM_FILE, *PLATFORMS],
        format_func=lambda p: platform_label(p) if p else "From the file",
        key="import_platform",
        help="Needed only for a plain CSV without a platform column",
    )
    date_format = date_column.text_input(
        "Date format",
        key="import_date_format",
        placeholder="detected, e.g. %d/%m/%Y",
        help="Needed only when dates such as 03/04/2026 could be read two ways",
    )
    columns = csv_import.file_columns(upload)
    mapping = mapping_of(upload, columns)  # the choices below, as they stand from the last run
    options = {"platform": platform or None, "mapping": mapping, "date_format": date_format or None}
    refusal = None
    try:
        preview = import_preview(upload, options)
    except ValidationError as error:
        refusal = error
    with st.expander("Column mapping", expanded=bool(mapping or refusal)):
        st.caption("Say what a column holds when it is not detected, or is read as something else.")
        grid = st.columns(4)
        for index, column in enumerate(columns):
            grid[index % 4].selectbox(
                column,
                [FROM_FILE, *csv_import.FIELDS],
                format_func=lambda f: FIELD_NAMES.get(f, f) if f else "Detect",
                key=f"import_map_{upload.file_id}_{index}",
            )
    if refusal is not None:
        st.error(
            "Nothing was imported: "
            + "; ".join(f"the file {m}" if f == "file" else m for f, m in refusal.errors.items()),
            icon=":material/error:",
        )
        st.caption("Fix the file, or say above which platform it is from and what its columns hold.")
        return
    show_preview(preview)
    if preview.ok:
        st.button(
            f"Import {preview.campaign_days:,} campaign-days",
            key="import_now",
            type="primary",
            icon=":material/upload:",
            disabled=not me.can_write,
            on_click=import_now,
            args=(upload, options),
        )


def mapping_of(upload: Any, columns: list[str]) -> dict[str, str]:
    """The file column → field choices made in the mapping widgets."""
    state = st.session_state
    return {
        column: state[key]
        for index, column in enumerate(columns)
        if state.get(key := f"import_map_{upload.file_id}_{index}")
    }


def import_preview(upload: Any, options: dict[str, Any]) -> csv_import.ImportPreview:
    """What the file would import; read again only when the file or the options change."""
    signature = (upload.file_id, repr(sorted(options.items())))
    remembered = st.session_state.get(IMPORT_PREVIEW)
    if remembered and remembered[0] == signature:
        return remembered[1]
    upload.seek(0)
    with session_scope() as session:
        preview = csv_import.preview(session, me, upload, options)
    st.session_state[IMPORT_PREVIEW] = (signature, preview)
    return preview


def show_preview(preview: csv_import.ImportPreview) -> None:
    summed = f", {preview.summed_rows:,} of them summed into others" if preview.summed_rows else ""
    when = (
        f"{format_day(preview.first_day)} – {format_day(preview.last_day)}"
        if preview.first_day
        else "no days"
    )
    st.markdown(
        f"**{csv_import.FORMAT_LABELS[preview.format]}** · {preview.rows:,} rows{summed} · "
        f"{preview.campaign_days:,} campaign-days · {when}"
    )
    st.caption(
        f"{preview.encoding}, {preview.delimiter}-separated, header on line {preview.header_line}, "
        f"dates as {preview.date_format}, numbers as {preview.number_format}, {preview.level} level"
        + (f", in {preview.currency}" if preview.currency else "")
        + " · columns read: "
        + ", ".join(f"{column} → {FIELD_NAMES.get(name, name)}" for name, column in preview.columns.items())
    )
    for note in preview.notes:
        st.caption(f":material/info: {note[0].upper()}{note[1:]}")
    tiles = st.columns(5)
    for tile, name in zip(tiles, ("impressions", "clicks", "conversions", "spend", "revenue"), strict=True):
        value = preview.totals.get(name, 0.0)
        tile.metric(
            FIELD_NAMES[name], format_money(value) if name in ("spend", "revenue") else format_count(value)
        )
    if preview.error_count:
        listed = (
            f" (the first {len(preview.errors)} are listed)"
            if preview.error_count > len(preview.errors)
            else ""
        )
        st.error(
            f"{preview.error_count:,} bad row(s){listed}: nothing can be imported until the file is fixed.",
            icon=":material/error:",
        )
        st.dataframe(
            [
                {"Line": e["line"], "Column": e["column"], "Value": e["value"], "Problem": e["message"]}
                for e in preview.errors
            ],
            hide_index=True,
            width="stretch",
        )
    for conflict in preview.conflicts:
        st.warning(f"Cannot import as it is: {conflict}.")
    if preview.campaigns:
        st.dataframe(
            [
                {
                    "Platform": platform_label(plan.platform),
                    "Campaign": plan.name,
                    "Days": plan.days,
                    "From": format_day(plan.first_day),
                    "To": format_day(plan.last_day),
                    "Rows": plan.rows,
                    "Spend": format_money(plan.spend),
                    "Revenue": format_money(plan.revenue),
                    "Goes to": "a new campaign"
                    if plan.campaign_id is None
                    else "a new platform of it"
                    if plan.placement_id is None
                    else "the campaign as it is",
                }
                for plan in preview.campaigns
            ],
            hide_index=True,
            width="stretch",
        )


def import_now(upload: Any, options: dict[str, Any]) -> None:
    upload.seek(0)
    try:
        with session_scope() as session:
            result = csv_import.import_file(session, me, upload, options)
    except ValidationError as error:
        st.session_state.pop(IMPORT_PREVIEW, None)
        flash("error", "Nothing was imported: " + "; ".join(error.errors.values()))
        return
    except AdFlowError as error:
        flash("warning", f"Nothing was imported: {error.message}")
        return
    data_changed(me)
    st.session_state.pop(IMPORT_PREVIEW, None)
    st.session_state[IMPORT_ROUND] += 1  # a fresh, empty uploader
    flash(
        "success",
        f"Imported {result.days_written:,} campaign-days; created {result.campaigns_created} campaign(s) "
        f"and {result.placements_created} platform campaign(s).",
    )


TABS = {"Campaigns": list_tab, "New campaign": new_tab, "Import CSV": import_tab}

st.title("Campaigns")
show_flash()
if not me.can_write:
    view_only_notice()
open_tab_only(TABS, "campaigns_tab")
