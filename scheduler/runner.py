"""Running one job: per company or once, each unit in its own transaction and job_runs row.

A unit's work and the record that it succeeded commit together, so a unit killed half-way
leaves nothing of itself but a 'running' row, which the next lock holder marks as interrupted
before resuming the pass from where it stopped.
"""

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.actor import Actor
from core.companies import service as companies
from core.jobs import service as job_runs
from db import Database
from db.enums import JobStatus
from db.types import utcnow
from scheduler.registry import Job

logger = logging.getLogger("scheduler")


class Runner:
    """Runs jobs against `database` while `halt` is not set (stop requested, or lock lost)."""

    def __init__(self, database: Database, halt: threading.Event) -> None:
        self.database = database
        self.halt = halt

    def recover(self) -> dict[str, datetime]:
        """Close the runs a dead scheduler left open; per job, when the cut-short pass began."""
        with self.database.session_scope() as session:
            resume = job_runs.close_interrupted(session)
        for name, began in resume.items():
            logger.warning("%s was interrupted (pass begun %s); resuming it", name, began.isoformat())
        return resume

    def run(self, job: Job, *, done_since: datetime | None = None) -> JobStatus:
        """One pass of `job`; units already completed since `done_since` are not repeated.

        Never raises: a failure is logged and recorded, and the scheduler goes on.
        """
        try:
            return self._run(job, done_since)
        except Exception:  # the scheduler outlives any job, even one whose bookkeeping fails
            logger.exception("%s failed outside its runs", job.name)
            return JobStatus.FAILED

    def _run(self, job: Job, done_since: datetime | None) -> JobStatus:
        batch_started_at = utcnow()
        with self.database.session_scope() as session:
            units: list[int | None] = (
                [c.id for c in companies.get_all(session)] if job.per_company else [None]
            )
            done = job_runs.done_since(session, job.name, done_since) if done_since else set()
        statuses = []
        for company_id in units:
            if self.halt.is_set():
                logger.info("%s stopped before company %s: the scheduler is stopping", job.name, company_id)
                break
            if company_id in done:
                statuses.append(JobStatus.SKIPPED)
                continue
            statuses.append(self._unit(job, company_id, batch_started_at))
        if statuses and all(status == JobStatus.SKIPPED for status in statuses):
            logger.info("%s: already done since %s", job.name, done_since)
            return JobStatus.SKIPPED
        worst = (JobStatus.FAILED, JobStatus.PARTIAL)
        return next((status for status in worst if status in statuses), JobStatus.SUCCEEDED)

    def _unit(self, job: Job, company_id: int | None, batch_started_at: datetime) -> JobStatus:
        with self.database.session_scope() as session:
            run_id = job_runs.start_run(
                session, job.name, company_id=company_id, batch_started_at=batch_started_at
            ).id
        try:
            with self.database.session_scope() as session:
                if job.per_company:
                    result = job.run(session, Actor.scheduler(company_id))
                else:
                    result = job.run(session)
                counts, errors = _outcome(result)
                status = JobStatus.PARTIAL if errors else JobStatus.SUCCEEDED
                job_runs.finish_run(session, run_id, status, counts=counts, error="; ".join(errors) or None)
        except Exception as exc:
            logger.exception("%s failed%s", job.name, f" for company {company_id}" if company_id else "")
            with self.database.session_scope() as session:
                job_runs.finish_run(
                    session, run_id, JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000]
                )
            return JobStatus.FAILED
        log = logger.warning if errors else logger.info
        log("%s%s: %s %s", job.name, f" (company {company_id})" if company_id else "", status, counts)
        return status


def _outcome(result: Any) -> tuple[dict[str, Any], list[str]]:
    if result is None:
        return {}, []
    if isinstance(result, Mapping):
        return dict(result), []
    return dict(result.counts()), list(getattr(result, "errors", []))
