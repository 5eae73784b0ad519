"""The impact ledger over a real database: measuring applied recommendations, showing, tempering."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actions import views as history
from core.companies import service as companies
from core.optimizer import impacts
from core.optimizer import service as optimizer
from core.platforms.registry import Connectors
from core.recommendations import service as recommendations
from db.models import ActionImpact, OptimizationLog, Recommendation
from tests.conftest import TODAY, Tenant
from tests.integration.optimizer_setup import weak_and_strong, without_twitter

ACTED = TODAY - timedelta(days=20)


def applied_recommendation(session: Session, tenant: Tenant, connectors: Connectors) -> Recommendation:
    """A recommendation on the 'Mixed' campaign, applied 20 days before TODAY, beside an untouched one."""
    mixed = weak_and_strong(session, tenant, connectors)
    without_twitter(session, tenant, connectors, "Control")
    optimizer.run_for_company(session, tenant.marketer, today=ACTED, connectors=connectors, apply=False)
    [proposal] = [
        r for r in recommendations.get_all(session, tenant.marketer).items if r.campaign_id == mixed.id
    ]
    recommendations.approve(session, tenant.marketer, [proposal.id], connectors=connectors)
    log = session.scalar(select(OptimizationLog).where(OptimizationLog.recommendation_id == proposal.id))
    log.performed_at = datetime.combine(ACTED, time(12), UTC)
    session.flush()
    return proposal


def test_an_applied_recommendation_is_measured_once_its_window_has_passed(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    proposal = applied_recommendation(session, tenant, connectors)

    assert impacts.measure_impacts(session, tenant.marketer, today=ACTED + timedelta(days=10)) == {
        "measured": 0,
        "skipped": 0,
    }
    assert impacts.measure_impacts(session, tenant.marketer, today=TODAY) == {"measured": 1, "skipped": 0}
    assert impacts.measure_impacts(session, tenant.marketer, today=TODAY)["measured"] == 0  # once only

    [impact] = session.scalars(select(ActionImpact)).all()
    assert impact.recommendation_id == proposal.id and impact.action == proposal.action
    assert impact.window_start == ACTED + timedelta(days=1) and impact.window_days == 14
    assert impact.metric == "conversions" and impact.controls == 2  # the Control campaign's placements
    assert impact.did_low <= impact.did_effect <= impact.did_high
    assert impact.forecast_low <= impact.forecast_effect <= impact.forecast_high
    assert impact.expected_effect == pytest.approx(proposal.expected_impact["per_day"] * 14, abs=1e-3)
    assert impact.hit == impacts.is_hit(impact.did_effect, impact.expected_effect)
    assert impacts.hit_rates(session, tenant.viewer) == {proposal.action: (int(impact.hit), 1)}

    [entry] = [e for e in history.history(session, tenant.viewer).items if e.recommendation_id == proposal.id]
    assert entry.impact.startswith("Measured:") and "unchanged placements" in entry.impact


def test_another_company_sees_nothing_of_the_ledger(
    session: Session, tenant: Tenant, other_tenant: Tenant, connectors: Connectors
) -> None:
    applied_recommendation(session, tenant, connectors)
    assert impacts.measure_impacts(session, other_tenant.admin, today=TODAY) == {"measured": 0, "skipped": 0}
    impacts.measure_impacts(session, tenant.admin, today=TODAY)
    assert impacts.hit_rates(session, other_tenant.admin) == {}
    assert (
        history.impacts_for(
            session, other_tenant.admin, [log.id for log in session.scalars(select(OptimizationLog))]
        )
        == {}
    )


def test_a_record_of_misses_tempers_the_confidence_of_new_recommendations(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    companies.update_settings(session, tenant.admin, {"optimizer": {"rejection_memory_days": 0}})
    weak_and_strong(session, tenant, connectors)
    optimizer.run_for_company(session, tenant.marketer, today=TODAY, connectors=connectors, apply=False)
    [first] = recommendations.get_all(session, tenant.marketer).items
    recommendations.reject(session, tenant.marketer, [first.id])
    for _ in range(4):  # four earlier actions of this type that did not deliver
        log = OptimizationLog(
            company_id=tenant.company.id, action=first.action, success=True, performed_by="x"
        )
        session.add(log)
        session.flush()
        session.add(
            ActionImpact(
                company_id=tenant.company.id,
                optimization_log_id=log.id,
                action=first.action,
                metric="conversions",
                window_start=TODAY - timedelta(days=60),
                window_days=14,
                forecast_effect=-5.0,
                forecast_low=-9.0,
                forecast_high=-1.0,
                controls=0,
                hit=False,
            )
        )
    session.flush()

    optimizer.run_for_company(session, tenant.marketer, today=TODAY, connectors=connectors, apply=False)

    [second] = recommendations.get_all(session, tenant.marketer).items
    assert second.id != first.id and second.action == first.action
    assert second.confidence == pytest.approx(first.confidence * 4 / 8, abs=2e-4)
