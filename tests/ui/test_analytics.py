"""The Analytics screen: every tab on the demo, a drill-down, the exports."""

from datetime import date

import pytest
from sqlalchemy import select

from core.database import session_scope
from db.models import Campaign
from tests.ui.conftest import open_page

TABS = ("Trends", "ROI", "Platforms", "Campaign drill-down", "Weekdays", "Export")


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
