"""The scheduler's jobs: each one calls one core function (see scheduler/registry.py)."""

from sqlalchemy.orm import Session

from core.actor import Actor
from core.jobs import service as job_runs
from core.notifications import service as notifications
from core.platforms import sync
from scheduler.registry import job


@job("sync_metrics", schedule="schedule_sync_metrics", per_company=True)
def sync_metrics(session: Session, actor: Actor) -> sync.SyncResult:
    return sync.sync_company(session, actor)


@job("dispatch_notifications", schedule="schedule_dispatch_notifications")
def dispatch_notifications(session: Session) -> notifications.DispatchResult:
    return notifications.dispatch_due(session)


@job("prune_history", schedule="schedule_prune_history")
def prune_history(session: Session) -> dict[str, int]:
    return job_runs.prune(session)
