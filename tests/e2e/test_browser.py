"""The app as a marketer meets it: `streamlit run app.py`, headless Chromium, log in, every screen.

Saves a screenshot of each screen (`--screenshot-dir`; the README's come from docs/screenshots).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import create_engine, text

from cli.demo import DEMO_LOGIN
from core.config import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PORTS = range(8500, 8600)
SCREENS = {  # the screen, a text that shows it has rendered, and its screenshot's name
    "Dashboard": ("Spend and revenue by day", "dashboard"),
    "Campaigns": ("Manage", "campaigns"),
    "Analytics": ("Campaign drill-down", "analytics"),
    "AI Recommendations": ("What the optimizer proposes", "recommendations"),
    "Planner": ("Plans for the coming weeks", "planner"),
    "Action History": ("Every change to a campaign", "action-history"),
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 8500-8599")


@pytest.fixture
def demo_file(sqlite_demo_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo for the app to work on (and the test to look into)."""
    database = tmp_path / "demo.sqlite3"
    shutil.copyfile(sqlite_demo_template, database)
    return database


@pytest.fixture
def app_url(demo_file: Path, tmp_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a fresh copy of the demo, on a free localhost port."""
    database = demo_file
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{database}"},
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "streamlit.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert "Traceback" not in (tmp_path / "streamlit.log").read_text()


def _wait_until_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not become healthy within 60 s")


def settled(page: Page) -> None:
    """Wait until the script run is over and the charts are drawn."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)
    # Charts and tables load their code lazily and show a skeleton until then (slow on a busy machine).
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30_000)
    page.wait_for_timeout(1200)


def screenshot(page: Page, path: Path) -> None:
    """The whole screen: the window grows to the height of the page's content first."""
    height = page.evaluate("document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(900, min(height, 4000))})
    page.mouse.move(0, 0)  # no button caught in its hover colour
    settled(page)
    page.screenshot(path=path)
    page.set_viewport_size({"width": 1440, "height": 1000})


def recommendations_by_status(database: Path) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT status, count(*) FROM recommendations GROUP BY status"))
            return dict(rows.all())
    finally:
        engine.dispose()


def approve_a_recommendation(page: Page) -> None:
    """Approve the most confident proposal (running the optimizer first if none is waiting). One
    whose campaign has changed since (the pause above) is set aside as out of date: take the next."""
    approve = page.get_by_role("button", name="Approve", exact=True)
    if not approve.count():
        page.get_by_role("button", name="Run the optimizer now").click()
        expect(page.get_by_text("The optimizer has run")).to_be_visible(timeout=120_000)
        settled(page)
    for _ in range(3):
        approve.first.click()
        outcome = page.get_by_text("Applied: ").or_(page.get_by_text("Out of date: "))
        expect(outcome.first).to_be_visible(timeout=30_000)
        settled(page)
        if page.get_by_text("Applied: ").count():
            return
    raise AssertionError("no recommendation could be applied")


def test_a_marketer_logs_in_and_opens_every_screen(
    app_url: str, demo_file: Path, request: pytest.FixtureRequest
) -> None:
    screenshots = Path(request.config.getoption("--screenshot-dir"))
    screenshots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, device_scale_factor=1)
        page.goto(app_url)
        page.get_by_role("textbox", name="Username").fill(DEMO_LOGIN[0])
        page.get_by_role("textbox", name="Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("Wrong username or password.")).to_be_visible(timeout=30_000)

        page.get_by_role("textbox", name="Password").fill(DEMO_LOGIN[1])
        page.get_by_role("button", name="Log in").click()
        for screen, (landmark, shot) in SCREENS.items():
            page.get_by_test_id("stSidebarNav").get_by_text(screen, exact=True).click()
            expect(page.get_by_text(landmark).first).to_be_visible(timeout=30_000)
            settled(page)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            if screen == "Campaigns":  # a change, so the history has something of today to show
                page.get_by_role("button", name="Pause").click()
                page.get_by_role("button", name="Yes, pause").click()
                expect(page.get_by_text("is now paused.")).to_be_visible(timeout=30_000)
                settled(page)
            if screen == "AI Recommendations":
                before = recommendations_by_status(demo_file)
                approve_a_recommendation(page)
                after = recommendations_by_status(demo_file)
                assert after.get("applied", 0) == before.get("applied", 0) + 1
            if screen == "Planner":
                page.get_by_role("button", name="Make the plan").click()
                expect(page.get_by_text("Why", exact=True)).to_be_visible(timeout=60_000)
                settled(page)
            screenshot(page, screenshots / f"{shot}.png")
        expect(page.get_by_text("Status: active → paused")).to_have_count(2)
        expect(page.get_by_text("Platform paused").first).to_be_visible()  # the approved proposal

        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=30_000)
        browser.close()
