"""The planner's service over a real database: scope, paused placements, progress."""

from sqlalchemy.orm import Session

from core import planner
from core.platforms.registry import Connectors
from tests.conftest import TODAY, Tenant
from tests.integration.optimizer_setup import weak_and_strong, without_twitter


def test_a_plan_covers_the_active_placements_of_its_scope_only(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    mixed = weak_and_strong(session, tenant, connectors)
    other = without_twitter(session, tenant, connectors, "Other")
    twitter = next(p for p in mixed.platform_campaigns if p.platform == "twitter")
    twitter.is_active = False  # paused on its own: it spends nothing until resumed
    session.flush()

    company = planner.make_plan(session, tenant.viewer, {"weeks": 1, "total_budget": "7000", "today": TODAY})
    own = planner.make_plan(
        session, tenant.viewer, {"weeks": 1, "total_budget": "3500", "campaign_id": other.id, "today": TODAY}
    )

    assert {p.placement_id for p in company.placements} == {
        p.id for c in (mixed, other) for p in c.platform_campaigns if p.id != twitter.id
    }
    assert {p.campaign_id for p in own.placements} == {other.id}
    assert sum(c.budget for c in own.cells) == own.planned_spend == own.total_budget


def test_a_backtest_reports_its_progress_from_start_to_end(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    weak_and_strong(session, tenant, connectors)
    steps = []
    result = planner.backtest(
        session, tenant.viewer, {"weeks": 3, "today": TODAY}, progress=lambda f, m: steps.append((f, m))
    )
    assert [f for f, _ in steps] == [0.0, 1 / 3, 2 / 3, 1.0]
    assert steps[0][1].startswith("Week 1 of 3") and len(result.weeks) == 3
    assert result.strategy == "keep" and result.objective == "conversions"
