"""Planner: a forward plan for the next weeks, what-ifs, the budget frontier and backtests.

Everything here only reads: a plan is advice to apply from Campaigns, so a viewer may use it all.
"""

from decimal import Decimal

import pandas as pd
import streamlit as st

from core import planner
from core.campaigns import views as campaign_views
from core.database import session_scope
from core.errors import AdFlowError
from core.planner.schemas import BacktestRequest, PlanRequest, WhatIfRequest
from ui import charts
from ui.auth import signed_in
from ui.common import cached, empty_state, format_money, platform_label

OBJECTIVES = {None: "Campaign objective", "conversions": "Conversions", "revenue": "Revenue"}
TARGETS = ["None", "Target CPA", "Target ROAS"]
STRATEGIES = {
    "keep": "Keep budgets as they were",
    "allocator": "The engine's allocator",
    "rules": "The engine's decision rules",
}

me = signed_in().actor
st.title("Planner")
st.caption(
    "Plans for the coming weeks from each placement's own response curve, with a P10–P90 band: "
    "eight times in ten the result should land inside it. Nothing here changes a campaign."
)

campaigns = {c.id: c.name for c in cached(campaign_views.choices, me) if c.status == "active"}
scope_column, objective_column = st.columns([3, 2])
campaign_id = scope_column.selectbox(
    "Plan for",
    [None, *campaigns],
    format_func=lambda c: campaigns.get(c, "All active campaigns"),
    key="planner_scope",
)
objective = objective_column.segmented_control(
    "Optimise for", list(OBJECTIVES), format_func=OBJECTIVES.get, default=None, key="planner_objective"
)


def label(placement_id: int, platform: str, campaign: int) -> str:
    return f"{platform_label(platform)} · {campaigns.get(campaign, f'#{campaign}')} (#{placement_id})"


def why(placement, objective: str) -> str:
    seen = f"{format_money(placement.spend_seen_low)} – {format_money(placement.spend_seen_high)}"
    return (
        f"{placement.days_of_data} days of data, daily spend seen {seen}. "
        f"Now {format_money(placement.run_rate_28d)} a day, planned {format_money(placement.planned_daily)}. "
        f"The next dollar buys {placement.marginal_now:.4f} {objective} now, "
        f"{placement.marginal_planned:.4f} at the planned budget."
    )


def band_text(band, money: bool) -> str:
    shown = format_money if money else (lambda v: f"{v:,.0f}")
    return f"{shown(band.p10)} – {shown(band.p90)}"


try:
    baseline = cached(planner.what_if, me, request=WhatIfRequest(campaign_id=campaign_id, weeks=1))
except AdFlowError as error:
    empty_state(f"Nothing to plan yet: {error.message}")
    st.stop()
names = {
    pid: label(pid, baseline.platforms[pid], baseline.campaigns[pid])
    for pid in baseline.what_if.daily_budgets
}
current = baseline.what_if.daily_budgets

plan_tab, what_if_tab, frontier_tab, backtest_tab = st.tabs(["Plan", "What-if", "Frontier", "Backtest"])

with plan_tab:
    with st.form("plan_form"):
        weeks_column, total_column = st.columns(2)
        weeks = weeks_column.slider("Weeks", 1, 13, 4, key="plan_weeks")
        total = total_column.number_input(
            "Total budget for the weeks ($)",
            min_value=0.0,
            value=float(sum(current.values()) * 7 * 4),
            step=100.0,
            key="plan_total",
        )
        locks = st.multiselect("Keep at today's budget", list(names), format_func=names.get, key="plan_locks")
        cap_column, target_column, value_column = st.columns(3)
        cap = cap_column.number_input("Cap on weekly change (%)", 0, 100, 0, key="plan_cap", help="0: no cap")
        target_kind = target_column.selectbox("Target", TARGETS, key="plan_target")
        target_value = value_column.number_input(
            "Target value", min_value=0.0, value=0.0, step=1.0, key="plan_target_value"
        )
        submitted = st.form_submit_button("Make the plan", type="primary")
    if submitted or "plan_request" in st.session_state:
        if submitted:
            st.session_state["plan_request"] = {
                "weeks": weeks,
                "total_budget": Decimal(str(round(total, 2))),
                "campaign_id": campaign_id,
                "objective": objective,
                "locks": locks,
                "max_weekly_change": cap / 100 if cap else None,
                "target_cpa": Decimal(str(target_value)) if target_kind == "Target CPA" else None,
                "target_roas": target_value if target_kind == "Target ROAS" else None,
            }
        try:
            plan = cached(planner.make_plan, me, request=PlanRequest(**st.session_state["plan_request"]))
        except AdFlowError as error:
            st.error(f"No plan: {error.message}")
            plan = None
        if plan is not None:
            spend_column, conversions_column, revenue_column = st.columns(3)
            spend_column.metric("Planned spend", format_money(plan.planned_spend))
            conversions_column.metric("Expected conversions", f"{plan.conversions.expected:,.0f}")
            conversions_column.caption(f"P10–P90: {band_text(plan.conversions, False)}")
            revenue_column.metric("Expected revenue", format_money(plan.revenue.expected))
            revenue_column.caption(f"P10–P90: {band_text(plan.revenue, True)}")
            if plan.target is not None:
                (st.success if plan.target.met else st.warning)(plan.target.message)
            for note in plan.notes:
                st.warning(note, icon=":material/info:")
            weekly = pd.DataFrame(
                [
                    {
                        "week_start": w.week_start,
                        "budget": float(w.budget),
                        **getattr(w, plan.objective).model_dump(),
                    }
                    for w in plan.week_totals
                ]
            )
            st.altair_chart(charts.plan_weeks(weekly, plan.objective), width="stretch")
            table = pd.DataFrame(
                [
                    {"Placement": names.get(c.placement_id), "Week": c.week, "Budget": float(c.budget)}
                    for c in plan.cells
                ]
            ).pivot(index="Placement", columns="Week", values="Budget")
            st.dataframe(table.map(format_money), width="stretch", key="plan_table")
            st.subheader("Why")
            for placement in plan.placements:
                with st.expander(names.get(placement.placement_id, str(placement.placement_id))):
                    st.markdown(why(placement, plan.objective))
                    if placement.warning:
                        st.warning(placement.warning)
                    marks = pd.DataFrame(
                        {
                            "spend": [placement.run_rate_28d, placement.planned_daily],
                            "label": ["now", "planned"],
                        }
                    )
                    curve = pd.DataFrame([point.model_dump() for point in placement.curve])
                    st.altair_chart(charts.response_curve(curve, marks, plan.objective), width="stretch")

