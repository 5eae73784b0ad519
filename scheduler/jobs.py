"""The scheduler's jobs: each one calls one core function (see scheduler/registry.py).

They are registered in the order `--once` runs them: fresh metrics first, then the impact ledger
(so the optimizer's confidence knows the latest measured hit rates), then the optimizer on them,
then the notifications its alerts and autopilot actions queued.
"""

from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import ValidationError
from core.jobs import service as job_runs
from core.notifications import service as notifications
from core.optimizer import impacts, training
from core.optimizer import service as optimizer
from core.platforms import sync
from core.recommendations import service as recommendations
from scheduler.registry import job


@job("sync_metrics", schedule="schedule_sync_metrics", per_company=True)
def sync_metrics(session: Session, actor: Actor) -> sync.SyncResult:
    return sync.sync_company(session, actor)


@job("measure_impacts", schedule="schedule_measure_impacts", per_company=True)
def measure_impacts(session: Session, actor: Actor) -> dict[str, int]:
    return impacts.measure_impacts(session, actor)


@job("optimize", schedule="schedule_optimize", per_company=True)
def optimize(session: Session, actor: Actor) -> optimizer.RunSummary:
    return optimizer.run_for_company(session, actor)


@job("retrain_predictor", schedule="schedule_retrain_predictor", per_company=True)
def retrain_predictor(session: Session, actor: Actor) -> dict[str, int]:
    try:
        model = training.train_predictor(session, actor)
    except ValidationError:  # too little history yet: nothing to learn, and nothing wrong
        return {"trained": 0}
    return {"trained": 1, "version": model.version}


@job("expire_recommendations", schedule="schedule_expire_recommendations")
def expire_recommendations(session: Session) -> dict[str, int]:
    return {"expired": recommendations.expire_stale(session)}


@job("dispatch_notifications", schedule="schedule_dispatch_notifications")
def dispatch_notifications(session: Session) -> notifications.DispatchResult:
    return notifications.dispatch_due(session)


@job("prune_history", schedule="schedule_prune_history")
def prune_history(session: Session) -> dict[str, int]:
    return job_runs.prune(session)
