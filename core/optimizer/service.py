"""The optimizer pass: one pass over a company, top to bottom.

A pass (run_for_company) reads the company's recent daily history once, as dense arrays, and
then, for all placements at once: features and performance scores (core.optimizer.scoring),
anomalies → alerts (core.optimizer.alerts), trends, response curves (core.optimizer.history)
and the best split of each campaign's daily budget, and the decision rules (core.optimizer.rules)
→ recommendations (core.optimizer.proposals). In autopilot mode it applies the recommendations
that clear the confidence bar, for campaigns whose autopilot switch is on. The caller owns the
transaction. Training and forecasts are in core.optimizer.training and core.optimizer.forecasting.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

import numpy as np
from pydantic import ConfigDict, Field
from sqlalchemy.orm import Session

from core.actor import Actor
from core.notifications import service as notifications
from core.optimizer import impacts, rules
from core.optimizer.alerts import notify_alerts, open_alerts
from core.optimizer.history import fit_objective_curves, placements_in_scope, read_panel
from core.optimizer.panel import Panel
from core.optimizer.proposals import cooling_campaigns, recently_rejected, write_recommendations
from core.optimizer.scoring import compute_signals, stamp_campaigns, write_scores
from core.optimizer.settings import settings_for
from core.platforms.registry import Connectors
from core.recommendations import service as recommendations
from db.enums import NotificationKind
from db.types import utcnow

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


@dataclass
class RunSummary:
    __pydantic_config__ = ConfigDict(json_schema_serialization_defaults_required=True)

    company_id: Annotated[int, Field(exclude=True)]  # the caller's own: no door shows it
    today: date
    campaigns: int = 0
    placements: int = 0
    scored: int = 0
    alerts_opened: int = 0
    recommendations_created: int = 0
    recommendations_kept: int = 0
    recommendations_superseded: int = 0
    applied: int = 0
    apply_failed: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The figures a scheduler run records."""
        return {
            "placements": self.placements,
            "alerts_opened": self.alerts_opened,
            "recommendations_created": self.recommendations_created,
            "recommendations_superseded": self.recommendations_superseded,
            "applied": self.applied,
            "apply_failed": self.apply_failed,
        }


