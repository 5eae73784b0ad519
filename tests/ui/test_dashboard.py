"""The Dashboard screen on the seeded demo."""

from datetime import date, timedelta

import streamlit as st
from sqlalchemy import select

from core.database import session_scope
from db.models import Alert, Campaign
from tests.ui.conftest import open_page


def test_kpis_charts_and_campaigns_render(admin_app) -> None:
    app = open_page(admin_app, "dashboard")
    assert not app.exception
    assert [m.label for m in app.metric] == ["Spend", "Revenue", "Conversions", "CPA", "ROAS"]
    assert all(m.value.startswith("$") for m in app.metric[:2]) and app.metric[4].value.endswith("×")
    assert app.metric[0].delta  # against the 30 days before
    campaigns = app.dataframe[-1].value
    assert "Black Friday Sale 2026" in set(campaigns["Campaign"])
    assert campaigns["Spend"].str.startswith("$").all()
    assert len(app.get("vega_lite_chart")) == 2
    assert [link.proto.label for link in app.get("page_link")] == ["Review the recommendations"]


def test_the_date_range_and_the_campaign_filters_change_what_is_shown(admin_app) -> None:
    app = open_page(admin_app, "dashboard")
    thirty_days = app.metric[0].value
    app.segmented_control(key="dashboard_preset").set_value("7 days").run()
    assert not app.exception and app.metric[0].value != thirty_days
    app.text_input(key="dashboard_search").input("black friday").run()
    assert app.dataframe[-1].value["Campaign"].tolist() == ["Black Friday Sale 2026"]
    app.text_input(key="dashboard_search").input("no such campaign").run()
    assert "No campaign matches these filters." in [i.value for i in app.info]


def test_open_alerts_appear_once_there_are_some(admin_app) -> None:
    app = open_page(admin_app, "dashboard")
    assert not any("CPA is three times its usual level." in m.value for m in app.markdown)
    with session_scope() as session:  # as the scheduler would, from another process
        campaign = session.scalars(select(Campaign).where(Campaign.name == "Holiday Gift Guide")).one()
        session.add(
            Alert(
                company_id=campaign.company_id,
                campaign_id=campaign.id,
                date=date.today() - timedelta(days=1),
                severity="high",
                metric="cpa",
                observed=90.0,
                expected=30.0,
                anomaly_score=0.97,
                message="CPA is three times its usual level.",
                status="open",
            )
        )
    st.cache_data.clear()  # what the cache's short TTL does for writes made elsewhere
    app.run()
    assert any("CPA is three times its usual level." in m.value for m in app.markdown)


def alert_statuses() -> dict[int, str]:
    with session_scope() as session:
        return dict(session.execute(select(Alert.id, Alert.status)).all())


def shown_alert_ids(app) -> list[int]:
    return [int(c.key.removeprefix("alert_pick_")) for c in app.checkbox if c.key.startswith("alert_pick_")]


def test_ticked_alerts_are_acknowledged_or_resolved(admin_app) -> None:
    app = open_page(admin_app, "dashboard")
    first, second, third = shown_alert_ids(app)[:3]
    assert app.button(key="alerts_acknowledge").disabled  # nothing ticked yet
    app.checkbox(key=f"alert_pick_{first}").check().run()
    app.button(key="alerts_acknowledge").click().run()
    assert not app.exception
    assert "1 alert acknowledged." in [m.value for m in app.success]
    assert alert_statuses()[first] == "acknowledged"
    assert first not in shown_alert_ids(app)  # no longer open

    app.checkbox(key=f"alert_pick_{second}").check().run()
    app.checkbox(key=f"alert_pick_{third}").check().run()
    assert app.button(key="alerts_resolve").label == "Resolve (2)"
    app.button(key="alerts_resolve").click().run()
    assert "2 alerts resolved." in [m.value for m in app.success]
    statuses = alert_statuses()
    assert (statuses[second], statuses[third]) == ("resolved", "resolved")
    assert sum(s == "open" for s in statuses.values()) == len(statuses) - 3


def test_a_viewer_cannot_acknowledge_or_resolve_alerts(viewer_app) -> None:
    app = open_page(viewer_app, "dashboard")
    assert not app.exception
    assert shown_alert_ids(app) and all(c.disabled for c in app.checkbox if c.key.startswith("alert_pick_"))
    assert app.button(key="alerts_acknowledge").disabled and app.button(key="alerts_resolve").disabled
    assert "view-only access" in " ".join(c.value for c in app.caption)
