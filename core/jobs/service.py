"""The record of the scheduler's runs (job_runs): started, finished, interrupted, pruned.

These serve the scheduler process, which works for every company; they take no actor.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.config import Settings, get_settings
from core.notifications import service as notifications
from db.enums import JobStatus
from db.models import JobRun
from db.types import utcnow

INTERRUPTED = "interrupted: the scheduler stopped before this run finished; nothing of it was kept"
DONE = (JobStatus.SUCCEEDED, JobStatus.PARTIAL)


def start_run(session: Session, job: str, *, company_id: int | None, batch_started_at: datetime) -> JobRun:
    run = JobRun(
        job=job,
        company_id=company_id,
        batch_started_at=batch_started_at,
        status=JobStatus.RUNNING.value,
        counts={},
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run_id: int,
    status: JobStatus,
    *,
    counts: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    run = session.get(JobRun, run_id)
    run.status = status.value
    run.finished_at = utcnow()
    run.counts = dict(counts or {})
    run.error = error
    session.flush()


def close_interrupted(session: Session) -> dict[str, datetime]:
    """Mark runs left 'running' by a scheduler that died as failed; per job, when its pass began.

    Only the lock holder calls this, so every run still marked running is a dead one.
    """
    interrupted = session.execute(
        select(JobRun.job, JobRun.started_at, JobRun.batch_started_at).where(
            JobRun.status == JobStatus.RUNNING
        )
    ).all()
    resume: dict[str, datetime] = {}
    for job, started_at, batch_started_at in interrupted:
        began = batch_started_at or started_at
        resume[job] = min(resume.get(job, began), began)
    if interrupted:
        session.execute(
            update(JobRun)
            .where(JobRun.status == JobStatus.RUNNING)
            .values(status=JobStatus.FAILED.value, finished_at=utcnow(), error=INTERRUPTED)
        )
    return resume


def done_since(session: Session, job: str, since: datetime) -> set[int | None]:
    """The companies (None: the job as a whole) for which `job` completed at or after `since`."""
    return set(
        session.scalars(
            select(JobRun.company_id).where(
                JobRun.job == job, JobRun.status.in_([s.value for s in DONE]), JobRun.finished_at >= since
            )
        )
    )


def prune(
    session: Session, *, settings: Settings | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Forget old job runs and old delivered notifications (housekeeping)."""
    settings = settings or get_settings()
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.job_runs_retention_days)
    runs = session.execute(
        delete(JobRun).where(JobRun.started_at < cutoff, JobRun.status != JobStatus.RUNNING)
    )
    return {
        "job_runs": runs.rowcount or 0,
        "notifications": notifications.prune(session, settings=settings, now=now),
    }