with what_if_tab:
    st.caption("Set a daily budget per placement; the rest of the company stays as it is.")
    what_if_weeks = st.slider("Over weeks", 1, 13, 4, key="what_if_weeks")
    budgets = {}
    for pid, amount in current.items():
        ceiling = max(float(amount) * 3, 100.0)
        budgets[pid] = st.slider(
            names[pid],
            0.0,
            ceiling,
            float(amount),
            step=max(round(ceiling / 100, 0), 1.0),
            key=f"what_if_{pid}",
        )
    result = cached(
        planner.what_if,
        me,
        request=WhatIfRequest(
            campaign_id=campaign_id,
            weeks=what_if_weeks,
            objective=objective,
            budgets={pid: Decimal(str(round(v, 2))) for pid, v in budgets.items()},
        ),
    )
    for column, scenario in zip(st.columns(3), (result.what_if, result.current, result.optimal), strict=True):
        column.markdown(f"**{scenario.name.capitalize()}** · {format_money(scenario.daily_total)} a day")
        column.metric("Conversions", f"{scenario.conversions.expected:,.0f}")
        column.caption(f"P10–P90: {band_text(scenario.conversions, False)}")
        column.metric("Revenue", format_money(scenario.revenue.expected))
        column.caption(f"P10–P90: {band_text(scenario.revenue, True)}")
    for note in result.notes:
        st.warning(note)

with frontier_tab:
    frontier = cached(planner.frontier, me, campaign_id=campaign_id, objective=objective)
    points = pd.DataFrame(
        [
            {"daily_total": p.daily_total, **p.objective.model_dump(), "marginal_cpa": p.marginal_cpa,
             "marginal_roas": p.marginal_roas}
            for p in frontier.points
        ]
    )  # fmt: skip
    st.caption(
        "Expected results of the best split at each daily budget: where the curve flattens, the next "
        "dollar stops paying (the marginal CPA or ROAS is in the tooltip). The dashed line is today's spend."
    )
    st.altair_chart(
        charts.frontier(points, frontier.objective, frontier.current_daily_total), width="stretch"
    )

with backtest_tab:
    st.caption(
        "Replays a strategy over your own recent weeks, refitting before each weekly decision: what it "
        "would have changed and the estimated difference. Try it before switching autopilot on."
    )
    strategy_column, weeks_column = st.columns(2)
    strategy = strategy_column.radio(
        "Strategy", list(STRATEGIES), format_func=STRATEGIES.get, key="backtest_strategy"
    )
    backtest_weeks = weeks_column.slider("Weeks back", 2, 12, 6, key="backtest_weeks")
    if st.button("Run the backtest", key="backtest_run"):
        bar = st.progress(0.0, text="Starting")
        request = BacktestRequest(
            strategy=strategy, weeks=backtest_weeks, campaign_id=campaign_id, objective=objective
        )
        try:
            with session_scope() as session:
                st.session_state["backtest_result"] = planner.backtest(
                    session,
                    me,
                    request,
                    progress=lambda fraction, message: bar.progress(fraction, text=message),
                )
        except AdFlowError as error:
            st.error(f"No backtest: {error.message}")
    outcome = st.session_state.get("backtest_result")
    if outcome is not None:
        money = outcome.objective == "revenue"
        shown = format_money if money else (lambda v: f"{v:,.0f}")
        st.info(outcome.caveat, icon=":material/science:")
        first, second, third = st.columns(3)
        first.metric(
            "Spend: actual → strategy",
            f"{format_money(outcome.actual_spend)} → {format_money(outcome.strategy_spend)}",
        )
        second.metric(f"Actual {outcome.objective}", shown(outcome.actual_outcome))
        second.caption(f"Model for what was spent: {band_text(outcome.predicted_actual, money)}")
        third.metric("Estimated difference", shown(outcome.difference.expected))
        third.caption(f"P10–P90: {band_text(outcome.difference, money)}")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Week from": w.decision_day,
                        "Spent": format_money(w.actual_spend),
                        "Strategy": format_money(w.strategy_spend),
                        "Actual": shown(w.actual_outcome),
                        "Difference": shown(w.difference.expected),
                        "Changes": "; ".join(w.changes) or "—",
                    }
                    for w in outcome.weeks
                ]
            ),
            width="stretch",
            hide_index=True,
            key="backtest_table",
        )
