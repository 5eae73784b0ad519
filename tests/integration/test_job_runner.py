"""The scheduler's runner on a database of its own: every run recorded, failures contained, resumes."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.actor import Actor
from core.companies import service as companies
from core.database import upgrade_schema
from core.jobs import service as job_runs
from core.platforms.sync import SyncResult
from db import Database
from db.enums import JobStatus
from db.models import Company, JobRun
from db.types import utcnow
from scheduler.registry import Job
from scheduler.runner import Runner
from tests.conftest import PostgresServer


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_database(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: PostgresServer
) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'runner.sqlite3'}"
    if request.param == "postgres":
        url = postgres_server.create_database("adflow_runner")
    database = Database(url)
    upgrade_schema(database)
    with database.session_scope() as session:
        for name in ("First Co", "Second Co"):
            companies.create(session, name)
    yield database
    database.dispose()
    if request.param == "postgres":
        postgres_server.drop_database(url)


def runs(database: Database) -> list[tuple[str, int | None, str, dict, str | None]]:
    with database.session_scope() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(JobRun.job, JobRun.company_id, JobRun.status, JobRun.counts, JobRun.error).order_by(
                    JobRun.id
                )
            )
        ]


def test_a_per_company_job_runs_once_per_company_and_records_partial_failures(
    fresh_database: Database,
) -> None:
    def sync_like(session, actor: Actor) -> SyncResult:
        failures = {"tiktok": "TikTok is down"} if actor.company_id == 2 else {}
        return SyncResult(rows=3, placements=1, failures=failures)

    status = Runner(fresh_database, threading.Event()).run(
        Job("sync_like", sync_like, "unused", per_company=True)
    )

    assert status == JobStatus.PARTIAL
    assert runs(fresh_database) == [
        ("sync_like", 1, "succeeded", {"rows": 3, "placements": 1, "failed_platforms": []}, None),
        (
            "sync_like",
            2,
            "partial",
            {"rows": 3, "placements": 1, "failed_platforms": ["tiktok"]},
            "tiktok: TikTok is down",
        ),
    ]


def test_a_failing_job_is_recorded_keeps_nothing_and_does_not_raise(fresh_database: Database) -> None:
    def renames_then_fails(session, actor: Actor) -> None:
        session.get(Company, actor.company_id).name = "Renamed"
        session.flush()
        raise RuntimeError("the optimizer fell over")

    status = Runner(fresh_database, threading.Event()).run(
        Job("fragile", renames_then_fails, "unused", per_company=True)
    )

    assert status == JobStatus.FAILED
    assert [(company, state, error) for _, company, state, _, error in runs(fresh_database)] == [
        (1, "failed", "RuntimeError: the optimizer fell over"),
        (2, "failed", "RuntimeError: the optimizer fell over"),
    ]
    with fresh_database.session_scope() as session:
        assert [c.name for c in companies.get_all(session)] == ["First Co", "Second Co"]


def test_an_interrupted_pass_is_resumed_without_repeating_finished_companies(
    fresh_database: Database,
) -> None:
    calls: list[int] = []
    job = Job("counted", lambda session, actor: calls.append(actor.company_id) or {"done": 1}, "unused", True)
    runner = Runner(fresh_database, threading.Event())
    with fresh_database.session_scope() as session:
        began = job_runs.start_run(
            session, "counted", company_id=1, batch_started_at=utcnow()
        ).batch_started_at
    with fresh_database.session_scope() as session:  # company 1 finished, company 2 was cut short
        run = session.scalar(select(JobRun))
        job_runs.finish_run(session, run.id, JobStatus.SUCCEEDED, counts={"done": 1})
        job_runs.start_run(session, "counted", company_id=2, batch_started_at=began)

    resume = runner.recover()
    runner.run(job, done_since=resume["counted"])

    assert resume == {"counted": began}
    assert calls == [2]
    assert [(company, state) for _, company, state, _, _ in runs(fresh_database)] == [
        (1, "succeeded"),
        (2, "failed"),
        (2, "succeeded"),
    ]


def test_a_halted_runner_stops_between_companies(fresh_database: Database) -> None:
    halt = threading.Event()

    def halts_after_first(session, actor: Actor) -> None:
        halt.set()

    Runner(fresh_database, halt).run(Job("halting", halts_after_first, "unused", per_company=True))

    assert [company for _, company, _, _, _ in runs(fresh_database)] == [1]
