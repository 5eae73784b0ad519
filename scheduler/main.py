"""`python -m scheduler [--once]`: run the jobs on their timetables, or each once and exit.

Exit codes: 0 done (or another scheduler did the work), 1 a job failed (with --once),
2 refused (a configuration the scheduler cannot run with).
"""

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2

logger = logging.getLogger("scheduler")


def main(argv: Sequence[str] | None = None) -> int:
    requested_at = datetime.now(UTC)  # a --once run is satisfied by work completed after this
    args = _parser().parse_args(argv)
    from core.config import ConfigurationError, get_settings

    try:
        settings = get_settings()
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        for chatty in ("alembic", "apscheduler"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
        return _run(settings, once=args.once, requested_at=requested_at)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scheduler", description="AdFlowAI background jobs")
    parser.add_argument(
        "--once", action="store_true", help="run every job once and exit (tests, cron-style deployments)"
    )
    return parser


def _run(settings, *, once: bool, requested_at: datetime) -> int:
    from core.database import get_database
    from core.jobs.lock import scheduler_lock
    from scheduler import jobs  # noqa: F401  (registers the jobs)
    from scheduler.runner import Runner

    triggers = _triggers(settings)
    database = get_database()
    lock = scheduler_lock(settings, database)
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        logger.info("%s received: finishing the work in hand, then stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if once:
        return _run_once(settings, lock, Runner(database, stop), stop, requested_at)
    return _serve(settings, database, lock, triggers, stop)


def _triggers(settings) -> dict:
    from apscheduler.triggers.cron import CronTrigger

    from core.config import ConfigurationError
    from scheduler.registry import JOBS

    triggers = {}
    for name, job in JOBS.items():
        line = getattr(settings, job.schedule)
        try:
            triggers[name] = CronTrigger.from_crontab(line, timezone=UTC)
        except ValueError as exc:
            raise ConfigurationError(
                f"ADFLOW_{job.schedule.upper()}={line!r} is not a crontab line "
                f"(minute hour day month weekday): {exc}"
            ) from None
    return triggers


def _run_once(settings, lock, runner, stop: threading.Event, requested_at: datetime) -> int:
    from db.enums import JobStatus
    from scheduler.registry import JOBS

    deadline = time.monotonic() + settings.scheduler_once_wait_seconds
    while not lock.acquire():
        if stop.is_set() or time.monotonic() >= deadline:
            print("Another scheduler holds the lock and is doing the work; this one did nothing.")
            return EXIT_OK
        logger.info("another scheduler holds the lock; waiting for it")
        stop.wait(0.5)
    statuses: dict[str, JobStatus] = {}
    try:
        logger.info("acting as the scheduler (%s)", lock.description)
        resume = runner.recover()
        for name, job in JOBS.items():
            if stop.is_set():
                break
            statuses[name] = runner.run(job, done_since=min(requested_at, resume.get(name, requested_at)))
    finally:
        lock.release()
    if statuses and all(status == JobStatus.SKIPPED for status in statuses.values()):
        print("Another scheduler did the work since this one started; nothing was repeated.")
        return EXIT_OK
    for name, status in statuses.items():
        print(f"{name}: {status}")
    return EXIT_FAILED if JobStatus.FAILED in statuses.values() else EXIT_OK


def _serve(settings, database, lock, triggers: dict, stop: threading.Event) -> int:
    standing_by = False
    while not stop.is_set():
        if not lock.acquire():
            if not standing_by:
                logger.info("another scheduler holds the lock; standing by")
                standing_by = True
            stop.wait(settings.scheduler_standby_poll_seconds)
            continue
        standing_by = False
        try:
            logger.info("acting as the scheduler (%s)", lock.description)
            _act(settings, database, lock, triggers, stop)
        finally:
            lock.release()
    logger.info("stopped")
    return EXIT_OK


def _act(settings, database, lock, triggers: dict, stop: threading.Event) -> None:
    """Run the timetable until asked to stop or the lock is lost."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    from scheduler.registry import JOBS
    from scheduler.runner import Runner

    halt = threading.Event()
    runner = Runner(database, halt)
    resume = runner.recover()
    timetable = BackgroundScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(settings.scheduler_workers)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    for name, job in JOBS.items():
        timetable.add_job(runner.run, triggers[name], args=[job], id=name, name=name)
        if name in resume:
            timetable.add_job(
                runner.run, args=[job], kwargs={"done_since": resume[name]}, id=f"resume-{name}"
            )
    timetable.start()
    try:
        while not stop.wait(settings.scheduler_lock_ttl_seconds / 3):
            if not lock.still_held():
                logger.error("the scheduler lost its lock; stopping its jobs and standing by")
                break
    finally:
        halt.set()
        timetable.shutdown(wait=True)
