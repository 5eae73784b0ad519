"""The Action History screen: every action in words, filters, undo and what refuses it."""

from sqlalchemy import select

from core.actor import Actor
from core.campaigns import service as campaigns
from core.database import session_scope
from core.users import service as users
from db.models import ActionImpact, Campaign, OptimizationLog
from tests.ui.conftest import open_page


def clearance() -> Campaign:
    with session_scope() as session:
        return session.scalar(select(Campaign).where(Campaign.name == "Clearance Event"))


def as_demo(change) -> None:
    """A change made elsewhere (the API, another tab), then the screen is opened afresh."""
    with session_scope() as session:
        change(session, Actor.for_user(users.get_by_username(session, "demo")))


def texts(app) -> str:
    return " ".join(str(e.value) for e in [*app.markdown, *app.success, *app.warning, *app.error, *app.info])


def test_the_demo_pause_reads_as_before_and_after(admin_app) -> None:
    app = open_page(admin_app, "action_history")
    assert not app.exception
    assert "**Paused** · Clearance Event" in texts(app)
    assert "- Status: active → paused" in texts(app)


def test_undo_puts_the_campaign_back_and_says_so(admin_app) -> None:
    app = open_page(admin_app, "action_history")
    undo = next(b for b in app.button if str(b.key).startswith("undo_"))
    undo.click().run()
    assert not app.exception
    assert "Undone: paused on Clearance Event is reverted." in texts(app)
    assert clearance().status == "active"
    assert ":violet-badge[Undo]" in texts(app) and ":gray-badge[Undone]" in texts(app)
    assert not [b for b in app.button if str(b.key).startswith("undo_")]  # nothing left to undo


def test_an_undo_the_campaign_has_moved_past_is_refused_with_a_message(admin_app) -> None:
    app = open_page(admin_app, "action_history")
    pause_id = clearance().id
    as_demo(lambda s, demo: campaigns.set_status(s, demo, pause_id, "archived"))
    next(b for b in app.button if b.key.startswith("undo_")).click().run()
    assert not app.exception
    assert "The campaign has changed since this action; undo the later change first." in texts(app)
    assert clearance().status == "archived"


def test_filters_narrow_the_history(admin_app) -> None:
    pause_id = clearance().id
    as_demo(lambda s, demo: campaigns.update(s, demo, pause_id, {"daily_budget": "200"}))
    app = open_page(admin_app, "action_history")
    assert texts(app).count("Clearance Event") == 2
    app.selectbox(key="history_action").set_value("change_budget").run()
    assert "Daily budget: $230.00 → $200.00" in texts(app) and "**Paused**" not in texts(app)
    app.selectbox(key="history_outcome").set_value("Failed").run()
    assert "No action matches these filters." in texts(app)


def test_a_viewer_cannot_undo(viewer_app) -> None:
    app = open_page(viewer_app, "action_history")
    undo = next(b for b in app.button if str(b.key).startswith("undo_"))
    assert undo.disabled  # and the service refuses viewers too (tests/integration/test_actions.py)
    assert "view-only access" in " ".join(c.value for c in app.caption)


def test_a_measured_action_shows_its_impact(admin_app) -> None:
    with session_scope() as session:
        log = session.scalar(select(OptimizationLog).where(OptimizationLog.campaign_id == clearance().id))
        session.add(
            ActionImpact(
                company_id=log.company_id,
                optimization_log_id=log.id,
                action=log.action,
                metric="conversions",
                window_start=log.performed_at.date(),
                window_days=14,
                expected_effect=10.0,
                forecast_effect=6.0,
                forecast_low=1.0,
                forecast_high=11.0,
                did_effect=8.0,
                did_low=3.5,
                did_high=12.5,
                controls=5,
                hit=True,
            )
        )
    app = open_page(admin_app, "action_history")
    assert not app.exception
    assert (
        "Measured: +8.0 conversions over 14 days against 5 unchanged placements (80%: +3.5 to +12.5); "
        "expected +10.0 — as promised." in texts(app)
    )
