"""The Campaigns screen: create and edit with messages on the form, the split, status changes."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.database import session_scope
from db.models import Campaign, OptimizationLog
from tests.ui.conftest import open_page


def campaign_named(name: str) -> Campaign | None:
    with session_scope() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.name == name))
        if campaign is not None:
            campaign.platform_campaigns  # noqa: B018 - loaded while the session is open
        return campaign


def campaign_count() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Campaign))


def new_campaign_form(app):
    app = open_page(app, "campaigns")
    app.session_state["campaigns_tab"] = "New campaign"
    return app.run()


NEW_CAMPAIGN_WIDGETS = {
    "name": "text_input",
    "total_budget": "number_input",
    "daily_budget": "number_input",
    "platforms": "multiselect",
    "start_now": "toggle",
}


def fill(app, **values) -> None:
    for key, value in values.items():
        getattr(app, NEW_CAMPAIGN_WIDGETS[key])(key=f"new_{key}").set_value(value)


def shown(app) -> str:
    return " ".join(str(m.value) for m in [*app.markdown, *app.error, *app.warning, *app.success])


@pytest.fixture
def campaigns_page(admin_app):
    return open_page(admin_app, "campaigns")


def test_the_list_and_a_campaign_to_manage_render(campaigns_page) -> None:
    app = campaigns_page
    assert not app.exception
    table = app.dataframe[0].value
    assert len(table) == 15 and table["Daily budget"].str.startswith("$").all()
    assert app.selectbox(key="manage_campaign").value is not None
    assert app.button(key=f"split_{app.selectbox(key='manage_campaign').value}_save")


def test_a_new_campaign_with_platforms_and_a_split_is_saved(admin_app) -> None:
    app = new_campaign_form(admin_app)
    fill(app, name="Winter Launch", total_budget=9000.0, daily_budget=300.0)
    app.run()
    fill(app, platforms=["google_ads", "tiktok"])
    app.run()  # choosing platforms splits the daily budget evenly
    assert app.number_input(key="new_split_google_ads_amount").value == 150.0
    app.number_input(key="new_split_google_ads_amount").set_value(200.0)
    app.number_input(key="new_split_tiktok_amount").set_value(100.0)
    app.button(key="new_create").click().run()

    assert not app.exception
    assert "Created Winter Launch." in shown(app)
    created = campaign_named("Winter Launch")
    assert created.status == "draft" and created.daily_budget == Decimal("300.00")
    assert {p.platform: p.allocated_budget for p in created.platform_campaigns} == {
        "google_ads": Decimal("200.00"),
        "tiktok": Decimal("100.00"),
    }


def test_refused_input_is_explained_next_to_its_field_and_nothing_is_saved(admin_app) -> None:
    before = campaign_count()
    app = new_campaign_form(admin_app)
    fill(app, name="   ", total_budget=100.0, daily_budget=300.0)
    app.button(key="new_create").click().run()
    assert not app.exception
    assert "Must not be empty" in shown(app)
    assert campaign_count() == before

    fill(app, name="Too fast")
    app.button(key="new_create").click().run()
    assert "Must not exceed the total budget (100.00)" in shown(app)
    assert campaign_count() == before


def test_a_split_that_does_not_add_up_is_refused(admin_app) -> None:
    before = campaign_count()
    app = new_campaign_form(admin_app)
    fill(
        app, name="Off by a cent", total_budget=1000.0, daily_budget=100.0, platforms=["facebook", "linkedin"]
    )
    app.run()
    app.number_input(key="new_split_facebook_amount").set_value(50.0)
    app.number_input(key="new_split_linkedin_amount").set_value(49.99)
    app.run()
    assert "$0.01 left to allocate" in shown(app)
    app.button(key="new_create").click().run()
    assert "add up to 99.99, not to the daily budget 100.00" in shown(app)
    assert campaign_count() == before


def test_editing_details_changes_the_campaign(campaigns_page) -> None:
    app = campaigns_page
    campaign_id = app.selectbox(key="manage_campaign").value
    app.text_input(key=f"edit_{campaign_id}_name").input("Holiday Gift Guide — EU")
    app.number_input(key=f"edit_{campaign_id}_target_roas").set_value(3.5)
    next(b for b in app.button if b.label == "Save details").click().run()
    assert not app.exception
    edited = campaign_named("Holiday Gift Guide — EU")
    assert edited is not None and edited.id == campaign_id and edited.target_roas == 3.5


def test_a_new_split_is_saved_and_a_wrong_one_refused(campaigns_page) -> None:
    app = campaigns_page
    campaign_id = app.selectbox(key="manage_campaign").value
    before = {p.platform: p.allocated_budget for p in campaign_named("Holiday Gift Guide").platform_campaigns}
    key = f"split_{campaign_id}"
    app.toggle(key=f"{key}_tiktok_on").set_value(True).run()
    app.button(key=f"{key}_even").click().run()
    app.button(key=f"{key}_save").click().run()
    assert not app.exception
    after = campaign_named("Holiday Gift Guide").platform_campaigns
    assert {p.platform: p.allocated_budget for p in after if p.is_active} == {
        "google_ads": Decimal("283.34"),
        "instagram": Decimal("283.33"),
        "tiktok": Decimal("283.33"),
    }
    app.number_input(key=f"{key}_tiktok_amount").set_value(1000.0)
    app.button(key=f"{key}_save").click().run()
    assert "not to the daily budget 850.00" in shown(app)
    assert before != {p.platform: p.allocated_budget for p in after if p.is_active}


def test_pausing_and_archiving_need_a_confirmation_and_change_the_status(campaigns_page) -> None:
    app = campaigns_page
    campaign_id = app.selectbox(key="manage_campaign").value
    app.button(key=f"confirm_paused_{campaign_id}").click().run()
    assert not app.exception
    assert campaign_named("Holiday Gift Guide").status == "paused"
    app.button(key=f"confirm_active_{campaign_id}").click().run()
    assert campaign_named("Holiday Gift Guide").status == "active"
    app.button(key=f"confirm_archived_{campaign_id}").click().run()
    assert campaign_named("Holiday Gift Guide").status == "archived"
    assert "archived" in shown(app)
    with session_scope() as session:
        actions = session.scalars(
            select(OptimizationLog.action).where(OptimizationLog.campaign_id == campaign_id)
        ).all()
    assert actions == ["pause_campaign", "activate", "archive"]


def test_a_viewer_sees_campaigns_but_cannot_change_them(viewer_app) -> None:
    app = open_page(viewer_app, "campaigns")
    assert not app.exception and len(app.dataframe[0].value) == 15
    campaign_id = app.selectbox(key="manage_campaign").value
    assert app.button(key=f"split_{campaign_id}_save").disabled
    assert app.text_input(key=f"edit_{campaign_id}_name").disabled
    popovers = app.get("popover")
    assert popovers and all(p.proto.popover.disabled for p in popovers)
    # Were a disabled button pressed anyway, the service refuses and says why.
    app.button(key=f"confirm_paused_{campaign_id}").click().run()
    assert "Viewers can look but not change anything" in shown(app)
    assert campaign_named("Holiday Gift Guide").status == "active"
    app.session_state["campaigns_tab"] = "New campaign"
    app.run()
    assert not [w for w in app.text_input if str(w.key).startswith("new_")]
    assert not [b for b in app.button if str(b.key).startswith("new_")]
    assert "view-only access" in " ".join(c.value for c in app.caption)
