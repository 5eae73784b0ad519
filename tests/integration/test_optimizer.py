from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actions import service as actions
from core.alerts import service as alerts
from core.campaigns import service as campaigns
from core.companies import service as companies
from core.errors import NotFound, PermissionDenied, PlatformError, ValidationError
from core.metrics import queries
from core.metrics.service import upsert_daily
from core.notifications import service as notifications
from core.optimizer import forecasting, history, training
from core.optimizer import service as optimizer
from core.optimizer import settings as optimizer_settings
from core.platforms.registry import Connectors
from core.platforms.simulator import SimulatedWorld, SimulatorConnector
from core.recommendations import service as recommendations
from db.enums import Platform
from db.models import Campaign, Notification, OptimizationLog, PlatformCampaign, Recommendation
from db.types import utcnow
from tests.conftest import TODAY, Tenant
from tests.integration.optimizer_setup import campaign_with_history, weak_and_strong, without_twitter


def run(session: Session, actor, connectors: Connectors, **kwargs):
    return optimizer.run_for_company(session, actor, today=TODAY, connectors=connectors, **kwargs)


def pending(session: Session, actor) -> list[Recommendation]:
    return recommendations.get_all(session, actor).items


def test_a_pass_scores_every_placement_and_proposes_with_reasons(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = weak_and_strong(session, tenant, connectors)
    steps = []

    summary = run(session, tenant.marketer, connectors, progress=lambda f, m: steps.append(f))

    assert summary.campaigns == 1 and summary.placements == summary.scored == 3
    assert steps[0] == 0.0 and steps[-1] == 1.0 and steps == sorted(steps)
    session.expire_all()
    scores = {p.platform: p.performance_score for p in session.get(Campaign, campaign.id).platform_campaigns}
    assert all(0 <= s <= 1 for s in scores.values())
    assert scores["twitter"] < 0.3 < scores["google_ads"]
    refreshed = session.get(Campaign, campaign.id)
    assert refreshed.performance_score is not None and refreshed.last_optimization is not None
    [proposal] = pending(session, tenant.viewer)
    assert proposal.campaign_id == campaign.id
    assert proposal.action in ("pause_placement", "reallocate")
    assert "twitter" in proposal.reason.lower() or "Twitter" in proposal.reason
    assert 0 <= proposal.confidence <= 1
    assert {"metric", "per_day", "per_week"} <= set(proposal.expected_impact)
    assert summary.recommendations_created == 1


def test_a_second_pass_keeps_what_is_still_advised_instead_of_piling_up(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    weak_and_strong(session, tenant, connectors)
    run(session, tenant.marketer, connectors)
    first = pending(session, tenant.marketer)

    again = run(session, tenant.marketer, connectors)

    assert again.recommendations_created == 0 and again.recommendations_kept == len(first)
    assert [r.id for r in pending(session, tenant.marketer)] == [r.id for r in first]


def test_an_outdated_proposal_is_superseded_by_the_new_one(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = weak_and_strong(session, tenant, connectors)
    run(session, tenant.marketer, connectors)
    [old] = pending(session, tenant.marketer)
    old.params = {**old.params, "after": {"placements": {}}}  # as if an earlier pass had advised otherwise
    session.flush()

    summary = run(session, tenant.marketer, connectors)

    assert summary.recommendations_superseded == 1 and summary.recommendations_created == 1
    session.refresh(old)
    assert old.status == "superseded"
    assert [r.campaign_id for r in pending(session, tenant.marketer)] == [campaign.id]


def test_approving_applies_logs_and_can_be_undone(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = weak_and_strong(session, tenant, connectors)
    run(session, tenant.marketer, connectors)
    [proposal] = pending(session, tenant.marketer)
    before = {p.id: (p.allocated_budget, p.is_active) for p in campaign.platform_campaigns}

    [decision] = recommendations.approve(session, tenant.marketer, [proposal.id], connectors=connectors)

    assert decision.outcome == "applied" and proposal.status == "applied"
    assert proposal.decided_by == "acme-marketer" and proposal.decided_at is not None
    log = session.scalar(select(OptimizationLog).where(OptimizationLog.recommendation_id == proposal.id))
    assert log.success and log.action == proposal.action and log.after_state == proposal.params["after"]
    after = {p.id: (p.allocated_budget, p.is_active) for p in campaign.platform_campaigns}
    assert after != before
    assert (
        sum(p.allocated_budget for p in campaign.platform_campaigns if p.is_active) == campaign.daily_budget
    )
    remote = {c.external_id: c for c in connectors.for_platform("twitter").list_campaigns()}
    twitter = next(p for p in campaign.platform_campaigns if p.platform == "twitter")
    assert remote[twitter.external_id].daily_budget == twitter.allocated_budget
    # approving again does nothing
    [again] = recommendations.approve(session, tenant.marketer, [proposal.id], connectors=connectors)
    assert again.outcome == "unchanged"
    assert session.scalars(
        select(OptimizationLog).where(OptimizationLog.recommendation_id == proposal.id)
    ).all() == [log]

    actions.undo(session, tenant.marketer, log.id, connectors=connectors)
    assert {p.id: (p.allocated_budget, p.is_active) for p in campaign.platform_campaigns} == before


class RefusingTwitter:
    """Twitter's API refuses every change; the other platforms are the simulator (the edge, faked)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __call__(self, session: Session, platform: Platform):
        if platform == Platform.TWITTER:
            return _Refusing()
        return SimulatorConnector(session, platform, SimulatedWorld(7), today=TODAY)


class _Refusing:
    platform = Platform.TWITTER

    def set_daily_budget(self, external_id: str, amount: Decimal) -> None:
        raise PlatformError("Twitter/X API: service unavailable")

    pause = resume = set_daily_budget


def test_a_platform_failure_marks_one_failed_and_the_others_still_apply(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    failing = weak_and_strong(session, tenant, connectors, "Has Twitter")
    working = without_twitter(session, tenant, connectors, "No Twitter")
    run(session, tenant.marketer, connectors)
    proposals = {r.campaign_id: r for r in pending(session, tenant.marketer)}
    assert set(proposals) == {failing.id, working.id}
    before = {p.id: (p.allocated_budget, p.is_active) for p in failing.platform_campaigns}
    refusing = Connectors(session, factory=RefusingTwitter(session), today=TODAY)

    decisions = recommendations.approve(
        session, tenant.marketer, [proposals[failing.id].id, proposals[working.id].id], connectors=refusing
    )

    assert [d.outcome for d in decisions] == ["failed", "applied"]
    assert "service unavailable" in decisions[0].message
    assert proposals[failing.id].status == "failed" and proposals[working.id].status == "applied"
    session.expire_all()
    assert {
        p.id: (p.allocated_budget, p.is_active) for p in session.get(Campaign, failing.id).platform_campaigns
    } == (before)
    failed_log = session.scalar(
        select(OptimizationLog).where(OptimizationLog.recommendation_id == proposals[failing.id].id)
    )
    assert not failed_log.success
    # once the platform is back, the failed one can be approved again
    [retry] = recommendations.approve(
        session, tenant.marketer, [proposals[failing.id].id], connectors=connectors
    )
    assert retry.outcome == "applied"


def test_rejected_advice_is_not_repeated_during_the_cooldown(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    weak_and_strong(session, tenant, connectors)
    run(session, tenant.marketer, connectors)
    [proposal] = pending(session, tenant.marketer)

    [decision] = recommendations.reject(session, tenant.marketer, [proposal.id])
    run(session, tenant.marketer, connectors)

    assert decision.outcome == "rejected" and proposal.status == "rejected"
    target = (proposal.platform_campaign_id, proposal.action)
    assert target not in {(r.platform_campaign_id, r.action) for r in pending(session, tenant.marketer)}
    [again] = recommendations.reject(session, tenant.marketer, [proposal.id])
    assert again.outcome == "unchanged"
    with pytest.raises(ValidationError):
        recommendations.reject(session, tenant.marketer, [])


def test_a_campaign_changed_recently_gets_no_new_advice(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = weak_and_strong(session, tenant, connectors)
    campaigns.update(session, tenant.marketer, campaign.id, {"daily_budget": "760.00"}, connectors=connectors)

    summary = run(session, tenant.marketer, connectors)

    assert summary.recommendations_created == 0 and summary.scored == 3


def test_a_proposal_made_stale_by_a_later_edit_is_not_applied(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = weak_and_strong(session, tenant, connectors)
    run(session, tenant.marketer, connectors)
    [proposal] = pending(session, tenant.marketer)
    campaigns.update(session, tenant.marketer, campaign.id, {"daily_budget": "900.00"}, connectors=connectors)
    budgets = {p.id: p.allocated_budget for p in campaign.platform_campaigns}

    [decision] = recommendations.approve(session, tenant.marketer, [proposal.id], connectors=connectors)

    assert decision.outcome == "stale" and proposal.status == "superseded"
    assert {p.id: p.allocated_budget for p in campaign.platform_campaigns} == budgets


def test_autopilot_applies_what_clears_the_bar_only_where_it_is_switched_on(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    companies.update_settings(
        session, tenant.admin, {"optimizer": {"mode": "autopilot", "autopilot_confidence": 0}}
    )
    steered = weak_and_strong(session, tenant, connectors, "Autopilot on")
    steered.autopilot = True
    watched = without_twitter(session, tenant, connectors, "Autopilot off")

    summary = run(session, tenant.admin, connectors)

    assert summary.applied == 1 and summary.apply_failed == 0
    statuses = {r.campaign_id: r.status for r in session.scalars(select(Recommendation))}
    assert statuses == {steered.id: "applied", watched.id: "pending"}
    assert session.scalar(select(OptimizationLog).where(OptimizationLog.campaign_id == steered.id)).success


def test_approval_mode_and_a_high_bar_only_propose(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = weak_and_strong(session, tenant, connectors)
    campaign.autopilot = True
    companies.update_settings(
        session, tenant.admin, {"optimizer": {"mode": "autopilot", "autopilot_confidence": 1.01}}
    )
    with pytest.raises(ValidationError, match="autopilot_confidence"):
        run(session, tenant.admin, connectors)
    companies.update_settings(session, tenant.admin, {"optimizer": {"mode": "approval"}})

    summary = run(session, tenant.admin, connectors)

    assert summary.applied == 0 and len(pending(session, tenant.admin)) == 1


def test_the_mode_is_switched_by_an_admin_keeping_the_other_settings(
    session: Session, tenant: Tenant
) -> None:
    companies.update_settings(session, tenant.admin, {"optimizer": {"pause_score_below": 0.1}})

    switched = optimizer_settings.set_mode(session, tenant.admin, "autopilot")

    assert switched.mode == "autopilot" and switched.pause_score_below == 0.1
    assert optimizer_settings.settings_for(session, tenant.viewer) == switched
    with pytest.raises(PermissionDenied):
        optimizer_settings.set_mode(session, tenant.marketer, "approval")
    with pytest.raises(ValidationError, match="mode"):
        optimizer_settings.set_mode(session, tenant.admin, "yolo")
    assert optimizer_settings.settings_for(session, tenant.viewer).mode == "autopilot"


def test_expire_stale_ends_old_pending_advice(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    weak_and_strong(session, tenant, connectors)
    run(session, tenant.marketer, connectors)
    [proposal] = pending(session, tenant.marketer)

    assert recommendations.expire_stale(session, utcnow()) == 0
    assert recommendations.expire_stale(session, utcnow() + timedelta(days=30)) == 1

    session.refresh(proposal)
    assert proposal.status == "expired"
    [decision] = recommendations.approve(session, tenant.marketer, [proposal.id], connectors=connectors)
    assert decision.outcome == "unchanged"


def tiktok_spends_four_times_more_yesterday(
    session: Session, tenant: Tenant, connectors: Connectors
) -> tuple[PlatformCampaign, float]:
    """A campaign whose TikTok placement reported four times its usual spend yesterday."""
    campaign = campaign_with_history(
        session, tenant, connectors, "Glitch", {"tiktok": (300, {}), "facebook": (200, {})}
    )
    tiktok = next(p for p in campaign.platform_campaigns if p.platform == "tiktok")
    yesterday = queries.daily_by_placement(
        session, tenant.marketer, start=TODAY - timedelta(days=1), end=TODAY - timedelta(days=1)
    )
    day = yesterday[yesterday["platform_campaign_id"] == tiktok.id].assign(spend=lambda f: f["spend"] * 4)
    upsert_daily(session, tenant.marketer, day)
    return tiktok, float(day["spend"].iloc[0])


def test_anomalies_become_alerts_that_can_be_acknowledged_and_resolved(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    tiktok, _ = tiktok_spends_four_times_more_yesterday(session, tenant, connectors)
    summary = run(session, tenant.marketer, connectors)
    page = alerts.get_all(session, tenant.viewer)

    assert summary.alerts_opened == page.total > 0
    alert = page.items[0]
    assert (alert.platform_campaign_id, alert.metric, alert.date) == (
        tiktok.id,
        "spend",
        TODAY - timedelta(days=1),
    )
    assert alert.severity == "high" and "TikTok" in alert.message and alert.observed > 3 * alert.expected
    assert alert.observed is not None and alert.expected is not None and 0 <= alert.anomaly_score <= 1
    assert run(session, tenant.marketer, connectors).alerts_opened == 0  # no duplicates

    alerts.acknowledge(session, tenant.marketer, [alert.id])
    assert alert.status == "acknowledged"
    alerts.resolve(session, tenant.marketer, [alert.id])
    assert alert.status == "resolved" and alert.resolved_at is not None
    assert alerts.get_all(session, tenant.viewer).total == page.total - 1
    with pytest.raises(PermissionDenied):
        alerts.resolve(session, tenant.viewer, [alert.id])


def test_spending_a_new_budget_is_no_anomaly(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    tiktok, spent = tiktok_spends_four_times_more_yesterday(session, tenant, connectors)
    tiktok.allocated_budget = Decimal(str(spent))  # because its budget was raised to that
    session.flush()

    summary = run(session, tenant.marketer, connectors)

    assert summary.alerts_opened == 0


def test_tenants_never_see_or_touch_each_other(
    session: Session, tenant: Tenant, other_tenant: Tenant, connectors: Connectors
) -> None:
    campaign = weak_and_strong(session, tenant, connectors)
    run(session, tenant.marketer, connectors)
    [proposal] = pending(session, tenant.marketer)

    summary = run(session, other_tenant.marketer, connectors)

    assert summary.placements == 0 and summary.recommendations_superseded == 0
    assert recommendations.get_all(session, other_tenant.admin).total == 0
    assert alerts.get_all(session, other_tenant.admin).total == 0
    with pytest.raises(NotFound):
        recommendations.approve(session, other_tenant.admin, [proposal.id], connectors=connectors)
    with pytest.raises(NotFound):
        recommendations.get(session, other_tenant.admin, proposal.id)
    with pytest.raises(NotFound):
        forecasting.forecast_campaign(session, other_tenant.admin, campaign.id, today=TODAY)
    with pytest.raises(PermissionDenied):
        run(session, tenant.viewer, connectors)
    with pytest.raises(PermissionDenied):
        recommendations.approve(session, tenant.viewer, [proposal.id], connectors=connectors)
    assert proposal.status == "pending"


def test_the_predictor_trains_on_history_and_is_used_by_the_next_pass(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    with pytest.raises(ValidationError, match="history"):
        training.train_predictor(session, tenant.marketer, today=TODAY)
    for index in range(4):
        campaign_with_history(
            session,
            tenant,
            connectors,
            f"Long {index}",
            {"google_ads": (300, {}), "facebook": (200, {}), "tiktok": (150, {}), "instagram": (120, {})},
            days=180,
            seed=index,
            objective="sales" if index % 2 else "leads",
        )
    fallback = run(session, tenant.marketer, connectors)

    model = training.train_predictor(session, tenant.marketer, today=TODAY)
    second = training.train_predictor(session, tenant.marketer, today=TODAY)

    assert (model.version, second.version) == (1, 2)
    assert model.training_rows >= 100 and model.data_until == TODAY - timedelta(days=3)
    assert {"model_error", "naive_error", "improvement"} <= set(model.evaluation)
    assert training.latest_predictor(session, tenant.marketer) is not None
    assert training.latest_predictor(session, tenant.admin).predict is not None
    trained = run(session, tenant.marketer, connectors)
    assert trained.scored == fallback.scored == 16


def test_forecast_and_pacing(session: Session, tenant: Tenant, connectors: Connectors) -> None:
    campaign = weak_and_strong(session, tenant, connectors)

    forecast = forecasting.forecast_campaign(session, tenant.viewer, campaign.id, today=TODAY)

    assert len(forecast.frame) == 14 and forecast.frame["date"].iloc[0] == TODAY
    for metric in ("spend", "conversions", "revenue"):
        assert (forecast.frame[f"{metric}_low"] <= forecast.frame[metric]).all()
        assert (forecast.frame[metric] <= forecast.frame[f"{metric}_high"]).all()
    assert forecast.frame["spend"].mean() == pytest.approx(750, rel=0.35)
    assert forecast.pacing.status in ("on_track", "overspend", "underspend")
    assert forecast.pacing.message
    assert forecast.enough_history and forecast.history_days >= 28
    assert len(forecast.history) == 28 and forecast.history["date"].iloc[-1] == TODAY - timedelta(days=1)
    assert forecast.history["spend"].sum() > 0
    campaign.total_budget = campaign.spent_budget + Decimal("2000.00")
    tight = forecasting.forecast_campaign(session, tenant.viewer, campaign.id, today=TODAY)
    assert tight.pacing.status == "overspend" and tight.pacing.date <= TODAY + timedelta(days=3)
    assert "overspend" in tight.pacing.message
    with pytest.raises(ValidationError, match="days"):
        forecasting.forecast_campaign(session, tenant.viewer, campaign.id, days=0, today=TODAY)


def test_a_forecast_says_when_its_history_is_too_short(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = campaign_with_history(
        session, tenant, connectors, "Fresh", {"google_ads": (100.0, {})}, days=5
    )

    forecast = forecasting.forecast_campaign(session, tenant.viewer, campaign.id, today=TODAY)

    assert 1 <= forecast.history_days < forecasting.MIN_FORECAST_HISTORY_DAYS
    assert not forecast.enough_history


def test_company_curves_are_the_ones_the_pass_uses(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = weak_and_strong(session, tenant, connectors)

    curves, placements = history.fit_company_curves(session, tenant.viewer, today=TODAY)

    assert list(curves.ids) == placements["id"].tolist()
    assert set(placements["campaign_id"]) == {campaign.id}
    spend = placements["allocated_budget"].to_numpy()
    assert (curves.expected(spend) > 0).all()
    assert (curves.quantiles(spend)[:, 0] <= curves.expected(spend)).all()
    placement = session.scalar(select(PlatformCampaign).where(PlatformCampaign.platform == "google_ads"))
    assert curves.rows([placement.id]).tolist() == [placements.index[placements["id"] == placement.id][0]]


def queued(session: Session) -> list[Notification]:
    return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_a_high_severity_alert_is_sent_to_the_company_channels_once(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    notifications.set_channels(
        session, tenant.admin, {"emails": ["ops@acme.test"], "webhooks": ["https://hooks.acme.test/x"]}
    )
    tiktok_spends_four_times_more_yesterday(session, tenant, connectors)

    run(session, tenant.marketer, connectors)
    run(session, tenant.marketer, connectors)  # the same alert again: nothing new to say

    messages = queued(session)
    assert [(m.kind, m.channel, m.target) for m in messages] == [
        ("alert", "email", "ops@acme.test"),
        ("alert", "webhook", "https://hooks.acme.test/x"),
    ]
    assert "high-severity alert" in messages[0].subject and "TikTok" in messages[0].body


def test_what_the_autopilot_applied_is_reported(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    notifications.set_channels(session, tenant.admin, {"emails": ["ops@acme.test"]})
    companies.update_settings(
        session, tenant.admin, {"optimizer": {"mode": "autopilot", "autopilot_confidence": 0}}
    )
    weak_and_strong(session, tenant, connectors, "Autopilot on").autopilot = True

    summary = run(session, tenant.admin, connectors)

    [message] = [m for m in queued(session) if m.kind == "autopilot_action"]
    assert summary.applied == 1
    assert message.subject == "Autopilot applied 1 change" and "applied" in message.body


def test_without_channels_nothing_is_queued(session: Session, tenant: Tenant, connectors: Connectors) -> None:
    tiktok_spends_four_times_more_yesterday(session, tenant, connectors)
    assert run(session, tenant.marketer, connectors).alerts_opened > 0
    assert queued(session) == []
