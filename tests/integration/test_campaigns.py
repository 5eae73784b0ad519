from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from core.campaigns import service as campaigns
from core.config import get_settings
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.platforms.registry import Connectors
from db.models import Campaign, OptimizationLog, PlatformCampaign, SimulatorPlacement
from tests.conftest import Tenant

NEW = {
    "name": "Winter Sale",
    "objective": "sales",
    "total_budget": "3000.00",
    "daily_budget": "100.00",
    "start_date": "2026-12-01",
    "end_date": "2026-12-30",
    "platforms": ["google_ads", "facebook", "tiktok"],
}


def create(session: Session, tenant: Tenant, connectors: Connectors, **changes: object) -> Campaign:
    return campaigns.create(session, tenant.marketer, {**NEW, **changes}, connectors=connectors)


def allocations(campaign: Campaign) -> dict[str, Decimal]:
    return {p.platform: p.allocated_budget for p in campaign.platform_campaigns if p.is_active}


def test_create_splits_the_daily_budget_evenly_to_the_cent(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = create(session, tenant, connectors)

    assert campaign.company_id == tenant.company.id
    assert campaign.status == "draft"
    assert allocations(campaign) == {
        "facebook": Decimal("33.33"),
        "google_ads": Decimal("33.34"),
        "tiktok": Decimal("33.33"),
    }
    assert campaign.remaining_budget == Decimal("3000.00")


def test_create_with_an_explicit_split_tells_the_platforms(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = create(
        session,
        tenant,
        connectors,
        status="active",
        budget_split={"google_ads": "70.00", "facebook": "20.00", "tiktok": "10.00"},
    )

    assert allocations(campaign)["google_ads"] == Decimal("70.00")
    remote = {c.external_id: c for c in connectors.for_platform("google_ads").list_campaigns()}
    placement = next(p for p in campaign.platform_campaigns if p.platform == "google_ads")
    assert remote[placement.external_id].daily_budget == Decimal("70.00")
    assert remote[placement.external_id].is_active


def test_a_bad_campaign_writes_nothing(session: Session, tenant: Tenant, connectors: Connectors) -> None:
    counts = [
        session.scalar(select(func.count()).select_from(m))
        for m in (Campaign, PlatformCampaign, SimulatorPlacement)
    ]
    with pytest.raises(ValidationError) as caught:
        create(session, tenant, connectors, daily_budget="5000.00")
    assert "daily_budget" in caught.value.errors
    assert counts == [
        session.scalar(select(func.count()).select_from(m))
        for m in (Campaign, PlatformCampaign, SimulatorPlacement)
    ]


def test_a_viewer_cannot_create_or_change(session: Session, tenant: Tenant, connectors: Connectors) -> None:
    campaign = create(session, tenant, connectors)
    with pytest.raises(PermissionDenied):
        campaigns.create(session, tenant.viewer, NEW, connectors=connectors)
    with pytest.raises(PermissionDenied):
        campaigns.update(session, tenant.viewer, campaign.id, {"name": "Mine now"}, connectors=connectors)
    with pytest.raises(PermissionDenied):
        campaigns.set_status(session, tenant.viewer, campaign.id, "active", connectors=connectors)
    assert campaigns.get(session, tenant.viewer, campaign.id).name == "Winter Sale"


def test_another_company_can_neither_see_nor_touch_a_campaign(
    session: Session, tenant: Tenant, other_tenant: Tenant, connectors: Connectors
) -> None:
    campaign = create(session, tenant, connectors)
    intruder = other_tenant.admin
    with pytest.raises(NotFound):
        campaigns.get(session, intruder, campaign.id)
    with pytest.raises(NotFound):
        campaigns.update(session, intruder, campaign.id, {"name": "Hijacked"}, connectors=connectors)
    with pytest.raises(NotFound):
        campaigns.set_status(session, intruder, campaign.id, "active", connectors=connectors)
    with pytest.raises(NotFound):
        campaigns.delete(session, intruder, campaign.id, connectors=connectors)
    with pytest.raises(NotFound):
        campaigns.set_platforms(
            session, intruder, campaign.id, {"budget_split": {"facebook": "100.00"}}, connectors=connectors
        )
    assert campaigns.get_all(session, intruder).total == 0
    assert campaigns.get(session, tenant.admin, campaign.id).name == "Winter Sale"


def test_list_filters_sorts_and_pages(
    session: Session, tenant: Tenant, other_tenant: Tenant, connectors: Connectors
) -> None:
    for i, (objective, platforms) in enumerate(
        [("sales", ["facebook"]), ("leads", ["linkedin"]), ("sales", ["google_ads", "linkedin"])]
    ):
        create(
            session,
            tenant,
            connectors,
            name=f"Campaign {i} 100%_off",
            objective=objective,
            platforms=platforms,
            daily_budget=f"{10 * (i + 1)}.00",
        )
    create(session, other_tenant, connectors, name="Not yours")

    page = campaigns.get_all(
        session, tenant.admin, {"sort": "daily_budget", "descending": False, "page_size": 2}
    )
    assert page.total == 3 and page.pages == 2
    assert [c.daily_budget for c in page.items] == [Decimal("10.00"), Decimal("20.00")]
    second = campaigns.get_all(
        session, tenant.admin, {"sort": "daily_budget", "descending": False, "page_size": 2, "page": 2}
    )
    assert [c.name for c in second.items] == ["Campaign 2 100%_off"]
    assert campaigns.get_all(session, tenant.admin, {"objective": "leads"}).total == 1
    assert campaigns.get_all(session, tenant.admin, {"platform": "linkedin"}).total == 2
    assert campaigns.get_all(session, tenant.admin, {"search": "%_off"}).total == 3
    assert campaigns.get_all(session, tenant.admin, {"search": "1 100"}).total == 1
    with pytest.raises(ValidationError):
        campaigns.get_all(session, tenant.admin, {"sort": "password_hash"})
    with pytest.raises(ValidationError):
        campaigns.get_all(session, tenant.admin, {"page_size": 10_000})


def test_update_rescales_the_split_and_logs_the_budget_change(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = create(
        session,
        tenant,
        connectors,
        budget_split={"google_ads": "50.00", "facebook": "30.00", "tiktok": "20.00"},
    )

    campaigns.update(
        session,
        tenant.marketer,
        campaign.id,
        {"daily_budget": "150.00", "name": "Winter Sale+"},
        connectors=connectors,
    )

    assert campaign.name == "Winter Sale+"
    assert allocations(campaign) == {
        "google_ads": Decimal("75.00"),
        "facebook": Decimal("45.00"),
        "tiktok": Decimal("30.00"),
    }
    log = session.scalars(select(OptimizationLog).where(OptimizationLog.campaign_id == campaign.id)).one()
    assert log.action == "change_budget"
    assert log.before_state["campaign"] == {"daily_budget": "100.00"}
    assert log.after_state["campaign"] == {"daily_budget": "150.00"}
    assert log.performed_by == "acme-marketer"


def test_update_checks_the_combined_result(session: Session, tenant: Tenant, connectors: Connectors) -> None:
    campaign = create(session, tenant, connectors)
    with pytest.raises(ValidationError, match="daily_budget"):
        campaigns.update(
            session, tenant.marketer, campaign.id, {"total_budget": "50.00"}, connectors=connectors
        )
    with pytest.raises(ValidationError, match="end_date"):
        campaigns.update(
            session, tenant.marketer, campaign.id, {"start_date": "2027-01-15"}, connectors=connectors
        )
    assert campaign.total_budget == Decimal("3000.00") and campaign.start_date == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (["active", "paused", "active", "completed", "archived"], True),
        (["archived"], True),
        (["paused"], False),
        (["completed"], False),
        (["active", "draft"], False),
        (["active", "completed", "active"], False),
        (["archived", "active"], False),
    ],
)
def test_status_moves_along_the_life_cycle_only(
    session: Session, tenant: Tenant, connectors: Connectors, path: list[str], allowed: bool
) -> None:
    campaign = create(session, tenant, connectors)
    *legal, last = path
    for status in legal:
        campaigns.set_status(session, tenant.marketer, campaign.id, status, connectors=connectors)
    if allowed:
        campaigns.set_status(session, tenant.marketer, campaign.id, last, connectors=connectors)
        assert campaign.status == last
    else:
        with pytest.raises(Conflict, match="cannot become"):
            campaigns.set_status(session, tenant.marketer, campaign.id, last, connectors=connectors)
        assert campaign.status == (legal[-1] if legal else "draft")


def test_pausing_pauses_every_placement_on_its_platform(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = create(session, tenant, connectors, status="active")
    campaigns.set_status(session, tenant.marketer, campaign.id, "paused", connectors=connectors)
    for placement in campaign.platform_campaigns:
        remote = {c.external_id: c for c in connectors.for_platform(placement.platform).list_campaigns()}
        assert not remote[placement.external_id].is_active
    assert placement.is_active  # the placement itself stays switched on for when the campaign resumes


def test_a_campaign_without_platforms_cannot_start(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = create(session, tenant, connectors, platforms=[])
    with pytest.raises(ValidationError, match="platform"):
        campaigns.set_status(session, tenant.marketer, campaign.id, "active", connectors=connectors)


def test_delete_archives_and_an_archived_campaign_is_read_only(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = create(session, tenant, connectors)
    campaigns.delete(session, tenant.marketer, campaign.id, connectors=connectors)
    assert session.get(Campaign, campaign.id).status == "archived"
    assert campaigns.get_all(session, tenant.admin).total == 0
    assert campaigns.get_all(session, tenant.admin, {"include_archived": True}).total == 1
    with pytest.raises(Conflict, match="archived"):
        campaigns.update(session, tenant.marketer, campaign.id, {"name": "Back"}, connectors=connectors)


def test_set_platforms_adds_and_switches_off_keeping_history(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = create(session, tenant, connectors, platforms=["google_ads", "facebook"])
    campaigns.set_platforms(
        session,
        tenant.marketer,
        campaign.id,
        {"budget_split": {"google_ads": "60.00", "linkedin": "40.00"}},
        connectors=connectors,
    )
    assert allocations(campaign) == {"google_ads": Decimal("60.00"), "linkedin": Decimal("40.00")}
    assert {p.platform for p in campaign.platform_campaigns} == {"google_ads", "facebook", "linkedin"}
    with pytest.raises(ValidationError, match="add up"):
        campaigns.set_platforms(
            session,
            tenant.marketer,
            campaign.id,
            {"budget_split": {"google_ads": "60.00"}},
            connectors=connectors,
        )
    with pytest.raises(ValidationError):
        campaigns.set_platforms(
            session,
            tenant.marketer,
            campaign.id,
            {"budget_split": {"myspace": "100.00"}},
            connectors=connectors,
        )


def test_a_long_lists_total_is_kept_until_this_process_changes_a_campaign(
    session: Session,
    tenant: Tenant,
    other_tenant: Tenant,
    connectors: Connectors,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    long_from_two = get_settings().model_copy(update={"count_cache_min_rows": 2})
    monkeypatch.setattr(campaigns, "get_settings", lambda: long_from_two)
    create(session, tenant, connectors, name="One")
    create(session, tenant, connectors, name="Two")
    assert campaigns.get_all(session, tenant.viewer).total == 2
    # Written by someone else (no session of this process flushes a campaign): the total lags.
    session.execute(
        insert(Campaign).values(
            company_id=tenant.company.id,
            name="Elsewhere",
            description="",
            objective="conversions",
            status="draft",
            total_budget=100,
            daily_budget=10,
            start_date=date(2026, 11, 1),
            target_audience={},
            autopilot=False,
            impressions=0,
            clicks=0,
            conversions=0,
            revenue=0,
            spent_budget=0,
        )
    )
    assert campaigns.get_all(session, tenant.viewer).total == 2
    assert campaigns.get_all(session, tenant.viewer, {"page_size": 1, "page": 3}).total == 2  # pages share it
    assert (
        campaigns.get_all(session, tenant.viewer, {"search": "elsewhere"}).total == 1
    )  # other filters do not
    create(session, tenant, connectors, name="Three")
    assert campaigns.get_all(session, tenant.viewer).total == 4
    assert campaigns.get_all(session, other_tenant.viewer).total == 0


def test_a_short_lists_total_is_always_exact(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    create(session, tenant, connectors, name="One")
    assert campaigns.get_all(session, tenant.viewer).total == 1
    session.execute(update(Campaign).values(status="archived"))
    assert campaigns.get_all(session, tenant.viewer).total == 0
