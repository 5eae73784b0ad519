"""The AI Recommendations screen: the demo's pending proposals, approve / reject one or many, a run of
the optimizer, the autopilot switches, and a viewer who can change none of it."""

import re

import streamlit as st
from sqlalchemy import select

from core.database import session_scope
from db.models import Campaign, Company, PlatformCampaign, Recommendation
from tests.ui.conftest import open_page

TABLE = "recommendations_table"


def recommendations_by_status() -> dict[int, str]:
    with session_scope() as session:
        return dict(session.execute(select(Recommendation.id, Recommendation.status)).all())


def pending_ids() -> list[int]:
    """In the order the screen lists them: most confident first."""
    with session_scope() as session:
        return list(
            session.scalars(
                select(Recommendation.id)
                .where(Recommendation.status == "pending")
                .order_by(
                    Recommendation.confidence.desc(),
                    Recommendation.created_at.desc(),
                    Recommendation.id.desc(),
                )
            )
        )


def placement_of(recommendation_id: int) -> PlatformCampaign:
    with session_scope() as session:
        recommendation = session.get(Recommendation, recommendation_id)
        return session.get(PlatformCampaign, recommendation.platform_campaign_id)


def texts(app) -> str:
    return " ".join(str(e.value) for e in [*app.markdown, *app.success, *app.warning, *app.error, *app.info])


def tick(app, *rows: int):
    """Tick the Select box of these rows (positions in the table) and run."""
    app.session_state[TABLE] = {
        "edited_rows": {row: {"Select": True} for row in rows},
        "added_rows": [],
        "deleted_rows": [],
    }
    return app.run()


def test_pending_recommendations_show_reason_confidence_and_impact(admin_app) -> None:
    app = open_page(admin_app, "recommendations")
    assert not app.exception
    waiting = pending_ids()
    assert len(waiting) >= 2
    table = app.data_editor(key=TABLE).value
    assert len(table) == len(waiting)
    assert {"Campaign", "Platform", "Type", "Confidence", "Expected impact", "Reason"} <= set(table.columns)
    assert table["Expected impact"].str.endswith("a week").all()
    assert "is the weak spot" in texts(app)
    assert [b.key for b in app.button if b.key.startswith("approve_") and b.key[8:].isdigit()] == [
        f"approve_{i}" for i in waiting
    ]
    assert app.button(key="approve_selected").disabled  # nothing ticked yet


def test_approving_one_applies_it_and_says_so(admin_app) -> None:
    app = open_page(admin_app, "recommendations")
    first = pending_ids()[0]
    assert placement_of(first).is_active
    app.button(key=f"approve_{first}").click().run()
    assert not app.exception
    assert recommendations_by_status()[first] == "applied"
    assert not placement_of(first).is_active  # the weak platform is paused
    assert any(
        re.fullmatch(r"Applied: pause a platform on .+ \(action #\d+\)\.", m.value) for m in app.success
    )
    assert f"approve_{first}" not in [b.key for b in app.button]


def test_rejecting_one_changes_nothing_on_the_campaign(admin_app) -> None:
    app = open_page(admin_app, "recommendations")
    first = pending_ids()[0]
    app.button(key=f"reject_{first}").click().run()
    assert not app.exception
    assert recommendations_by_status()[first] == "rejected"
    assert placement_of(first).is_active
    assert any(m.value.startswith("Rejected: pause a platform on") for m in app.success)


def test_ticked_recommendations_are_approved_together(admin_app) -> None:
    app = open_page(admin_app, "recommendations")
    waiting = pending_ids()
    app = tick(app, 0, 1)
    approve = app.button(key="approve_selected")
    assert approve.label == "Approve selected (2)" and not approve.disabled
    approve.click().run()
    assert not app.exception
    statuses = recommendations_by_status()
    assert [statuses[i] for i in waiting[:2]] == ["applied", "applied"]
    assert all(statuses[i] == "pending" for i in waiting[2:])
    assert len([m for m in app.success if m.value.startswith("Applied:")]) == 2
    assert len(app.data_editor(key=TABLE).value) == len(waiting) - 2
    assert app.button(key="approve_selected").label == "Approve selected (0)"  # the ticks are gone


def test_ticked_recommendations_are_rejected_together(admin_app) -> None:
    app = open_page(admin_app, "recommendations")
    waiting = pending_ids()
    app = tick(app, 0, 2)
    app.button(key="reject_selected").click().run()
    statuses = recommendations_by_status()
    assert (statuses[waiting[0]], statuses[waiting[1]], statuses[waiting[2]]) == (
        "rejected",
        "pending",
        "rejected",
    )


def test_a_recommendation_the_campaign_has_moved_past_is_reported_not_applied(admin_app) -> None:
    app = open_page(admin_app, "recommendations")
    first = pending_ids()[0]
    with session_scope() as session:
        campaign_id = session.get(Recommendation, first).campaign_id
        session.get(Campaign, campaign_id).status = "paused"
    st.cache_data.clear()  # what the cache's short TTL does for writes made elsewhere
    app.run()
    assert "Campaign paused: approving sets this aside" in texts(app)
    app.button(key=f"approve_{first}").click().run()
    assert not app.exception
    assert recommendations_by_status()[first] == "superseded"
    assert any("the campaign has changed since this was proposed" in m.value for m in app.warning)


