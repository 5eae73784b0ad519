"""Analytics: trends, ROI, platforms compared, one campaign in depth, weekdays, and exports.

Each tab is one function in TABS; a new analysis is one more function and one more entry.
"""

import streamlit as st

from core.analytics import export
from core.analytics import service as analytics
from core.campaigns import views as campaign_views
from core.metrics.reporting import DateRange
from core.optimizer import forecasting
from db.enums import Platform
from ui import charts
from ui.auth import signed_in
from ui.common import (
    cached,
    date_range_control,
    empty_state,
    format_count,
    format_day,
    format_money,
    format_ratio,
    format_share,
    open_tab_only,
    platform_label,
    status_text,
)

TREND_METRICS = ["spend", "revenue", "conversions", "roas", "cpa", "ctr"]
WEEKDAY_METRICS = ["conversions", "spend", "revenue"]
FORECAST_METRICS = ["spend", "conversions", "revenue"]
FORECAST_DAYS = 14
NO_DATA = "No spend in this period for this selection. Pick a longer range or other platforms."

me = signed_in().actor
title, controls = st.columns([3, 2], vertical_alignment="bottom")
title.title("Analytics")
with controls:
    period = date_range_control("analytics")
platforms = st.multiselect(
    "Platforms",
    [p.value for p in Platform],
    format_func=platform_label,
    key="analytics_platforms",
    placeholder="All platforms",
)
chosen_platforms = tuple(platforms) or None


def trends_tab(period: DateRange) -> None:
    metric_column, grain_column, split_column = st.columns([4, 2, 2], vertical_alignment="bottom")
    metric = metric_column.segmented_control(
        "Metric",
        TREND_METRICS,
        default="spend",
        required=True,
        format_func=charts.METRIC_TITLES.get,
        key="trend_metric",
    )
    grain = grain_column.segmented_control(
        "By", ["day", "week"], default="day", required=True, format_func=str.capitalize, key="trend_grain"
    )
    by_platform = split_column.toggle("One line per platform", value=True, key="trend_by_platform")
    frame = cached(
        analytics.trends,
        me,
        start=period.start,
        end=period.end,
        grain=grain,
        by_platform=by_platform,
        platforms=chosen_platforms,
    )
    if frame.empty:
        empty_state(NO_DATA)
        return
    st.altair_chart(charts.trend(frame, metric, by_platform=by_platform), width="stretch")
    with st.expander("The numbers"):
        st.dataframe(
            {
                "From": frame["period"].map(format_day),
                **({"Platform": frame["platform_label"]} if by_platform else {}),
                "Spend": frame["spend"].map(format_money),
                "Revenue": frame["revenue"].map(format_money),
                "Conversions": frame["conversions"].map(format_count),
                "CPA": frame["cpa"].map(lambda v: format_ratio("cpa", v)),
                "ROAS": frame["roas"].map(lambda v: format_ratio("roas", v)),
                "CTR": frame["ctr"].map(lambda v: format_ratio("ctr", v)),
            },
            hide_index=True,
            width="stretch",
        )


def roi_tab(period: DateRange) -> None:
    roi = cached(analytics.roi_by_campaign, me, start=period.start, end=period.end)
    if roi.empty:
        empty_state(NO_DATA)
        return
    spend, revenue = roi["spend"].sum(), roi["revenue"].sum()
    tiles = st.columns(4)
    tiles[0].metric("Spend", format_money(spend), border=True)
    tiles[1].metric("Revenue", format_money(revenue), border=True)
    tiles[2].metric("Profit", format_money(revenue - spend), border=True)
    tiles[3].metric(
        "ROI",
        format_share(revenue / spend - 1 if spend else None),
        border=True,
        help="(revenue − spend) / spend",
    )
    st.altair_chart(charts.profit_bars(roi), width="stretch")
    st.dataframe(
        {
            "Campaign": roi["campaign_name"],
            "Status": roi["status"].map(status_text),
            "Spend": roi["spend"].map(format_money),
            "Revenue": roi["revenue"].map(format_money),
            "Profit": roi["profit"].map(format_money),
            "ROI": roi["roi"].map(format_share),
            "ROAS": roi["roas"].map(lambda v: format_ratio("roas", v)),
            "Conversions": roi["conversions"].map(format_count),
            "CPA": roi["cpa"].map(lambda v: format_ratio("cpa", v)),
        },
        hide_index=True,
        width="stretch",
    )


