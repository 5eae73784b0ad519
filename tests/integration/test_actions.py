from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from core.actions import service as actions
from core.campaigns import service as campaigns
from core.errors import Conflict, NotFound, PermissionDenied, PlatformError
from core.platforms.registry import Connectors
from db.enums import Platform
from db.models import Campaign
from tests.conftest import TODAY, Tenant


class RefusingPlatform:
    """A platform whose API refuses every change (the edge of the system, faked)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def set_daily_budget(self, external_id: str, amount: Decimal) -> None:
        raise PlatformError(f"{self.platform.label} API: quota exceeded")

    pause = resume = set_daily_budget


def active_campaign(session: Session, tenant: Tenant, connectors: Connectors) -> Campaign:
    return campaigns.create(
        session,
        tenant.marketer,
        {
            "name": "Steered",
            "total_budget": "9000",
            "daily_budget": "100.00",
            "start_date": "2026-10-01",
            "platforms": ["google_ads", "facebook"],
            "status": "active",
            "budget_split": {"google_ads": "60.00", "facebook": "40.00"},
        },
        connectors=connectors,
    )


def placement_ids(campaign: Campaign) -> dict[str, str]:
    return {p.platform: str(p.id) for p in campaign.platform_campaigns}


def test_apply_logs_before_and_after_and_undo_puts_it_back(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = active_campaign(session, tenant, connectors)
    ids = placement_ids(campaign)
    move = {
        "placements": {
            ids["google_ads"]: {"allocated_budget": "80.00"},
            ids["facebook"]: {"allocated_budget": "20.00"},
        }
    }

    log = actions.apply_change(
        session,
        tenant.marketer,
        campaign,
        move,
        action="reallocate",
        reason="Google converts cheaper",
        connectors=connectors,
    )

    assert log.success and log.performed_by == "acme-marketer"
    assert log.before_state["placements"][ids["google_ads"]] == {"allocated_budget": "60.00"}
    assert log.after_state["placements"][ids["facebook"]] == {"allocated_budget": "20.00"}
    remote = {c.external_id: c.daily_budget for c in connectors.for_platform("facebook").list_campaigns()}
    assert remote[f"c{campaign.id}-facebook"] == Decimal("20.00")

    undo = actions.undo(session, tenant.marketer, log.id, connectors=connectors)

    assert undo.success and undo.undo_of_id == log.id and log.undone_at is not None
    assert {p.platform: p.allocated_budget for p in campaign.platform_campaigns} == {
        "google_ads": Decimal("60.00"),
        "facebook": Decimal("40.00"),
    }
    remote = {c.external_id: c.daily_budget for c in connectors.for_platform("facebook").list_campaigns()}
    assert remote[f"c{campaign.id}-facebook"] == Decimal("40.00")
    with pytest.raises(Conflict, match="already undone"):
        actions.undo(session, tenant.marketer, log.id, connectors=connectors)
    with pytest.raises(Conflict, match="cannot itself be undone"):
        actions.undo(session, tenant.marketer, undo.id, connectors=connectors)


def test_a_platform_failure_changes_nothing_and_is_logged(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = active_campaign(session, tenant, connectors)
    ids = placement_ids(campaign)
    refusing = Connectors(session, factory=lambda _session, platform: RefusingPlatform(platform), today=TODAY)

    log = actions.apply_change(
        session,
        tenant.marketer,
        campaign,
        {"placements": {ids["google_ads"]: {"is_active": False}}},
        action="pause_placement",
        connectors=refusing,
    )

    assert not log.success
    assert "quota exceeded" in log.error_message
    session.expire_all()
    assert all(p.is_active for p in session.get(Campaign, campaign.id).platform_campaigns)
    with pytest.raises(Conflict, match="failed"):
        actions.undo(session, tenant.marketer, log.id, connectors=connectors)


def test_undo_refuses_when_the_campaign_changed_since(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = active_campaign(session, tenant, connectors)
    first = campaigns.set_status(session, tenant.marketer, campaign.id, "paused", connectors=connectors)
    campaigns.set_status(session, tenant.marketer, first.id, "active", connectors=connectors)
    history = actions.get_all(session, tenant.admin).items
    assert [log.action for log in history] == ["activate", "pause_campaign"]
    with pytest.raises(Conflict, match="changed since"):
        actions.undo(session, tenant.marketer, history[1].id, connectors=connectors)
    actions.undo(session, tenant.marketer, history[0].id, connectors=connectors)
    assert campaign.status == "paused"


def test_history_is_private_and_viewers_cannot_undo(
    session: Session, tenant: Tenant, other_tenant: Tenant, connectors: Connectors
) -> None:
    campaign = active_campaign(session, tenant, connectors)
    campaigns.set_status(session, tenant.marketer, campaign.id, "paused", connectors=connectors)
    [log] = actions.get_all(session, tenant.viewer).items
    assert actions.get_all(session, other_tenant.admin).total == 0
    with pytest.raises(NotFound):
        actions.undo(session, other_tenant.admin, log.id, connectors=connectors)
    with pytest.raises(PermissionDenied):
        actions.undo(session, tenant.viewer, log.id, connectors=connectors)
    filtered = actions.get_all(session, tenant.admin, actions.ActionFilters(action="archive"))
    assert filtered.total == 0
