"""The Planner screen on the demo: a plan, what-ifs, the frontier, a backtest; a viewer may use it all."""

from sqlalchemy import func, select

from core.database import session_scope
from db.models import Campaign, PlatformCampaign
from tests.ui.conftest import open_page


def texts(app) -> str:
    return " ".join(
        str(e.value) for e in [*app.markdown, *app.caption, *app.success, *app.warning, *app.error, *app.info]
    )


def metric(app, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def make_plan(app):
    next(b for b in app.button if b.label == "Make the plan").click().run()
    return app


def test_a_plan_shows_its_spend_bands_and_reasons(admin_app) -> None:
    app = open_page(admin_app, "planner")
    assert not app.exception
    app.number_input(key="plan_total").set_value(50000.0)
    app.number_input(key="plan_cap").set_value(20)
    make_plan(app)
    assert not app.exception
    assert metric(app, "Planned spend") == "$50,000.00"
    assert "P10–P90" in texts(app) and "days of data" in texts(app)
    assert app.dataframe[0].value.shape[1] == 4  # four weeks


def test_an_impossible_plan_is_refused_in_words(admin_app) -> None:
    app = open_page(admin_app, "planner")
    with session_scope() as session:
        placement = session.scalar(
            select(func.min(PlatformCampaign.id))
            .join(Campaign, Campaign.id == PlatformCampaign.campaign_id)
            .where(Campaign.status == "active", PlatformCampaign.is_active)
        )
    app.multiselect(key="plan_locks").select(placement)
    app.number_input(key="plan_total").set_value(1.0)
    make_plan(app)
    assert not app.exception
    assert "No plan: total_budget: the locked placements" in " ".join(str(e.value) for e in app.error)


def test_a_what_if_slider_moves_the_expected_outcome(viewer_app) -> None:
    app = open_page(viewer_app, "planner")
    before = metric(app, "Conversions")
    slider = next(s for s in app.slider if str(s.key).startswith("what_if_") and s.key != "what_if_weeks")
    slider.set_value(slider.max).run()
    assert not app.exception
    assert metric(app, "Conversions") != before
    assert len(app.get("vega_lite_chart")) >= 1  # the frontier


def test_a_backtest_runs_with_its_caveat(viewer_app) -> None:
    app = open_page(viewer_app, "planner")
    app.radio(key="backtest_strategy").set_value("allocator")
    app.button(key="backtest_run").click().run()
    assert not app.exception
    assert "model estimate" in texts(app)
    assert len(app.dataframe[-1].value) == 6
