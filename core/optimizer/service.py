"""The optimizer's use cases: one pass over a company, predictor training, forecasts and pacing.

A pass (run_for_company) reads the company's recent daily history once, as dense arrays, and
then, for all placements at once: features and performance scores, anomalies (→ alerts), trends,
response curves and the best split of each campaign's daily budget, and the decision rules
(→ recommendations). In autopilot mode it applies the recommendations that clear the confidence
bar, for campaigns whose autopilot switch is on. The caller owns the transaction.
"""

import logging
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from core.actions.state import normalized
from core.actor import Actor
from core.companies import service as companies
from core.errors import NotFound, ValidationError
from core.metrics import queries
from core.metrics.definitions import BASE_COLUMNS, efficiency_metric
from core.money import split_amount, to_money
from core.optimizer import predictor as predictors
from core.optimizer import rules
from core.optimizer.allocator import allocate_groups, cents
from core.optimizer.anomalies import AnomalyDetector, combine, robust_residuals, seasonal_score
from core.optimizer.curves import ResponseCurves, fit_curves
from core.optimizer.features import WindowSums, efficiency, objective_outcome
from core.optimizer.panel import Panel, build_panel
from core.optimizer.settings import OptimizerSettings, for_company
from core.optimizer.trends import forecast_series, weekly_trend
from core.platforms.registry import Connectors
from core.recommendations import service as recommendations
from db.enums import AlertStatus, CampaignStatus, RecommendationStatus, Severity
from db.models import Alert, Campaign, OptimizationLog, PlatformCampaign, PredictorModel, Recommendation
from db.types import utcnow

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
_ANOMALY_METRICS = BASE_COLUMNS  # impressions, clicks, conversions, spend, revenue
_LATE_METRICS = ("conversions", "revenue")
_FOREST_SAMPLE = 20_000
_DRAWS = 64


@dataclass
class RunSummary:
    company_id: int
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


def settings_for(session: Session, actor: Actor) -> OptimizerSettings:
    """The company's optimizer settings (defaults overlaid with its own)."""
    return for_company(companies.get(session, actor).settings)


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
    scope = _scope(session, actor, campaign_ids)
    summary.campaigns = int(scope["campaign_id"].nunique()) if len(scope) else 0
    panel = _history(session, actor, scope, today, settings)
    scope = scope.set_index("id").loc[panel.ids].reset_index() if len(panel.ids) else scope.iloc[:0]
    summary.placements = len(scope)
    if scope.empty:
        _stamp_campaigns(session, actor, scope, campaign_ids)
        summary.notes.append("no active campaign has daily metrics yet")
        summary.seconds = time.perf_counter() - started
        report(1.0, "Nothing to optimise yet")
        return summary

    report(0.15, "Scoring placements")
    signals = _signals(session, actor, panel, scope, settings)
    summary.scored = int(np.isfinite(signals.score).sum())

    report(0.35, "Looking for anomalies")
    summary.alerts_opened = _open_alerts(session, actor, panel, scope, settings)

    report(0.55, "Fitting response curves")
    curves = _curves(panel, signals.uses_revenue, settings)

    report(0.7, "Weighing budget moves")
    proposals = _proposals(session, actor, scope, signals, curves, settings, today)

    report(0.85, "Writing recommendations")
    created, kept, superseded = _write_recommendations(session, actor, scope, proposals, settings)
    summary.recommendations_created = len(created)
    summary.recommendations_kept = kept
    summary.recommendations_superseded = superseded
    _write_scores(session, actor, scope, signals, campaign_ids)

    autopilot = set(scope.loc[scope["autopilot"], "campaign_id"].tolist())
    to_apply = [
        r.id
        for r in created
        if r.confidence >= settings.autopilot_confidence
        and (apply is True or (apply is None and settings.mode == "autopilot" and r.campaign_id in autopilot))
    ]
    if to_apply:
        report(0.95, "Applying what clears the confidence bar")
        decisions = recommendations.approve(session, actor, to_apply, connectors=connectors)
        summary.applied = sum(d.outcome == "applied" for d in decisions)
        summary.apply_failed = sum(d.outcome == "failed" for d in decisions)
    summary.seconds = time.perf_counter() - started
    report(1.0, "Done")
    return summary


# --- reading -------------------------------------------------------------------------------------