def test_filters_narrow_the_list(admin_app) -> None:
    app = open_page(admin_app, "recommendations")
    app.selectbox(key="recommendations_type").set_value("reallocate").run()
    table = app.data_editor(key=TABLE).value
    assert set(table["Type"]) == {"Move budget between platforms"}
    app.selectbox(key="recommendations_type").set_value(None).run()
    app.selectbox(key="recommendations_platform").set_value("linkedin").run()
    table = app.data_editor(key=TABLE).value
    assert len(table) and set(table["Platform"]) <= {"LinkedIn", "All"}
    app.selectbox(key="recommendations_platform").set_value(None).run()
    name = table["Campaign"].iloc[0]
    with session_scope() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.name == name))
    app.selectbox(key="recommendations_campaign").set_value(campaign_id).run()
    assert list(app.data_editor(key=TABLE).value["Campaign"]) == [name]


def test_an_empty_list_says_what_to_do(admin_app) -> None:
    app = open_page(admin_app, "recommendations")
    app = tick(app, *range(len(pending_ids())))
    app.button(key="reject_selected").click().run()
    assert not pending_ids()
    assert "No recommendations waiting." in texts(app)


def test_running_the_optimizer_shows_its_figures(admin_app) -> None:
    app = open_page(admin_app, "recommendations")
    with session_scope() as session:
        active = session.scalar(select(Campaign.id).where(Campaign.status == "active").limit(1))
        session.get(Campaign, active).last_optimization = None
    app.button(key="run_optimizer").click().run()
    assert not app.exception
    assert app.status[0].label == "The optimizer has run"
    assert "Looked at **13** campaigns" in texts(app)
    with session_scope() as session:
        assert session.get(Campaign, active).last_optimization is not None


def test_the_autopilot_switch_changes_the_campaign(admin_app) -> None:
    app = open_page(admin_app, "recommendations")
    app.session_state["recommendations_tab"] = "Autopilot"
    app.run()
    assert "Approval mode: the optimizer only proposes" in texts(app)
    with session_scope() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.name == "Search — Brand Terms"))
        campaign_id, before = campaign.id, campaign.autopilot
    assert before is False
    app.toggle(key=f"autopilot_{campaign_id}").set_value(True).run()
    assert not app.exception
    assert "Autopilot on for Search — Brand Terms." in [m.value for m in app.success]
    with session_scope() as session:
        assert session.get(Campaign, campaign_id).autopilot is True
    app.toggle(key=f"autopilot_{campaign_id}").set_value(False).run()
    with session_scope() as session:
        assert session.get(Campaign, campaign_id).autopilot is False


def test_an_admin_switches_the_company_to_autopilot_mode(admin_app) -> None:
    app = open_page(admin_app, "recommendations")
    app.session_state["recommendations_tab"] = "Autopilot"
    app.run()
    app.toggle(key="autopilot_mode").set_value(True).run()
    assert not app.exception
    assert "The optimizer now runs in autopilot mode." in [m.value for m in app.success]
    assert "The optimizer applies, on the campaigns switched on below" in texts(app)
    with session_scope() as session:
        company = session.scalar(select(Company))
        assert company.settings["optimizer"]["mode"] == "autopilot"
        assert company.settings["optimizer"]["anomaly_lookback_days"] == 14  # the demo's own setting stays


def test_a_viewer_can_look_but_not_decide(viewer_app) -> None:
    app = open_page(viewer_app, "recommendations")
    assert not app.exception
    before = recommendations_by_status()
    assert app.data_editor(key=TABLE).value.shape[0] == len(pending_ids())
    buttons = [b for b in app.button if b.key.startswith(("approve_", "reject_", "run_optimizer"))]
    assert buttons and all(b.disabled for b in buttons)
    assert "view-only access" in " ".join(c.value for c in app.caption)
    app.session_state["recommendations_tab"] = "Autopilot"
    app.run()
    assert all(t.disabled for t in app.toggle if t.key.startswith("autopilot_"))
    assert app.toggle(key="autopilot_mode").disabled
    assert recommendations_by_status() == before


def test_a_long_list_comes_in_pages_and_ticks_do_not_follow_to_another_page(admin_app) -> None:
    with session_scope() as session:  # 30 more proposals, as a big company's pass would leave
        template = session.scalar(select(Recommendation).where(Recommendation.status == "pending").limit(1))
        for n in range(30):
            session.add(
                Recommendation(
                    company_id=template.company_id,
                    campaign_id=template.campaign_id,
                    platform_campaign_id=template.platform_campaign_id,
                    action=template.action,
                    params=template.params,
                    reason=f"Proposal {n}",
                    confidence=0.5,
                    expected_impact=template.expected_impact,
                    status="pending",
                )
            )
    app = open_page(admin_app, "recommendations")
    waiting = pending_ids()
    assert len(app.data_editor(key=TABLE).value) == 25
    app = tick(app, 0)
    assert app.button(key="approve_selected").label == "Approve selected (1)"
    app.get("pagination")[0].set_value(2).run()
    assert not app.exception
    assert len(app.data_editor(key=TABLE).value) == len(waiting) - 25
    assert app.button(key="approve_selected").label == "Approve selected (0)"
    assert f"{len(waiting)} waiting, most confident first" in [c.value for c in app.caption]
