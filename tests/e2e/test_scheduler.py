"""`python -m scheduler` as separate processes on real databases: once, twice at a time, killed, stopped."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import PROJECT_ROOT
from core.database import upgrade_schema
from core.platforms.registry import Connectors
from db import Database
from db.enums import Platform
from db.models import Campaign, JobRun, MetricsHistory, PlatformCampaign
from tests.conftest import PostgresServer, free_port, live_campaign, make_tenant

REDIS_URL = "redis://127.0.0.1:6379/0"


class Scheduler:
    """A scheduler process whose log lines can be waited for."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scheduler", *args],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            try:
                self.lines.append(self._queue.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                pytest.fail(f"the scheduler never said {text!r}; it said:\n{self.output}")

    def finish(self, timeout: float = 180) -> int:
        code = self.process.wait(timeout=timeout)
        time.sleep(0.05)
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return code

    @property
    def output(self) -> str:
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return "".join(self.lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def processes() -> Iterator[list[Scheduler]]:
    started: list[Scheduler] = []
    yield started
    for scheduler in started:
        scheduler.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create_database("adflow_scheduler")
    yield url
    postgres_server.drop_database(url)


def environment(database_url: str, **settings: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "ADFLOW_REDIS_KEY_PREFIX": f"adflow-test-{uuid.uuid4().hex}:",
        "ADFLOW_SCHEDULER_STANDBY_POLL_SECONDS": "0.2",
        "ADFLOW_BCRYPT_ROUNDS": "4",
        **settings,
    }


def seed(url: str, *, companies: int, placements: int, days: int) -> Database:
    """Companies whose simulated placements have run for `days` days and were never synced."""
    database = Database(url)
    upgrade_schema(database)
    today = datetime.now(UTC).date()
    platforms = list(Platform)
    with database.session_scope() as session:
        for number in range(companies):
            tenant = make_tenant(session, f"Company {number}")
            connectors = Connectors(session, today=today)
            for index in range(placements):
                platform = platforms[index % len(platforms)]
                live_campaign(
                    session,
                    tenant.marketer,
                    connectors,
                    f"Campaign {index}",
                    [platform],
                    days=days,
                    today=today,
                )
    return database


def sync_runs(session: Session) -> list[tuple[int | None, str]]:
    return sorted(
        session.execute(select(JobRun.company_id, JobRun.status).where(JobRun.job == "sync_metrics")).all(),
        key=lambda run: (run[0] or 0, run[1]),
    )


def assert_consistent(session: Session, days: int) -> None:
    """Every placement holds each day from its start to yesterday once, and the roll-ups match."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    for placement in session.scalars(select(PlatformCampaign)):
        dates = session.scalars(
            select(MetricsHistory.date).where(MetricsHistory.platform_campaign_id == placement.id)
        ).all()
        assert sorted(dates) == [yesterday - timedelta(days=n) for n in range(days - 1, -1, -1)]
        assert placement.last_synced is not None
    for campaign in session.scalars(select(Campaign)):
        summed = session.scalar(
            select(func.sum(MetricsHistory.impressions))
            .join(PlatformCampaign, PlatformCampaign.id == MetricsHistory.platform_campaign_id)
            .where(PlatformCampaign.campaign_id == campaign.id)
        )
        assert campaign.impressions == summed


@pytest.mark.postgres
def test_once_runs_every_job_and_records_it(postgres_url: str, processes: list[Scheduler]) -> None:
    database = seed(postgres_url, companies=2, placements=2, days=20)
    scheduler = Scheduler(environment(postgres_url), "--once")
    processes.append(scheduler)

    assert scheduler.finish() == 0, scheduler.output
    assert "PostgreSQL advisory lock" in scheduler.output
    with database.session_scope() as session:
        runs = session.execute(select(JobRun.job, JobRun.company_id, JobRun.status, JobRun.counts)).all()
        assert sorted((job, company, status) for job, company, status, _ in runs) == [
            ("dispatch_notifications", None, "succeeded"),
            ("expire_recommendations", None, "succeeded"),
            ("measure_impacts", 1, "succeeded"),
            ("measure_impacts", 2, "succeeded"),
            ("optimize", 1, "succeeded"),
            ("optimize", 2, "succeeded"),
            ("prune_history", None, "succeeded"),
            ("retrain_predictor", 1, "succeeded"),
            ("retrain_predictor", 2, "succeeded"),
            ("sync_metrics", 1, "succeeded"),
            ("sync_metrics", 2, "succeeded"),
        ]
        assert all(counts["rows"] == 40 for job, _, _, counts in runs if job == "sync_metrics")
        # the optimizer ran on the metrics the sync had just brought in
        assert all(counts["placements"] == 2 for job, _, _, counts in runs if job == "optimize")
        assert_consistent(session, days=20)
    database.dispose()


@pytest.mark.postgres
def test_two_schedulers_started_together_act_once(postgres_url: str, processes: list[Scheduler]) -> None:
    database = seed(postgres_url, companies=3, placements=2, days=30)
    env = environment(postgres_url, ADFLOW_SCHEDULER_ONCE_WAIT_SECONDS="60")
    pair = [Scheduler(env, "--once"), Scheduler(env, "--once")]
    processes.extend(pair)

    assert [scheduler.finish() for scheduler in pair] == [0, 0]
    outputs = [scheduler.output for scheduler in pair]
    assert sum("Another scheduler" in output for output in outputs) == 1, outputs
    with database.session_scope() as session:
        assert sync_runs(session) == [(1, "succeeded"), (2, "succeeded"), (3, "succeeded")]
        other_runs = session.execute(
            select(JobRun.job, func.count(JobRun.id)).where(JobRun.job != "sync_metrics").group_by(JobRun.job)
        ).all()
        assert dict(other_runs) == {
            "optimize": 3,
            "measure_impacts": 3,
            "retrain_predictor": 3,
            "expire_recommendations": 1,
            "dispatch_notifications": 1,
            "prune_history": 1,
        }
    database.dispose()


@pytest.mark.postgres
def test_a_run_killed_half_way_is_resumed_without_repeating_what_was_done(
    postgres_url: str, processes: list[Scheduler]
) -> None:
    companies, days = 6, 150
    database = seed(postgres_url, companies=companies, placements=6, days=days)
    env = environment(postgres_url, ADFLOW_SYNC_BACKFILL_DAYS="365")
    first = Scheduler(env, "--once")
    processes.append(first)
    with database.session_scope() as session:
        while True:  # kill it once a company is done and the next one is half-way
            runs = sync_runs(session)
            session.rollback()
            if (
                "succeeded" in {s for _, s in runs} and "running" in {s for _, s in runs}
            ) or first.process.poll():
                break
            time.sleep(0.01)
    assert first.process.poll() is None, "the run ended before it could be killed: give it more work"
    first.process.send_signal(signal.SIGKILL)
    first.finish()

    second = Scheduler(env, "--once")
    processes.append(second)
    assert second.finish() == 0, second.output

    assert "was interrupted" in second.output
    with database.session_scope() as session:
        runs = sync_runs(session)
        assert [status for _, status in runs].count("failed") == 1
        done = [company for company, status in runs if status == "succeeded"]
        assert sorted(done) == list(range(1, companies + 1))  # each company synced once, none twice
        interrupted = session.scalar(select(JobRun).where(JobRun.status == "failed"))
        assert interrupted.error.startswith("interrupted")
        assert_consistent(session, days=days)
    database.dispose()


@pytest.mark.postgres
def test_with_redis_down_it_still_runs_under_the_postgresql_lock(
    postgres_url: str, processes: list[Scheduler]
) -> None:
    database = seed(postgres_url, companies=1, placements=1, days=5)
    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    scheduler = Scheduler(environment(postgres_url, REDIS_URL=nobody_listens), "--once")
    processes.append(scheduler)

    assert scheduler.finish() == 0, scheduler.output
    assert "Redis is unreachable" in scheduler.output
    with database.session_scope() as session:
        assert sync_runs(session) == [(1, "succeeded")]
    database.dispose()


def test_a_redis_lock_held_elsewhere_makes_it_stand_by(tmp_path: Path, processes: list[Scheduler]) -> None:
    from core.jobs.lock import RedisLock

    url = f"sqlite:///{tmp_path / 'redis.sqlite3'}"
    seed(url, companies=1, placements=1, days=3).dispose()
    env = environment(url, REDIS_URL=REDIS_URL, ADFLOW_SCHEDULER_ONCE_WAIT_SECONDS="1")
    held = RedisLock(REDIS_URL, f"{env['ADFLOW_REDIS_KEY_PREFIX']}scheduler:lock", ttl_seconds=60)
    assert held.acquire()
    try:
        waiting = Scheduler(env, "--once")
        processes.append(waiting)
        assert waiting.finish() == 0
        assert "Another scheduler holds the lock" in waiting.output
    finally:
        held.release()

    acting = Scheduler(env, "--once")
    processes.append(acting)
    assert acting.finish() == 0, acting.output
    assert "and Redis lock" in acting.output
    assert redis.Redis.from_url(REDIS_URL).exists(held.key) == 0  # released on the way out


def test_sigterm_stops_it_cleanly_and_a_standing_by_scheduler_takes_over(
    tmp_path: Path, processes: list[Scheduler]
) -> None:
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    seed(url, companies=1, placements=1, days=3).dispose()
    env = environment(url)
    leader = Scheduler(env)
    processes.append(leader)
    leader.wait_for("acting as the scheduler")
    follower = Scheduler(env)
    processes.append(follower)
    follower.wait_for("standing by")

    leader.process.send_signal(signal.SIGTERM)

    assert leader.finish(timeout=60) == 0
    assert "stopped" in leader.output and "Traceback" not in leader.output
    follower.wait_for("acting as the scheduler")
    follower.process.send_signal(signal.SIGTERM)
    assert follower.finish(timeout=60) == 0


def test_a_bad_timetable_is_refused_with_the_setting_named(tmp_path: Path) -> None:
    env = environment(f"sqlite:///{tmp_path / 'x.sqlite3'}", ADFLOW_SCHEDULE_SYNC_METRICS="every hour")
    done = subprocess.run(
        [sys.executable, "-m", "scheduler", "--once"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "ADFLOW_SCHEDULE_SYNC_METRICS" in done.stderr and "Traceback" not in done.stderr