def _scope(session: Session, actor: Actor, campaign_ids: Sequence[int] | None) -> pd.DataFrame:
    """Placements of the active campaigns in scope, with what the rules need of their campaign."""
    query = (
        select(
            PlatformCampaign.id,
            PlatformCampaign.campaign_id,
            PlatformCampaign.platform,
            PlatformCampaign.is_active,
            PlatformCampaign.allocated_budget,
            Campaign.objective,
            Campaign.target_cpa,
            Campaign.target_roas,
            Campaign.autopilot,
            Campaign.daily_budget,
            Campaign.total_budget,
            Campaign.spent_budget,
            Campaign.end_date,
        )
        .join(Campaign, Campaign.id == PlatformCampaign.campaign_id)
        .where(Campaign.company_id == actor.company_id, Campaign.status == CampaignStatus.ACTIVE.value)
        .order_by(PlatformCampaign.id)
    )
    if campaign_ids is not None:
        query = query.where(Campaign.id.in_(list(campaign_ids)))
    rows = session.execute(query).all()
    columns = [
        "id",
        "campaign_id",
        "platform",
        "is_active",
        "allocated_budget",
        "objective",
        "target_cpa",
        "target_roas",
        "autopilot",
        "daily_budget",
        "total_budget",
        "spent_budget",
        "end_date",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    for column in (
        "allocated_budget",
        "target_cpa",
        "target_roas",
        "daily_budget",
        "total_budget",
        "spent_budget",
    ):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["is_active"] = frame["is_active"].astype(bool)
    frame["autopilot"] = frame["autopilot"].astype(bool)
    return frame


def _history(
    session: Session, actor: Actor, scope: pd.DataFrame, today: date, settings: OptimizerSettings
) -> Panel:
    last_day = today - timedelta(days=1)
    first_day = last_day - timedelta(days=settings.history_days - 1)
    campaign_ids = None if scope.empty else sorted(set(scope["campaign_id"].tolist()))
    frame = queries.daily_by_placement(
        session,
        actor,
        start=first_day,
        end=last_day,
        campaign_ids=campaign_ids if campaign_ids is not None and len(campaign_ids) <= 1000 else None,
        dates_as_datetime64=True,
    )
    frame = frame[frame["platform_campaign_id"].isin(scope["id"])]
    if frame.empty:
        return Panel(np.array([], dtype=np.int64), first_day, np.zeros((0, settings.history_days), bool), {})
    return build_panel(frame, end=last_day, days=settings.history_days)


# --- scores --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signals:
    uses_revenue: np.ndarray  # (P,)
    benchmark: np.ndarray  # (P,) outcome per dollar a placement is judged against
    reference: np.ndarray  # (P,) last 28 settled days' efficiency
    predicted: np.ndarray  # (P,) next week's efficiency
    score: np.ndarray  # (P,) NaN where nothing was spent
    spend_28: np.ndarray
    days_28: np.ndarray
    evidence: np.ndarray  # conversions seen, or expected at the campaign's rate for the spend
    declining: np.ndarray  # (P,) bool: a significant fall in efficiency
    campaign_scores: dict[int, float]

    def sufficient(self, settings: OptimizerSettings) -> np.ndarray:
        return (self.days_28 >= settings.min_days_of_data) & (self.evidence >= settings.min_conversions)


def _signals(
    session: Session, actor: Actor, panel: Panel, scope: pd.DataFrame, settings: OptimizerSettings
) -> Signals:
    uses_revenue = (scope["objective"].map(efficiency_metric) == "roas").to_numpy()
    outcome = objective_outcome(panel, uses_revenue)
    sums = WindowSums(panel, outcome)
    settled = panel.n_days - 1 - settings.conversion_lag_days
    spend_28 = sums.total("spend", settled, 28)
    outcome_28 = sums.total("outcome", settled, 28)
    conversions_28 = sums.total("conversions", settled, 28)
    campaign = scope["campaign_id"].to_numpy()
    objective = scope["objective"].to_numpy()

    # The benchmark: the campaign's target where set, else its peers' (same objective) efficiency.
    peer = (
        pd.DataFrame({"objective": objective, "outcome": outcome_28, "spend": spend_28})
        .groupby("objective")[["outcome", "spend"]]
        .transform("sum")
    )
    peer_rate = np.divide(peer["outcome"], peer["spend"], out=np.zeros(len(scope)), where=peer["spend"] > 0)
    fallback_rate = outcome_28.sum() / max(spend_28.sum(), 1e-9)
    prior_rate = np.where(peer_rate > 0, peer_rate, max(fallback_rate, 1e-6))
    target = np.where(
        uses_revenue,
        scope["target_roas"].to_numpy(),
        1.0 / scope["target_cpa"].where(scope["target_cpa"] > 0).to_numpy(),
    )
    has_target = np.isfinite(target) & (target > 0)
    # A placement is judged against its target, else against its own campaign (a weak platform
    # beside strong ones), else, alone in its campaign, against its peers.
    own = pd.DataFrame({"campaign": scope["campaign_id"], "outcome": outcome_28, "spend": spend_28})
    own_totals = own.groupby("campaign")[["outcome", "spend"]].transform("sum")
    siblings = own.assign(spent=spend_28 > 0).groupby("campaign")["spent"].transform("sum").to_numpy() >= 2
    own_rate = efficiency(own_totals["outcome"].to_numpy(), own_totals["spend"].to_numpy(), prior_rate)
    campaign_benchmark = np.where(has_target, target, prior_rate)
    benchmark = np.where(has_target, target, np.where(siblings, own_rate, prior_rate))

    features, reference = predictors.design_from_sums(
        sums, uses_revenue, np.full(len(scope), settled), prior_rate
    )
    model = latest_predictor(session, actor)
    ratio = np.ones(len(scope)) if model is None else model.predict(features)
    predicted = ratio * reference
    score = np.where(spend_28 > 0, predictors.score(predicted, benchmark), np.nan)

    campaign_frame = pd.DataFrame(
        {
            "campaign": campaign,
            "weighted": predicted * spend_28,
            "spend": spend_28,
            "bench": campaign_benchmark,
        }
    ).groupby("campaign")
    totals = campaign_frame[["weighted", "spend"]].sum()
    bench = campaign_frame["bench"].first()
    spent = totals["spend"] > 0
    campaign_scores = dict(
        zip(
            totals.index[spent].tolist(),
            predictors.score(
                (totals["weighted"][spent] / totals["spend"][spent]).to_numpy(), bench[spent].to_numpy()
            ).tolist(),
            strict=True,
        )
    )

    conversions_campaign = pd.Series(conversions_28).groupby(campaign).transform("sum").to_numpy()
    spend_campaign = pd.Series(spend_28).groupby(campaign).transform("sum").to_numpy()
    campaign_rate = np.divide(
        conversions_campaign, spend_campaign, out=np.zeros(len(scope)), where=spend_campaign > 0
    )
    evidence = np.maximum(conversions_28, spend_28 * campaign_rate)

    weeks = settings.trend_weeks
    ends = [settled - 7 * (weeks - 1 - w) for w in range(weeks)]
    weekly_outcome = np.stack(
        [sums.total("outcome", max(e, 0), 7) if e >= 0 else np.zeros(len(scope)) for e in ends], 1
    )
    weekly_spend = np.stack(
        [sums.total("spend", max(e, 0), 7) if e >= 0 else np.zeros(len(scope)) for e in ends], 1
    )
    trend = weekly_trend(weekly_outcome, weekly_spend, prior_rate)
    declining = (trend.p_value < settings.trend_p_value) & (
        trend.slope < np.log(1.0 - settings.trend_min_weekly_decline)
    )
    return Signals(
        uses_revenue=uses_revenue,
        benchmark=benchmark,
        reference=reference,
        predicted=predicted,
        score=score,
        spend_28=spend_28,
        days_28=sums.total("days", settled, 28),
        evidence=evidence,
        declining=declining,
        campaign_scores=campaign_scores,
    )


def latest_predictor(session: Session, actor: Actor) -> predictors.PerformancePredictor | None:
    """The company's newest trained predictor, or None (scores then use the documented fallback)."""
    row = session.scalar(
        select(PredictorModel)
        .where(PredictorModel.company_id == actor.company_id)
        .order_by(PredictorModel.version.desc())
        .limit(1)
    )
    # Only train_predictor writes this column, so unpickling it is as safe as loading our own code.
    return None if row is None else pickle.loads(row.model)


# --- anomalies -----------------------------------------------------------------------------------


def _open_alerts(
    session: Session, actor: Actor, panel: Panel, scope: pd.DataFrame, settings: OptimizerSettings
) -> int:
    values = np.stack([panel[m] for m in _ANOMALY_METRICS])
    fit = robust_residuals(values, panel.weekdays, 9)
    z = fit.z.copy()
    lag = settings.conversion_lag_days
    if lag:
        for metric in _LATE_METRICS:
            z[_ANOMALY_METRICS.index(metric), :, -lag:] = np.nan
    lookback = settings.anomaly_lookback_days
    recent = z[:, :, -lookback:]  # (M, P, L)
    rows = recent.transpose(1, 2, 0).reshape(-1, len(_ANOMALY_METRICS))
    seasonal = seasonal_score(recent.reshape(len(_ANOMALY_METRICS), -1))
    history_rows = z.transpose(1, 2, 0).reshape(-1, len(_ANOMALY_METRICS))
    history_rows = history_rows[np.isfinite(history_rows).any(axis=1)]
    forest = None
    if len(history_rows) >= 16:
        rng = np.random.default_rng(actor.company_id)
        sample = history_rows[
            rng.choice(len(history_rows), min(_FOREST_SAMPLE, len(history_rows)), replace=False)
        ]
        forest = AnomalyDetector(n_estimators=50).fit(sample).predict(rows)
    anomaly = combine(seasonal, forest).reshape(len(scope), lookback)
    placement, day = np.nonzero(anomaly >= settings.anomaly_alert_threshold)
    if len(placement) == 0:
        return 0
    dates = panel.dates[-lookback:]
    metric_index = np.nanargmax(np.nan_to_num(np.abs(recent[:, placement, day]), nan=-1.0), axis=0)
    existing = set(
        session.execute(
            select(Alert.platform_campaign_id, Alert.date, Alert.metric).where(
                Alert.company_id == actor.company_id, Alert.date >= dates[0]
            )
        ).all()
    )
    new_alerts = []
    for p, d, m in zip(placement.tolist(), day.tolist(), metric_index.tolist(), strict=True):
        metric = _ANOMALY_METRICS[m]
        placement_id = int(scope["id"].iat[p])
        if (placement_id, dates[d], metric) in existing:
            continue
        column = panel.n_days - lookback + d
        observed = float(values[m, p, column])
        expected = float(fit.expected[m, p, column])
        score = float(anomaly[p, d])
        new_alerts.append(
            {
                "company_id": actor.company_id,
                "campaign_id": int(scope["campaign_id"].iat[p]),
                "platform_campaign_id": placement_id,
                "date": dates[d],
                "severity": _severity(metric, observed, expected),
                "metric": metric,
                "observed": observed,
                "expected": expected,
                "anomaly_score": score,
                "message": _alert_message(
                    str(scope["platform"].iat[p]), metric, observed, expected, dates[d]
                ),
                "status": AlertStatus.OPEN.value,
                "created_at": utcnow(),
            }
        )
    if new_alerts:
        session.execute(Alert.__table__.insert(), new_alerts)
    return len(new_alerts)


def _severity(metric: str, observed: float, expected: float) -> str:
    """High: money going out or results vanishing at twice or half the usual; medium: any other metric
    that far off, or money at risk by less; low: the rest."""
    ratio = (observed + 1.0) / (expected + 1.0)
    large = ratio >= 2.0 or ratio <= 0.5
    money_at_risk = (metric == "spend" and ratio > 1) or (metric in _LATE_METRICS and ratio < 1)
    if money_at_risk:
        return Severity.HIGH.value if large else Severity.MEDIUM.value
    return Severity.MEDIUM.value if large else Severity.LOW.value


def _alert_message(platform: str, metric: str, observed: float, expected: float, day: date) -> str:
    shown = (lambda v: f"${v:,.2f}") if metric in ("spend", "revenue") else (lambda v: f"{v:,.1f}")
    direction = "above" if observed > expected else "below"
    return (
        f"{rules.platform_label(platform)}: {metric} on {day:%b %d} was {shown(observed)}, far {direction} "
        f"the expected {shown(expected)}."
    )


# --- curves and proposals ------------------------------------------------------------------------


def _curves(panel: Panel, uses_revenue: np.ndarray, settings: OptimizerSettings) -> ResponseCurves:
    parts, order = [], []
    for objective, mask in (("conversions", ~uses_revenue), ("revenue", uses_revenue)):
        rows = np.flatnonzero(mask)
        if len(rows):
            parts.append(
                fit_curves(
                    panel.take(rows), objective=objective, ignore_last_days=settings.conversion_lag_days
                )
            )
            order.append(rows)
    curves = ResponseCurves.concat(parts, objective="mixed")
    return curves.take(np.argsort(np.concatenate(order)))


def fit_company_curves(
    session: Session, actor: Actor, *, campaign_ids: Sequence[int] | None = None, today: date | None = None
) -> tuple[ResponseCurves, pd.DataFrame]:
    """The response curves of the company's active placements, as a pass fits them.

    Returns the curves and a frame (same row order) with each placement's id, campaign_id,
    platform, allocated_budget and objective: what the planner builds plans and what-ifs on.
    """
    today = today or date.today()
    settings = settings_for(session, actor)
    scope = _scope(session, actor, campaign_ids)
    panel = _history(session, actor, scope, today, settings)
    if not len(panel.ids):
        raise ValidationError({"history": "no active placement has daily metrics yet"})
    scope = scope.set_index("id").loc[panel.ids].reset_index()
    uses_revenue = (scope["objective"].map(efficiency_metric) == "roas").to_numpy()
    return _curves(panel, uses_revenue, settings), scope[
        ["id", "campaign_id", "platform", "allocated_budget", "objective"]
    ]


def _proposals(
    session: Session,
    actor: Actor,
    scope: pd.DataFrame,
    signals: Signals,
    curves: ResponseCurves,
    settings: OptimizerSettings,
    today: date,
) -> list[rules.Proposal]:
    cooling = _cooling_campaigns(session, actor, settings)
    refused = _recently_rejected(session, actor, settings)
    sufficient = signals.sufficient(settings)
    active = scope["is_active"].to_numpy()
    campaign = scope["campaign_id"].to_numpy()
    budget = scope["allocated_budget"].to_numpy()
    eligible = ~np.isin(campaign, list(cooling))
    proposals: dict[int, rules.Proposal] = {}

    # 1. Pause: a low score on enough evidence, and the posterior agrees it is below the bar.
    pause_ratio = (settings.pause_score_below / (1 - settings.pause_score_below)) ** 0.25
    candidates = np.flatnonzero(
        eligible & active & sufficient & (np.nan_to_num(signals.score, nan=1.0) < settings.pause_score_below)
    )
    if len(candidates):
        candidates = candidates[np.argsort(signals.score[candidates], kind="stable")]  # the worst first
        spend = np.maximum(curves.recent_spend[candidates], 0.01)
        draws = curves.take(candidates).sample(_DRAWS, seed=1).response(spend) / spend[:, None]
        below = (draws < (signals.benchmark[candidates] * pause_ratio)[:, None]).mean(axis=1)
        for i, confidence in zip(candidates.tolist(), below.tolist(), strict=True):
            if (int(campaign[i]), int(scope["id"].iat[i]), rules.PAUSE_PLACEMENT) in refused:
                continue
            proposal = _pause(scope, signals, curves, i, confidence)
            if proposal.expected_impact["per_day"] >= 0 or proposal.expected_impact["spend_per_day"] < 0:
                proposals.setdefault(proposal.campaign_id, proposal)

    # 2. Reallocate within each campaign where a better split is worth it.
    groups_rows = np.flatnonzero(eligible & active & ~np.isin(campaign, list(proposals)))
    multi = (
        pd.Series(campaign[groups_rows]).map(pd.Series(campaign[groups_rows]).value_counts()).to_numpy() >= 2
    )
    groups_rows = groups_rows[multi]
    if len(groups_rows):
        codes, group_ids = pd.factorize(campaign[groups_rows])
        totals = np.bincount(codes, weights=budget[groups_rows])
        group_curves = curves.take(groups_rows)
        solution = allocate_groups(
            group_curves,
            codes,
            totals,
            current=budget[groups_rows],
            max_change=settings.max_change,
            exploration_share=settings.exploration_share,
        )
        new_value = np.bincount(codes, weights=group_curves.expected(solution.budget))
        old_value = np.bincount(codes, weights=group_curves.expected(budget[groups_rows]))
        gain = np.divide(new_value - old_value, old_value, out=np.zeros(len(totals)), where=old_value > 0)
        declining_any = np.bincount(codes, weights=signals.declining[groups_rows].astype(float)) > 0
        evidence = np.bincount(codes, weights=signals.evidence[groups_rows])
        thin = np.bincount(
            codes, weights=(signals.days_28[groups_rows] < settings.min_days_of_data).astype(float)
        )
        bar = np.where(declining_any, settings.min_reallocation_gain / 2, settings.min_reallocation_gain)
        worth = np.flatnonzero(
            (gain >= bar) & (evidence >= settings.min_conversions) & (thin == 0) & (totals > 0)
        )
        if len(worth):
            draws = group_curves.sample(_DRAWS, seed=2)
            new_draws = draws.response(solution.budget)
            old_draws = draws.response(budget[groups_rows])
            better = np.zeros(len(totals))
            for s in range(_DRAWS):
                better += (
                    np.bincount(codes, weights=new_draws[:, s]) > np.bincount(codes, weights=old_draws[:, s])
                ).astype(float)
            better /= _DRAWS
            for g in worth.tolist():
                rows_g = groups_rows[codes == g]
                if (int(group_ids[g]), None, rules.REALLOCATE) in refused:
                    continue
                proposal = _reallocate(
                    scope,
                    signals,
                    rows_g,
                    solution.budget[codes == g],
                    float(gain[g]),
                    float(better[g]),
                    float(new_value[g] - old_value[g]),
                )
                if proposal is not None:
                    proposals[proposal.campaign_id] = proposal

    # 3. Raise the budget of a strong placement that is not saturated, if the flight can afford it.
    raise_ratio = (settings.raise_score_above / (1 - settings.raise_score_above)) ** 0.25
    candidates = np.flatnonzero(
        eligible
        & active
        & sufficient
        & (np.nan_to_num(signals.score, nan=0.0) > settings.raise_score_above)
        & ~np.isin(campaign, list(proposals))
        & (budget > 0)
    )
    if len(candidates):
        step = settings.raise_budget_step
        low, high = budget[candidates], budget[candidates] * (1 + step)
        sub = curves.take(candidates)
        draws = sub.sample(_DRAWS, seed=3)
        extra = (draws.response(high) - draws.response(low)) / (high - low)[:, None]
        confidence = (extra >= signals.benchmark[candidates][:, None] * min(raise_ratio, 1.0)).mean(axis=1)
        marginal = (sub.expected(high) - sub.expected(low)) / (high - low)
        for k, i in enumerate(candidates.tolist()):
            if int(campaign[i]) in proposals:
                continue
            if (int(campaign[i]), int(scope["id"].iat[i]), rules.RAISE_BUDGET) in refused:
                continue
            proposal = _raise(
                scope,
                signals,
                i,
                float(confidence[k]),
                float(marginal[k]),
                step,
                today,
                float(sub.expected(high)[k] - sub.expected(low)[k]),
            )
            if proposal is not None:
                proposals[proposal.campaign_id] = proposal
    return list(proposals.values())


def _pause(
    scope: pd.DataFrame, signals: Signals, curves: ResponseCurves, i: int, confidence: float
) -> rules.Proposal:
    campaign_id = int(scope["campaign_id"].iat[i])
    placement_id = int(scope["id"].iat[i])
    siblings = scope.index[(scope["campaign_id"] == campaign_id) & scope["is_active"] & (scope.index != i)]
    freed = to_money(scope["allocated_budget"].iat[i])
    after: dict[str, Any] = {"placements": {str(placement_id): {"is_active": False}}}
    before: dict[str, Any] = {"placements": {str(placement_id): {"is_active": True}}}
    if len(siblings):
        after["placements"][str(placement_id)]["allocated_budget"] = "0.00"
        before["placements"][str(placement_id)]["allocated_budget"] = str(freed)
        weights = [max(float(scope["allocated_budget"].iat[j]), 0.01) for j in siblings]
        shares = split_amount(freed, weights)
        for j, share in zip(siblings, shares, strict=True):
            current = to_money(scope["allocated_budget"].iat[j])
            after["placements"][str(int(scope["id"].iat[j]))] = {"allocated_budget": str(current + share)}
            before["placements"][str(int(scope["id"].iat[j]))] = {"allocated_budget": str(current)}
    uses_revenue = bool(signals.uses_revenue[i])
    spend = float(scope["allocated_budget"].iat[i])
    rows = np.array([i, *siblings])
    old = np.array([float(scope["allocated_budget"].iat[j]) for j in rows])
    new = np.array(
        [float(after["placements"][str(int(scope["id"].iat[j]))].get("allocated_budget", 0)) for j in rows]
    )
    sub = curves.take(rows)
    net = float(sub.expected(new).sum() - sub.expected(old).sum())
    return rules.Proposal(
        campaign_id=campaign_id,
        platform_campaign_id=placement_id,
        action=rules.PAUSE_PLACEMENT,
        after=normalized(after),
        before=normalized(before),
        reason=rules.pause_reason(
            str(scope["platform"].iat[i]),
            uses_revenue,
            float(signals.score[i]),
            float(signals.reference[i]),
            float(signals.benchmark[i]),
            float(signals.spend_28[i]),
        ),
        confidence=round(float(confidence), 4),
        expected_impact=_impact(uses_revenue, net, -spend if not len(siblings) else 0.0),
    )


def _reallocate(
    scope: pd.DataFrame,
    signals: Signals,
    rows: np.ndarray,
    budgets: np.ndarray,
    gain: float,
    confidence: float,
    gain_per_day: float,
) -> rules.Proposal | None:
    current = [to_money(scope["allocated_budget"].iat[i]) for i in rows]
    total = sum(current, Decimal("0.00"))
    amounts = cents(total, budgets)
    if max(abs(a - c) for a, c in zip(amounts, current, strict=True)) < Decimal("1.00"):
        return None
    ids = [str(int(scope["id"].iat[i])) for i in rows]
    uses_revenue = bool(signals.uses_revenue[rows[0]])
    moves = [
        (str(scope["platform"].iat[i]), float(c), float(a))
        for i, c, a in zip(rows, current, amounts, strict=True)
    ]
    declining = [str(scope["platform"].iat[i]) for i in rows if signals.declining[i]]
    return rules.Proposal(
        campaign_id=int(scope["campaign_id"].iat[rows[0]]),
        platform_campaign_id=None,
        action=rules.REALLOCATE,
        after=normalized(
            {"placements": {i: {"allocated_budget": a} for i, a in zip(ids, amounts, strict=True)}}
        ),
        before=normalized(
            {"placements": {i: {"allocated_budget": c} for i, c in zip(ids, current, strict=True)}}
        ),
        reason=rules.reallocate_reason(moves, gain, declining, "revenue" if uses_revenue else "conversions"),
        confidence=round(confidence, 4),
        expected_impact={**_impact(uses_revenue, gain_per_day, 0.0), "relative_change": round(gain, 4)},
    )


def _raise(
    scope: pd.DataFrame,
    signals: Signals,
    i: int,
    confidence: float,
    marginal: float,
    step: float,
    today: date,
    extra_outcome: float,
) -> rules.Proposal | None:
    current = to_money(scope["allocated_budget"].iat[i])
    extra = to_money(float(current) * step)
    daily = to_money(scope["daily_budget"].iat[i])
    end = scope["end_date"].iat[i]
    if end is not None and not pd.isna(end):
        days_left = (end - today).days + 1
        remaining = float(scope["total_budget"].iat[i]) - float(scope["spent_budget"].iat[i])
        if days_left <= 0 or float(daily + extra) * days_left > remaining:
            return None  # the flight's budget cannot carry it
    placement_id = str(int(scope["id"].iat[i]))
    uses_revenue = bool(signals.uses_revenue[i])
    return rules.Proposal(
        campaign_id=int(scope["campaign_id"].iat[i]),
        platform_campaign_id=int(placement_id),
        action=rules.RAISE_BUDGET,
        after=normalized(
            {
                "campaign": {"daily_budget": daily + extra},
                "placements": {placement_id: {"allocated_budget": current + extra}},
            }
        ),
        before=normalized(
            {"campaign": {"daily_budget": daily}, "placements": {placement_id: {"allocated_budget": current}}}
        ),
        reason=rules.raise_reason(
            str(scope["platform"].iat[i]),
            uses_revenue,
            float(signals.score[i]),
            marginal,
            float(signals.benchmark[i]),
            step,
        ),
        confidence=round(confidence, 4),
        expected_impact=_impact(uses_revenue, extra_outcome, float(extra)),
    )


def _impact(uses_revenue: bool, outcome_per_day: float, spend_per_day: float) -> dict[str, Any]:
    metric = "revenue" if uses_revenue else "conversions"
    return {
        "metric": metric,
        "per_day": round(outcome_per_day, 4),
        "per_week": round(outcome_per_day * 7, 4),
        "spend_per_day": round(spend_per_day, 2),
    }


def _cooling_campaigns(session: Session, actor: Actor, settings: OptimizerSettings) -> set[int]:
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


def _recently_rejected(session: Session, actor: Actor, settings: OptimizerSettings) -> set[tuple]:
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


# --- writing -------------------------------------------------------------------------------------


def _write_recommendations(
    session: Session,
    actor: Actor,
    scope: pd.DataFrame,
    proposals: list[rules.Proposal],
    settings: OptimizerSettings,
) -> tuple[list[Recommendation], int, int]:
    """Insert new proposals; keep an identical pending one; supersede the older pending rest."""
    campaign_ids = sorted(set(scope["campaign_id"].tolist()))
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
    in_scope = set(campaign_ids)
    existing = {
        (r.campaign_id, r.platform_campaign_id, r.action, _params_key(r.params)): r.id
        for r in pending
        if r.campaign_id in in_scope
    }
    keep: set[int] = set()
    now = utcnow()
    expires = now + timedelta(days=settings.recommendation_ttl_days)
    fresh = []
    for proposal in proposals:
        params = {"after": proposal.after, "before": proposal.before, **proposal.details}
        key = (proposal.campaign_id, proposal.platform_campaign_id, proposal.action, _params_key(params))
        if key in existing:
            keep.add(existing[key])
            continue
        fresh.append(
            Recommendation(
                company_id=actor.company_id,
                campaign_id=proposal.campaign_id,
                platform_campaign_id=proposal.platform_campaign_id,
                action=proposal.action,
                params=params,
                reason=proposal.reason,
                confidence=proposal.confidence,
                expected_impact=proposal.expected_impact,
                status=RecommendationStatus.PENDING.value,
                created_at=now,
                expires_at=expires,
            )
        )
    stale = [rid for key, rid in existing.items() if rid not in keep]
    for start in range(0, len(stale), 10_000):
        session.execute(
            update(Recommendation)
            .where(Recommendation.id.in_(stale[start : start + 10_000]))
            .values(status=RecommendationStatus.SUPERSEDED.value, decided_at=now, decided_by=actor.name)
            .execution_options(synchronize_session=False)
        )
    session.add_all(fresh)
    session.flush()
    return fresh, len(keep), len(stale)


def _params_key(params: dict[str, Any]) -> str:
    return repr(sorted((params or {}).get("after", {}).items()))


def _write_scores(
    session: Session, actor: Actor, scope: pd.DataFrame, signals: Signals, campaign_ids: Sequence[int] | None
) -> None:
    scored = np.isfinite(signals.score)
    rows = [
        {"b_id": int(i), "b_score": round(float(s), 4)}
        for i, s in zip(scope["id"].to_numpy()[scored], signals.score[scored], strict=True)
    ]
    if rows:
        session.execute(
            update(PlatformCampaign.__table__)
            .where(PlatformCampaign.__table__.c.id == bindparam("b_id"))
            .values(performance_score=bindparam("b_score")),
            rows,
        )
    campaign_rows = [
        {"b_id": int(c), "b_score": round(float(s), 4)} for c, s in signals.campaign_scores.items()
    ]
    if campaign_rows:
        session.execute(
            update(Campaign.__table__)
            .where(Campaign.__table__.c.id == bindparam("b_id"))
            .values(performance_score=bindparam("b_score")),
            campaign_rows,
        )
    _stamp_campaigns(session, actor, scope, campaign_ids)
    session.expire_all()


def _stamp_campaigns(
    session: Session, actor: Actor, scope: pd.DataFrame, campaign_ids: Sequence[int] | None
) -> None:
    """Every active campaign in scope was looked at now."""
    query = update(Campaign).where(
        Campaign.company_id == actor.company_id, Campaign.status == CampaignStatus.ACTIVE.value
    )
    if campaign_ids is not None:
        query = query.where(Campaign.id.in_(list(campaign_ids)))
    session.execute(query.values(last_optimization=utcnow()).execution_options(synchronize_session=False))


# --- predictor training --------------------------------------------------------------------------


def train_predictor(
    session: Session, actor: Actor, *, today: date | None = None, history_days: int = 182
) -> PredictorModel:
    """Train the company's predictor on its own history (time split), store it as a new version.

    The held-out evaluation (the last fifth of cut-offs, never seen in training) is stored with
    it beside the naive baseline's error. Refused with a message when there is too little history.
    """
    actor.require_write()
    today = today or date.today()
    settings = settings_for(session, actor)
    last_day = today - timedelta(days=1 + settings.conversion_lag_days)
    frame = queries.daily_by_placement(
        session,
        actor,
        start=last_day - timedelta(days=history_days - 1),
        end=last_day,
        dates_as_datetime64=True,
    )
    if frame.empty:
        raise ValidationError({"history": "no daily metrics to learn from yet"})
    panel = build_panel(frame, end=last_day, days=history_days)
    objectives = dict(
        session.execute(
            select(PlatformCampaign.id, Campaign.objective)
            .join(Campaign, Campaign.id == PlatformCampaign.campaign_id)
            .where(PlatformCampaign.company_id == actor.company_id)
        ).all()
    )
    uses_revenue = np.array(
        [efficiency_metric(objectives.get(int(i), "conversions")) == "roas" for i in panel.ids]
    )
    outcome = objective_outcome(panel, uses_revenue)
    pooled = np.where(
        uses_revenue,
        outcome[uses_revenue].sum() / max(panel.filled("spend")[uses_revenue].sum(), 1e-9),
        outcome[~uses_revenue].sum() / max(panel.filled("spend")[~uses_revenue].sum(), 1e-9),
    )
    features, target, weight, cutoff = predictors.training_set(
        panel, uses_revenue, pooled, last_end=panel.n_days - 1
    )
    evaluation = predictors.evaluate(features, target, weight, cutoff)
    model = predictors.PerformancePredictor().fit(features, target, weight)
    version = (
        session.scalar(
            select(func.max(PredictorModel.version)).where(PredictorModel.company_id == actor.company_id)
        )
        or 0
    ) + 1
    row = PredictorModel(
        company_id=actor.company_id,
        version=version,
        data_until=last_day,
        training_rows=len(features),
        evaluation=evaluation,
        model=pickle.dumps(model),
    )
    session.add(row)
    session.flush()
    return row


# --- forecasts and pacing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pacing:
    status: str  # "overspend", "underspend", "on_track" or "open_ended"
    amount: Decimal  # how much over or under the total budget at the end date
    date: date | None  # the day the total budget runs out (overspend) or the end date
    message: str


@dataclass(frozen=True)
class CampaignForecast:
    campaign_id: int
    frame: pd.DataFrame  # date, spend, spend_low, spend_high, conversions, …, revenue, …
    pacing: Pacing


def forecast_campaign(
    session: Session, actor: Actor, campaign_id: int, days: int = 14, *, today: date | None = None
) -> CampaignForecast:
    """The next `days` of spend, conversions and revenue (with 80% intervals) and a pacing verdict."""
    if not 1 <= days <= 90:
        raise ValidationError({"days": "must be between 1 and 90"})
    today = today or date.today()
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.company_id != actor.company_id:
        raise NotFound(f"No campaign #{campaign_id}.")
    settings = settings_for(session, actor)
    last_day = today - timedelta(days=1)
    history = queries.daily_by_placement(
        session, actor, start=last_day - timedelta(days=55), end=last_day, campaign_ids=[campaign_id]
    )
    calendar = pd.date_range(last_day - timedelta(days=55), last_day).date
    daily = history.groupby("date")[list(BASE_COLUMNS)].sum().reindex(calendar)
    if settings.conversion_lag_days:
        daily.iloc[-settings.conversion_lag_days :, daily.columns.get_indexer(list(_LATE_METRICS))] = np.nan
    weekdays = np.array([d.weekday() for d in calendar])
    future = [today + timedelta(days=i) for i in range(days)]
    future_weekdays = np.array([d.weekday() for d in future])
    active = campaign.status == CampaignStatus.ACTIVE
    frame = pd.DataFrame({"date": future})
    for metric in ("spend", "conversions", "revenue"):
        result = forecast_series(daily[metric].to_numpy(), weekdays, future_weekdays)
        for suffix, values in (("", result.mean), ("_low", result.low), ("_high", result.high)):
            frame[metric + suffix] = np.round(
                values if active else np.zeros(days), 4 if metric == "conversions" else 2
            )
    return CampaignForecast(campaign_id, frame, _pacing(campaign, frame, today))


def _pacing(campaign: Campaign, frame: pd.DataFrame, today: date) -> Pacing:
    daily_rate = float(frame["spend"].mean()) if len(frame) else 0.0
    spent = float(campaign.spent_budget)
    total = float(campaign.total_budget)
    if campaign.end_date is None:
        return Pacing(
            "open_ended", Decimal("0.00"), None, f"No end date: spending about ${daily_rate:,.2f} a day."
        )
    days_left = max((campaign.end_date - today).days + 1, 0)
    path = list(frame["spend"]) + [daily_rate] * max(days_left - len(frame), 0)
    cumulative = spent + np.cumsum(path[:days_left]) if days_left else np.array([spent])
    projected = float(cumulative[-1])
    difference = to_money(abs(projected - total))
    if projected > total * 1.02:
        crossing = int(np.argmax(cumulative > total))
        day = today + timedelta(days=crossing)
        return Pacing(
            "overspend",
            difference,
            day,
            f"At this rate the campaign runs out of budget on {day:%b %d} and would overspend by "
            f"${difference:,.2f} by its end date ({campaign.end_date:%b %d}).",
        )
    if projected < total * 0.9:
        return Pacing(
            "underspend",
            difference,
            campaign.end_date,
            f"At this rate ${difference:,.2f} of the budget is left unspent on {campaign.end_date:%b %d}.",
        )
    return Pacing(
        "on_track",
        difference,
        campaign.end_date,
        f"On track to spend its budget by {campaign.end_date:%b %d}.",
    )
