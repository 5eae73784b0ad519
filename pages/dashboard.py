"""Dashboard: KPIs against the previous period, daily trend, platforms, alerts, pacing, campaigns."""

from collections.abc import Callable

import streamlit as st

from core.alerts import service as alert_service
from core.dashboard import service as dashboard
from core.dashboard.pacing import PaceStatus
from core.database import session_scope
from core.errors import AdFlowError
from ui import charts
from ui.auth import signed_in
from ui.common import (
    SCORE_COLUMN,
    cached,
    campaign_filters,
    data_changed,
    date_range_control,
    days_ago,
    empty_state,
    filtered,
    flash,
    format_change,
    format_count,
    format_day,
    format_money,
    format_ratio,
    format_share,
    list_footer,
    platform_label,
    platforms_text,
    show_flash,
    status_text,
    table_height,
    view_only_notice,
)

KPI_TITLES = {
    "spend": "Spend",
    "revenue": "Revenue",
    "conversions": "Conversions",
    "cpa": "CPA",
    "roas": "ROAS",
}
KPI_FORMATS = {"spend": format_money, "revenue": format_money, "conversions": format_count}
# Spending more is neither good nor bad in itself; a lower CPA is good.
KPI_DELTA_COLORS = {"spend": "off", "cpa": "inverse"}
SEVERITY_BADGES = {"high": ":red-badge[High]", "medium": ":orange-badge[Medium]", "low": ":gray-badge[Low]"}
PACE_TEXT = {
    PaceStatus.ON_PACE: "On pace",
    PaceStatus.OVERSPENDING: "Overspending",
    PaceStatus.UNDERSPENDING: "Underspending",
    PaceStatus.NOT_STARTED: "Not started",
    PaceStatus.ENDED: "Ended",
}
ALERT_PICK = "alert_pick_"
ALERT_DONE = {"acknowledge": "acknowledged", "resolve": "resolved"}

me = signed_in().actor


def handle_alerts(verb: Callable[..., list], ids: list[int]) -> None:
    """Acknowledge or resolve these alerts, in one unit of work."""
    try:
        with session_scope() as session:
            verb(session, me, ids)
    except AdFlowError as error:
        flash("warning", f"Nothing was changed: {error.message}")
        return
    data_changed(me)
    for alert_id in ids:
        st.session_state.pop(f"{ALERT_PICK}{alert_id}", None)
    count = f"{len(ids)} alert{'s' if len(ids) != 1 else ''}"
    flash("success", f"{count} {ALERT_DONE[verb.__name__]}.")


title, controls = st.columns([3, 2], vertical_alignment="bottom")
title.title("Dashboard")
with controls:
    period = date_range_control("dashboard")
show_flash()
if not me.can_write:
    view_only_notice()

with st.spinner("Adding up the period…"):
    overview = cached(dashboard.overview, me, start=period.start, end=period.end)
summary = overview.summary
previous = summary.previous_period

tiles = st.columns(len(summary.kpis))
for tile, (metric, kpi) in zip(tiles, summary.kpis.items(), strict=True):
    tile.metric(
        KPI_TITLES[metric],
        KPI_FORMATS.get(metric, lambda v, m=metric: format_ratio(m, v))(kpi.value),
        delta=format_change(kpi.change),
        delta_color=KPI_DELTA_COLORS.get(metric, "normal"),
        border=True,
        chart_data=overview.daily[metric].dropna().tolist() or None,
        chart_type="area" if metric in ("spend", "revenue") else "line",
        help=f"Previous period: {format_day(previous.start)} – {format_day(previous.end)}",
    )
caption_column, link_column = st.columns([3, 1], vertical_alignment="center")
caption_column.caption(
    f"{summary.active_campaigns} active campaigns · {summary.open_alerts} open alerts · "
    f"{summary.pending_recommendations} recommendations waiting · change against the "
    f"{previous.days} days before"
)
if summary.pending_recommendations:
    link_column.page_link(
        "pages/recommendations.py", label="Review the recommendations", icon=":material/lightbulb:"
    )

trend_column, platform_column = st.columns([3, 2], gap="large")
with trend_column:
    st.subheader("Spend and revenue by day")
    if overview.daily.empty:
        empty_state("No spend in this period. Pick a longer range, or start a campaign.")
    else:
        st.altair_chart(charts.spend_and_revenue(overview.daily_by_platform, overview.daily), width="stretch")
with platform_column:
    st.subheader("Platforms")
    if overview.platforms.empty:
        empty_state("No platform has spent anything in this period.")
    else:
        st.altair_chart(charts.platform_bars(overview.platforms), width="stretch")
        st.dataframe(
            {
                "Platform": overview.platforms["platform_label"],
                "Spend": overview.platforms["spend"].map(format_money),
                "Conv.": overview.platforms["conversions"].map(format_count),
                "CPA": overview.platforms["cpa"].map(lambda v: format_ratio("cpa", v)),
                "ROAS": overview.platforms["roas"].map(lambda v: format_ratio("roas", v)),
            },
            hide_index=True,
            width="stretch",
        )

