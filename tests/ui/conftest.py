"""The app under AppTest: each test gets a fresh copy of the seeded demo (on SQLite and on
PostgreSQL), the app's settings point at it, and helpers log in and switch pages."""

from collections.abc import Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cli.demo import DEMO_LOGIN, VIEWER_LOGIN
from core.config import PROJECT_ROOT, get_settings
from core.database import get_database

APP = PROJECT_ROOT / "app.py"
RUN_TIMEOUT = 60  # seconds per script run: generous for a busy machine, never a speed assertion


@pytest.fixture
def demo_database(fresh_demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app's settings point at a fresh copy of the demo; every cache is forgotten around it."""
    monkeypatch.setenv("DATABASE_URL", fresh_demo_url)
    _forget_cached_state()
    try:
        yield fresh_demo_url
    finally:
        get_database().dispose()
        _forget_cached_state()


def _forget_cached_state() -> None:
    get_settings.cache_clear()
    get_database.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()


def log_in(username: str = DEMO_LOGIN[0], password: str = DEMO_LOGIN[1]) -> AppTest:
    """The app after its login form was sent."""
    app = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT).run()
    app.text_input(key="login_username").input(username)
    app.text_input(key="login_password").input(password)
    next(b for b in app.button if b.label == "Log in").click().run()
    return app


def open_page(app: AppTest, page: str) -> AppTest:
    return app.switch_page(f"pages/{page}.py").run()


@pytest.fixture
def admin_app(demo_database: str) -> AppTest:
    """Logged in as the demo's admin."""
    return log_in()


@pytest.fixture
def viewer_app(demo_database: str) -> AppTest:
    """Logged in as the demo's viewer (read-only)."""
    return log_in(*VIEWER_LOGIN)