def platforms_tab(period: DateRange) -> None:
    comparison = cached(analytics.platform_comparison, me, start=period.start, end=period.end)
    if chosen_platforms:
        comparison = comparison[comparison["platform"].isin(chosen_platforms)]
    if comparison.empty:
        empty_state(NO_DATA)
        return
    st.markdown("**Where the money goes, and what comes back**")
    st.altair_chart(charts.shares(comparison), width="stretch")
    left, right = st.columns(2, gap="large")
    left.markdown("**CPA by platform**")
    left.altair_chart(charts.platform_bars(comparison, "cpa"), width="stretch")
    right.markdown("**ROAS by platform**")
    right.altair_chart(charts.platform_bars(comparison, "roas"), width="stretch")
    st.dataframe(
        {
            "Platform": comparison["platform_label"],
            "Spend": comparison["spend"].map(format_money),
            "Share of spend": comparison["share_of_spend"].map(format_share),
            "Conversions": comparison["conversions"].map(format_count),
            "Share of conversions": comparison["share_of_conversions"].map(format_share),
            "Revenue": comparison["revenue"].map(format_money),
            "CPA": comparison["cpa"].map(lambda v: format_ratio("cpa", v)),
            "CPA vs blended": comparison["cpa_index"].map(format_share),
            "ROAS": comparison["roas"].map(lambda v: format_ratio("roas", v)),
            "ROAS vs blended": comparison["roas_index"].map(format_share),
            "CTR": comparison["ctr"].map(lambda v: format_ratio("ctr", v)),
            "CVR": comparison["cvr"].map(lambda v: format_ratio("cvr", v)),
        },
        hide_index=True,
        width="stretch",
    )
    st.caption("“vs blended” compares a platform with all platforms together: 100% is average.")


def drilldown_tab(period: DateRange) -> None:
    options = cached(campaign_views.choices, me, include_archived=True)
    if not options:
        empty_state("No campaigns yet — create one or import a CSV.")
        return
    names = {c.id: f"{c.name} ({c.status})" for c in options}
    campaign_id = st.selectbox("Campaign", list(names), format_func=names.get, key="drilldown_campaign")
    detail = cached(
        analytics.campaign_drilldown, me, campaign_id=campaign_id, start=period.start, end=period.end
    )
    row, totals = detail.campaign, detail.totals
    tiles = st.columns(5)
    tiles[0].metric("Spend", format_money(totals.spend), border=True)
    tiles[1].metric("Revenue", format_money(totals.revenue), border=True)
    tiles[2].metric("Conversions", format_count(totals.conversions), border=True)
    tiles[3].metric("CPA", format_ratio("cpa", totals.cpa), border=True)
    tiles[4].metric("ROAS", format_ratio("roas", totals.roas), border=True)
    pacing = (
        f"{format_share(row.pacing.spent_share)} of the budget spent, "
        f"{format_share(row.pacing.elapsed_share)} of the flight gone"
        if row.pacing
        else "no end date to pace against"
    )
    st.caption(
        f"{status_text(row.status)} · {format_money(row.daily_budget)} a day · "
        f"{format_money(row.spent_budget)} of {format_money(row.total_budget)} spent · {pacing}"
    )
    if detail.placements.empty:
        empty_state("This campaign runs on no platform yet.")
        return
    st.dataframe(
        {
            "Platform": detail.placements["platform_label"],
            "Running": detail.placements["is_active"].map({True: "Yes", False: "No"}),
            "Daily budget": detail.placements["allocated_budget"].map(format_money),
            "Spend": detail.placements["spend"].map(format_money),
            "Share of spend": detail.placements["share_of_spend"].map(format_share),
            "Conversions": detail.placements["conversions"].map(format_count),
            "CPA": detail.placements["cpa"].map(lambda v: format_ratio("cpa", v)),
            "ROAS": detail.placements["roas"].map(lambda v: format_ratio("roas", v)),
            "CTR": detail.placements["ctr"].map(lambda v: format_ratio("ctr", v)),
        },
        hide_index=True,
        width="stretch",
    )
    if detail.daily.empty:
        empty_state("No spend for this campaign in this period.")
        return
    metric = st.segmented_control(
        "Daily",
        TREND_METRICS,
        default="spend",
        required=True,
        format_func=charts.METRIC_TITLES.get,
        key="drilldown_metric",
    )
    daily = detail.daily.rename(columns={"date": "period"})
    st.altair_chart(charts.trend(daily, metric, by_platform=True), width="stretch")


def weekdays_tab(period: DateRange) -> None:
    pattern = cached(
        analytics.weekday_pattern, me, start=period.start, end=period.end, platforms=chosen_platforms
    )
    if not pattern["days"].sum() or not pattern["spend"].sum():
        empty_state(NO_DATA)
        return
    metric = st.segmented_control(
        "Metric",
        WEEKDAY_METRICS,
        default="conversions",
        required=True,
        format_func=charts.METRIC_TITLES.get,
        key="weekday_metric",
    )
    st.altair_chart(charts.weekday_bars(pattern, metric), width="stretch")
    best = pattern.loc[pattern[f"{metric}_index"].idxmax()]
    worst = pattern.loc[pattern[f"{metric}_index"].idxmin()]
    st.caption(
        f"Best day: **{best['weekday_name']}** ({format_share(best[f'{metric}_index'])} of an average day); "
        f"weakest: **{worst['weekday_name']}** ({format_share(worst[f'{metric}_index'])})."
    )
    st.dataframe(
        {
            "Weekday": pattern["weekday_name"],
            "Days": pattern["days"],
            "Spend per day": pattern["spend_per_day"].map(format_money),
            "Conversions per day": pattern["conversions_per_day"].map(format_count),
            "Revenue per day": pattern["revenue_per_day"].map(format_money),
            "CPA": pattern["cpa"].map(lambda v: format_ratio("cpa", v)),
            "ROAS": pattern["roas"].map(lambda v: format_ratio("roas", v)),
        },
        hide_index=True,
        width="stretch",
    )