alerts_column, pacing_column = st.columns(2, gap="large")
with alerts_column:
    st.subheader("Open alerts")
    alerts = cached(dashboard.open_alerts, me, page=1, page_size=6)
    if not alerts.items:
        empty_state(
            "No open alerts. The optimizer raises one when a campaign's numbers leave their usual range.",
            icon=":material/notifications_off:",
        )
    for alert in alerts.items:
        where = alert.campaign_name + (f" · {platform_label(alert.platform)}" if alert.platform else "")
        pick, text = st.columns([1, 14], vertical_alignment="center")
        pick.checkbox(
            f"Select the alert on {where}",
            key=f"{ALERT_PICK}{alert.id}",
            disabled=not me.can_write,
            label_visibility="collapsed",
        )
        text.markdown(
            f"{SEVERITY_BADGES.get(alert.severity, alert.severity)} **{where}** — {alert.message}  \n"
            f":gray[{alert.metric.upper()} · {days_ago(alert.date)}]"
        )
    if alerts.total > len(alerts.items):
        st.caption(f"and {alerts.total - len(alerts.items)} more")
    if alerts.items:
        ticked = [a.id for a in alerts.items if st.session_state.get(f"{ALERT_PICK}{a.id}")]
        with st.container(horizontal=True):
            for label, verb, icon in (
                ("Acknowledge", alert_service.acknowledge, ":material/visibility:"),
                ("Resolve", alert_service.resolve, ":material/task_alt:"),
            ):
                st.button(
                    f"{label} ({len(ticked)})",
                    key=f"alerts_{label.lower()}",
                    icon=icon,
                    disabled=not me.can_write or not ticked,
                    on_click=handle_alerts,
                    args=(verb, ticked),
                    help=f"{label} the ticked alerts",
                )
with pacing_column:
    st.subheader("Budget pacing")
    pacing = cached(dashboard.budget_pacing, me, limit=6)
    tracked = sum(pacing.counts.values())
    if not tracked:
        empty_state("No active campaign has an end date to pace its budget against.")
    else:
        st.markdown(
            f"Spent **{format_money(pacing.spent)}** of the **{format_money(pacing.expected_spend)}** the "
            f"flights so far call for ({format_share(pacing.ratio)}). "
            f"**{pacing.counts[PaceStatus.ON_PACE]}** on pace, "
            f"**{pacing.counts[PaceStatus.OVERSPENDING]}** overspending, "
            f"**{pacing.counts[PaceStatus.UNDERSPENDING]}** underspending."
        )
        if pacing.off_pace:
            st.dataframe(
                [
                    {
                        "Campaign": row.campaign_name,
                        "Pace": f"{PACE_TEXT[row.pacing.status]} · {format_share(row.pacing.ratio)}",
                        "Spent": format_money(row.pacing.spent),
                        "Needed a day": format_money(row.pacing.needed_daily),
                    }
                    for row in pacing.off_pace
                ],
                hide_index=True,
                width="stretch",
            )
        else:
            st.success("Every active campaign is on pace.", icon=":material/check_circle:")

st.subheader("Campaigns")
filters = campaign_filters("dashboard")
rows = cached(dashboard.campaign_rows, me, filters=filters, start=period.start, end=period.end)
if not rows.total:
    if filtered(filters):
        empty_state("No campaign matches these filters.")
    else:
        empty_state("No campaigns yet — create one or import a CSV.", icon=":material/campaign:")
        st.page_link("pages/campaigns.py", label="Create a campaign", icon=":material/add:")
else:
    st.dataframe(
        [
            {
                "Campaign": row.name,
                "Status": status_text(row.status),
                "Platforms": platforms_text(row.platforms),
                "Score": row.performance_score,
                "Spend": format_money(row.period.spend),
                "Conversions": format_count(row.period.conversions),
                "CPA": format_ratio("cpa", row.period.cpa),
                "ROAS": format_ratio("roas", row.period.roas),
                "Daily budget": format_money(row.daily_budget),
                "Pacing": (
                    f"{PACE_TEXT[row.pacing.status]} · {format_share(row.pacing.ratio)}"
                    if row.pacing and row.pacing.ratio is not None
                    else "—"
                ),
            }
            for row in rows.items
        ],
        hide_index=True,
        height=table_height(len(rows.items)),
        width="stretch",
        column_config={
            "Score": SCORE_COLUMN,
            "Spend": st.column_config.TextColumn(help="In the chosen period"),
        },
    )
    list_footer(rows.pages, "dashboard_page", f"{rows.total} campaigns · figures for the chosen period")
