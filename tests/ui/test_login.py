"""The login gate: the users table's passwords, one message for every failure, roles, logout."""

from sqlalchemy import update

from cli.demo import DEMO_LOGIN, VIEWER_LOGIN
from core.config import get_settings
from core.database import session_scope
from db.models import User
from tests.ui.conftest import log_in, open_page


def shown_text(app) -> str:
    return " ".join(str(e.value) for e in [*app.markdown, *app.caption, *app.title, *app.error, *app.warning])


def test_the_right_password_opens_the_dashboard_with_who_is_signed_in(admin_app) -> None:
    assert not admin_app.exception
    assert [t.value for t in admin_app.title] == ["Dashboard"]
    sidebar = " ".join(str(e.value) for e in [*admin_app.sidebar.markdown, *admin_app.sidebar.caption])
    assert "Dana Demo" in sidebar and "Demo Co" in sidebar and "Admin · can make changes" in sidebar


def test_a_wrong_password_gets_one_clear_message_and_nothing_else(demo_database) -> None:
    app = log_in(DEMO_LOGIN[0], "not-the-password")
    assert [e.value for e in app.error] == ["Wrong username or password."]
    assert not app.exception and not app.metric and not app.dataframe
    assert "Dashboard" not in [t.value for t in app.title]


def test_an_unknown_user_gets_the_same_message(demo_database) -> None:
    app = log_in("nobody", "adflow-demo")
    assert [e.value for e in app.error] == ["Wrong username or password."]


def test_repeated_wrong_passwords_lock_the_account_for_a_while(demo_database) -> None:
    for _ in range(get_settings().login_max_failures):
        assert [e.value for e in log_in(DEMO_LOGIN[0], "guess").error] == ["Wrong username or password."]

    app = log_in(*DEMO_LOGIN)  # even the right password, for now

    [message] = [e.value for e in app.error]
    assert message.startswith("Too many failed log-ins for this account. Try again in 15 minutes")
    assert not app.exception and "Dashboard" not in [t.value for t in app.title]
    assert [e.value for e in log_in(*VIEWER_LOGIN).title] == ["Dashboard"]  # another account is fine


def test_an_inactive_user_cannot_log_in(demo_database) -> None:
    with session_scope() as session:
        session.execute(update(User).where(User.username == "demo").values(is_active=False))
    app = log_in()
    assert [e.value for e in app.error] == ["Wrong username or password."]


def test_a_user_deactivated_while_signed_in_is_signed_out_at_the_next_click(admin_app) -> None:
    with session_scope() as session:
        session.execute(update(User).where(User.username == "demo").values(is_active=False))
    open_page(admin_app, "campaigns")
    assert not admin_app.exception
    assert "no longer active" in shown_text(admin_app)
    assert not admin_app.dataframe


def test_logging_out_returns_to_the_login_form(admin_app) -> None:
    admin_app.button(key="log_out").click().run()
    assert not admin_app.exception
    assert admin_app.text_input(key="login_username") is not None
    assert "Dashboard" not in [t.value for t in admin_app.title]


def test_a_viewer_is_told_they_can_only_look(viewer_app) -> None:
    assert not viewer_app.exception
    assert "Viewer · view only" in " ".join(str(c.value) for c in viewer_app.sidebar.caption)