def forecast_tab(period: DateRange) -> None:
    options = cached(campaign_views.choices, me)
    if not options:
        empty_state("No campaigns yet — create one or import a CSV.")
        return
    names = {c.id: f"{c.name} ({c.status})" for c in options}
    choice_column, metric_column = st.columns([3, 2], vertical_alignment="bottom")
    campaign_id = choice_column.selectbox(
        "Campaign", list(names), format_func=names.get, key="forecast_campaign"
    )
    metric = metric_column.segmented_control(
        "Forecast of",
        FORECAST_METRICS,
        default="spend",
        required=True,
        format_func=charts.METRIC_TITLES.get,
        key="forecast_metric",
    )
    forecast = cached(forecasting.forecast_campaign, me, campaign_id=campaign_id, days=FORECAST_DAYS)
    if not forecast.enough_history:
        empty_state(
            f"Only {forecast.history_days} days of spend so far: a forecast needs at least "
            f"{forecasting.MIN_FORECAST_HISTORY_DAYS} to learn the campaign's level and weekday pattern. "
            "It appears here once the campaign has run that long.",
            icon=":material/hourglass_empty:",
        )
        return
    frame, pacing = forecast.frame, forecast.pacing
    {"overspend": st.warning, "underspend": st.info}.get(pacing.status, st.success)(pacing.message)
    tiles = st.columns(3)
    for tile, name in zip(tiles, FORECAST_METRICS, strict=True):
        shown = format_money if name != "conversions" else format_count
        tile.metric(
            f"{charts.METRIC_TITLES[name]}, next {FORECAST_DAYS} days",
            shown(frame[name].sum()),
            border=True,
            help=f"80% interval of each day: {shown(frame[f'{name}_low'].sum())} – "
            f"{shown(frame[f'{name}_high'].sum())} summed over the days",
        )
    st.altair_chart(charts.forecast_band(forecast.history, frame, metric), width="stretch")
    st.caption(
        "Solid: the last four weeks as recorded. Dashed: the expected day, inside the range it "
        "falls in four times out of five. Recent days may still gain late conversions."
    )
    with st.expander("The numbers"):
        st.dataframe(
            {
                "Day": frame["date"].map(format_day),
                **{
                    charts.METRIC_TITLES[name]: [
                        f"{shown(mid)} ({shown(low)} – {shown(high)})"
                        for mid, low, high in zip(
                            frame[name], frame[f"{name}_low"], frame[f"{name}_high"], strict=True
                        )
                    ]
                    for name, shown in (
                        ("spend", format_money),
                        ("conversions", format_count),
                        ("revenue", format_money),
                    )
                },
            },
            hide_index=True,
            width="stretch",
        )


def export_tab(period: DateRange) -> None:
    st.markdown(
        f"The figures of **{format_day(period.start)} – {format_day(period.end)}** for every platform, "
        "by day, campaign, platform and placement. Undefined ratios are left empty."
    )
    sheets = list(export.SHEETS)
    sheet = st.selectbox("Table for CSV", sheets, key="export_sheet")
    stamp = f"{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    csv_column, excel_column = st.columns(2)
    csv_column.download_button(
        f"Download {sheet} as CSV",
        data=lambda: export.to_csv(_report(period)[sheet]),
        file_name=f"adflow-{sheet.lower().replace(' ', '-')}-{stamp}.csv",
        mime="text/csv",
        key="export_csv",
        icon=":material/download:",
        width="stretch",
    )
    excel_column.download_button(
        "Download every table as Excel",
        data=lambda: export.to_excel(_report(period)),
        file_name=f"adflow-report-{stamp}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="export_excel",
        icon=":material/table_view:",
        type="primary",
        width="stretch",
    )


def _report(period: DateRange) -> dict:
    return cached(export.report, me, start=period.start, end=period.end)


TABS = {
    "Trends": trends_tab,
    "ROI": roi_tab,
    "Platforms": platforms_tab,
    "Campaign drill-down": drilldown_tab,
    "Weekdays": weekdays_tab,
    "Forecast": forecast_tab,
    "Export": export_tab,
}

open_tab_only(TABS, "analytics_tab", period)
