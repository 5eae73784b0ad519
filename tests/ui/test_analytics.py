"""The Analytics screen: every tab on the demo, a drill-down, the exports."""

from datetime import date
from decimal import Decimal

import pytest
import streamlit as st
from sqlalchemy import select

from core.database import session_scope
from db.models import Campaign
from tests.ui.conftest import open_page

TABS = ("Trends", "ROI", "Platforms", "Campaign drill-down", "Weekdays", "Forecast", "Export")


@pytest.fixture
def analytics_page(admin_app):
    return open_page(admin_app, "analytics")


def open_tab(app, tab: str):
    app.session_state["analytics_tab"] = tab
    return app.run()


def test_every_tab_renders_with_a_chart_or_a_table(analytics_page) -> None:
    for tab in TABS:
        app = open_tab(analytics_page, tab)
        assert not app.exception, tab
        assert app.get("vega_lite_chart") or app.dataframe or app.get("download_button"), tab


def test_trends_by_week_for_one_platform(analytics_page) -> None:
    app = open_tab(analytics_page, "Trends")
    app.multiselect(key="analytics_platforms").set_value(["linkedin"])
    app.segmented_control(key="trend_grain").set_value("week")
    app.segmented_control(key="trend_metric").set_value("cpa").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert set(table["Platform"]) == {"LinkedIn"} and table["CPA"].str.startswith("$").all()


def test_the_drilldown_shows_one_campaign_by_platform(analytics_page) -> None:
    app = open_tab(analytics_page, "Campaign drill-down")
    with session_scope() as session:
        b2b = session.scalar(select(Campaign.id).where(Campaign.name == "B2B Lead Gen — Q4"))
    app.selectbox(key="drilldown_campaign").set_value(b2b).run()
    assert not app.exception
    assert app.dataframe[0].value["Platform"].tolist() == ["LinkedIn", "Google Ads"]
    assert [m.label for m in app.metric] == ["Spend", "Revenue", "Conversions", "CPA", "ROAS"]


def campaign_id(name: str) -> int:
    with session_scope() as session:
        return session.scalar(select(Campaign.id).where(Campaign.name == name))


def test_the_forecast_shows_fourteen_days_with_an_interval_and_the_pacing(analytics_page) -> None:
    app = open_tab(analytics_page, "Forecast")
    app.selectbox(key="forecast_campaign").set_value(campaign_id("Black Friday Sale 2026")).run()
    assert not app.exception
    assert [m.label for m in app.metric] == [
        "Spend, next 14 days",
        "Conversions, next 14 days",
        "Revenue, next 14 days",
    ]
    assert app.metric[0].value.startswith("$")
    assert len(app.get("vega_lite_chart")) == 1
    days = app.dataframe[0].value
    assert len(days) == 14 and days["Spend"].str.match(r"^\$[\d,.]+ \(\$[\d,.]+ – \$[\d,.]+\)$").all()
    pacing = [*app.success, *app.info, *app.warning]
    assert len(pacing) == 1 and pacing[0].value.startswith(("At this rate", "On track"))

    with session_scope() as session:  # a budget that is nearly gone: the pacing warns
        campaign = session.get(Campaign, campaign_id("Black Friday Sale 2026"))
        campaign.total_budget = campaign.spent_budget + Decimal("1000.00")
    st.cache_data.clear()
    app.segmented_control(key="forecast_metric").set_value("revenue").run()
    assert not app.exception
    assert "would overspend by $" in app.warning[0].value


def test_a_campaign_without_enough_history_gets_no_forecast_but_a_reason(analytics_page) -> None:
    app = open_tab(analytics_page, "Forecast")
    app.selectbox(key="forecast_campaign").set_value(campaign_id("Q1 Planning (draft)")).run()
    assert not app.exception
    assert not app.get("vega_lite_chart") and not app.metric
    assert "Only 0 days of spend so far: a forecast needs at least 14" in app.info[0].value


def test_exports_download_as_csv_and_excel(analytics_page) -> None:
    app = open_tab(analytics_page, "Export")
    assert {b.key for b in app.get("download_button")} == {"export_csv", "export_excel"}
    csv = app.get("download_button")[0]
    assert csv.proto.label == "Download Daily as CSV"


def test_a_range_without_data_reads_as_an_empty_state(analytics_page) -> None:
    app = analytics_page
    app.segmented_control(key="analytics_preset").set_value("Custom").run()
    app.date_input(key="analytics_dates").set_value((date(2020, 1, 1), date(2020, 1, 31))).run()
    for tab in ("Trends", "ROI", "Platforms", "Weekdays"):
        open_tab(app, tab)
        assert not app.exception
        assert any("No spend in this period" in i.value for i in app.info), tab