def run_for_company(
    session: Session,
    actor: Actor,
    *,
    campaign_ids: Sequence[int] | None = None,
    progress: Progress | None = None,
    today: date | None = None,
    apply: bool | None = None,
    connectors: Connectors | None = None,
) -> RunSummary:
    """One optimizer pass over the company's active campaigns (or those of `campaign_ids`).

    `apply`: None follows the settings (autopilot mode applies, for campaigns with autopilot on);
    True applies whatever clears the confidence bar; False only proposes. `progress(fraction,
    message)` is told how far the pass has got.
    """
    actor.require_write()
    started = time.perf_counter()
    report = progress or (lambda _fraction, _message: None)
    today = today or date.today()
    settings = settings_for(session, actor)
    summary = RunSummary(actor.company_id, today)

    report(0.0, "Reading campaigns and history")
    scope = placements_in_scope(session, actor, campaign_ids)
    summary.campaigns = int(scope["campaign_id"].nunique()) if len(scope) else 0
    panel = read_panel(session, actor, scope, today, settings)
    scope = scope.set_index("id").loc[panel.ids].reset_index() if len(panel.ids) else scope.iloc[:0]
    summary.placements = len(scope)
    if scope.empty:
        stamp_campaigns(session, actor, campaign_ids, utcnow())
        summary.notes.append("no active campaign has daily metrics yet")
        summary.seconds = time.perf_counter() - started
        report(1.0, "Nothing to optimise yet")
        return summary

    report(0.15, "Scoring placements")
    signals = compute_signals(session, actor, panel, scope, settings)
    summary.scored = int(np.isfinite(signals.score).sum())

    report(0.35, "Looking for anomalies")
    new_alerts = open_alerts(session, actor, panel, scope, settings)
    summary.alerts_opened = len(new_alerts)
    notify_alerts(session, actor, new_alerts)

    report(0.55, "Fitting response curves")
    curves = fit_objective_curves(panel, signals.uses_revenue, settings.conversion_lag_days)

    report(0.7, "Weighing budget moves")
    placements = rules.Placements.from_frame(scope)
    proposals = rules.propose(
        placements,
        signals,
        curves,
        settings,
        today=today,
        cooling=cooling_campaigns(session, actor, settings),
        refused=recently_rejected(session, actor, settings),
    )
    # What the ledger measured of earlier actions of each type tempers the model's confidence.
    rates = impacts.hit_rates(session, actor)
    for proposal in proposals:
        proposal.confidence = impacts.temper_confidence(
            proposal.confidence, *rates.get(proposal.action, (0, 0))
        )

    report(0.85, "Writing recommendations")
    created, kept, superseded = write_recommendations(session, actor, scope, proposals, settings)
    summary.recommendations_created = len(created)
    summary.recommendations_kept = kept
    summary.recommendations_superseded = superseded
    write_scores(session, actor, placements, signals, campaign_ids)

    steered = set(scope.loc[scope["autopilot"], "campaign_id"].tolist())
    autopilot = settings.mode == "autopilot" and apply is None
    to_apply = [
        recommendation_id
        for recommendation_id, proposal in created
        if proposal.confidence >= settings.autopilot_confidence
        and (apply is True or (autopilot and proposal.campaign_id in steered))
    ]
    if to_apply:
        report(0.95, "Applying what clears the confidence bar")
        decisions = recommendations.approve(session, actor, to_apply, connectors=connectors)
        _notify_applied(session, actor, decisions)
        summary.applied = sum(d.outcome == "applied" for d in decisions)
        summary.apply_failed = sum(d.outcome == "failed" for d in decisions)
    summary.seconds = time.perf_counter() - started
    logger.info(
        "optimizer pass for company %s: %s placements, %s alerts, %s new recommendations, "
        "%s applied in %.1f s",
        actor.company_id,
        summary.placements,
        summary.alerts_opened,
        summary.recommendations_created,
        summary.applied,
        summary.seconds,
    )
    report(1.0, "Done")
    return summary


def _notify_applied(session: Session, actor: Actor, decisions: list[recommendations.Decision]) -> None:
    """One message per pass for what the autopilot changed (failures included: someone should know)."""
    done = [d for d in decisions if d.outcome in ("applied", "failed")]
    if not done:
        return
    applied = sum(d.outcome == "applied" for d in done)
    notifications.notify(
        session,
        actor,
        kind=NotificationKind.AUTOPILOT_ACTION,
        subject=f"Autopilot applied {applied} change{'s' if applied != 1 else ''}"
        + (f", {len(done) - applied} failed" if applied < len(done) else ""),
        body="\n".join(f"#{d.id} {d.outcome}: {d.message}" for d in done),
        details={"recommendations": [{"id": d.id, "outcome": d.outcome, "message": d.message} for d in done]},
    )


def replay_proposals(
    session: Session, actor: Actor, panel: Panel, *, budgets: np.ndarray, today: date
) -> list[rules.Proposal]:
    """What a pass on `today` would have proposed, on the history in `panel` (days before `today`)
    with the placements' daily budgets at `budgets` (same order): for backtests of the rule set.

    Cool-downs and rejections are left out (a replay has none of its own); the campaigns' flight
    budgets are today's. Nothing is written.
    """
    settings = settings_for(session, actor)
    scope = placements_in_scope(session, actor, None).set_index("id").loc[panel.ids].reset_index()
    scope["allocated_budget"] = np.asarray(budgets, dtype=float)
    signals = compute_signals(session, actor, panel, scope, settings)
    curves = fit_objective_curves(panel, signals.uses_revenue, settings.conversion_lag_days)
    return rules.propose(
        rules.Placements.from_frame(scope),
        signals,
        curves,
        settings,
        today=today,
        cooling=set(),
        refused=set(),
    )
