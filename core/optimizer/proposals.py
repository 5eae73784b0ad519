"""What a pass proposes becomes recommendations: cool-downs and remembered rejections keep the engine
from flip-flopping, an identical pending proposal is kept, older pending ones are superseded."""

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from core.actor import Actor
from core.optimizer import rules
from core.optimizer.settings import OptimizerSettings
from db.enums import RecommendationStatus
from db.models import OptimizationLog, Recommendation
from db.types import utcnow


def cooling_campaigns(session: Session, actor: Actor, settings: OptimizerSettings) -> set[int]:
    """Campaigns changed within the cool-down: no new proposal until the change has had time to show."""
    if settings.cooldown_days == 0:
        return set()
    since = utcnow() - timedelta(days=settings.cooldown_days)
    return set(
        session.scalars(
            select(OptimizationLog.campaign_id)
            .where(
                OptimizationLog.company_id == actor.company_id,
                OptimizationLog.success.is_(True),
                OptimizationLog.performed_at >= since,
                OptimizationLog.campaign_id.is_not(None),
            )
            .distinct()
        )
    )


def recently_rejected(session: Session, actor: Actor, settings: OptimizerSettings) -> set[tuple]:
    """(campaign, placement, action) turned down lately: not proposed again yet."""
    since = utcnow() - timedelta(days=settings.rejection_memory_days)
    return set(
        session.execute(
            select(
                Recommendation.campaign_id, Recommendation.platform_campaign_id, Recommendation.action
            ).where(
                Recommendation.company_id == actor.company_id,
                Recommendation.status == RecommendationStatus.REJECTED.value,
                Recommendation.decided_at >= since,
            )
        ).all()
    )


def write_recommendations(
    session: Session,
    actor: Actor,
    scope: pd.DataFrame,
    proposals: list[rules.Proposal],
    settings: OptimizerSettings,
) -> tuple[list[tuple[int, rules.Proposal]], int, int]:
    """Insert new proposals; keep an identical pending one; supersede the older pending rest.

    Returns the new recommendations' (id, proposal), how many were kept and how many superseded.
    """
    in_scope = set(scope["campaign_id"].tolist())
    pending = session.execute(
        select(
            Recommendation.id,
            Recommendation.campaign_id,
            Recommendation.platform_campaign_id,
            Recommendation.action,
            Recommendation.params,
        ).where(
            Recommendation.company_id == actor.company_id,
            Recommendation.status == RecommendationStatus.PENDING.value,
        )
    ).all()
    existing = {
        (r.campaign_id, r.platform_campaign_id, r.action, _state_key(r.params.get("after"))): r.id
        for r in pending
        if r.campaign_id in in_scope
    }
    kept: set[int] = set()
    fresh: list[rules.Proposal] = []
    for proposal in proposals:
        target = (proposal.campaign_id, proposal.platform_campaign_id, proposal.action)
        key = (*target, _state_key(proposal.after))
        if key in existing:
            kept.add(existing[key])
        else:
            fresh.append(proposal)
    now = utcnow()
    stale = [rid for rid in existing.values() if rid not in kept]
    for start in range(0, len(stale), 10_000):
        session.execute(
            update(Recommendation)
            # Still pending: one approved or rejected while this pass ran keeps its decision.
            .where(
                Recommendation.id.in_(stale[start : start + 10_000]),
                Recommendation.status == RecommendationStatus.PENDING.value,
            )
            .values(status=RecommendationStatus.SUPERSEDED.value, decided_at=now, decided_by=actor.name)
            .execution_options(synchronize_session=False)
        )
    if not fresh:
        return [], len(kept), len(stale)
    expires = now + timedelta(days=settings.recommendation_ttl_days)
    rows = [
        {
            "company_id": actor.company_id,
            "campaign_id": p.campaign_id,
            "platform_campaign_id": p.platform_campaign_id,
            "action": p.action,
            "params": {"after": p.after, "before": p.before},
            "reason": p.reason,
            "confidence": p.confidence,
            "expected_impact": p.expected_impact,
            "status": RecommendationStatus.PENDING.value,
            "created_at": now,
            "expires_at": expires,
        }
        for p in fresh
    ]
    ids = _insert_recommendations(session, actor, rows, now)
    return list(zip(ids, fresh, strict=True)), len(kept), len(stale)


def _insert_recommendations(
    session: Session, actor: Actor, rows: list[dict[str, Any]], created_at: datetime
) -> list[int]:
    """Insert and return the new ids in order; by COPY on PostgreSQL (a pass may write 100,000)."""
    if session.get_bind().dialect.name != "postgresql":
        statement = insert(Recommendation).returning(Recommendation.id, sort_by_parameter_order=True)
        return list(session.scalars(statement, rows).all())
    columns = list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(
            [
                "" if row[c] is None else json.dumps(row[c]) if isinstance(row[c], dict) else row[c]
                for c in columns
            ]
        )
    buffer.seek(0)
    cursor = session.connection().connection.dbapi_connection.cursor()
    cursor.copy_expert(f"COPY recommendations ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer)
    # One new recommendation per campaign and pass: the campaign finds its id.
    by_campaign = dict(
        session.execute(
            select(Recommendation.campaign_id, Recommendation.id).where(
                Recommendation.company_id == actor.company_id, Recommendation.created_at == created_at
            )
        ).all()
    )
    return [by_campaign[row["campaign_id"]] for row in rows]


def _state_key(state: dict[str, Any] | None) -> str:
    return json.dumps(state or {}, sort_keys=True)
