"""The impact ledger: what each applied recommendation measurably did, and how often they work.

Once an action's measurement window (the `impact_window_days` setting, from the day after it
was applied) has passed and its days are settled, the outcome of the placements it changed (the
campaign's objective: revenue where it sells, conversions elsewhere) is measured twice over the
window:

- against their own forecast made from the 8 weeks before the action (core.optimizer.trends):
  effect = what happened − what was forecast, with the forecast's 80% interval;
- against comparable placements that no action touched from four weeks before to the end of
  the window (same objective, with spend before), difference-in-differences on ratios: had the
  changed placements moved like the others, they would have made their own pre-action daily rate
  times the others' growth; effect = what happened − that. Its 80% interval comes from
  resampling days (a seeded bootstrap).

An action is a hit when its measured effect (the difference-in-differences one when there were
comparable placements) has the promised direction: a gain when a gain was expected, no worse
than the accepted loss when one was (a pause that saves spend). The hit rate per action type
tempers the confidence of new recommendations of that type: confidence × (hits + 4) / (measured + 4),
so a few misses lower it a little and a record of misses lowers it a lot; never above the model's own.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.companies import service as companies
from core.metrics import queries
from core.optimizer.panel import build_panel
from core.optimizer.settings import for_company
from core.optimizer.trends import forecast_series
from db.models import ActionImpact, OptimizationLog, Recommendation

PRE_DAYS = 28
FORECAST_HISTORY_DAYS = 56
PRIOR_MEASUREMENTS = 4.0  # pseudo-hits behind every action type's hit rate
_BOOTSTRAP = 400
_LOOKBACK_DAYS = 120  # actions older than this are not measured any more


@dataclass(frozen=True)
class Effect:
    value: float  # over the window, in the metric's units
    low: float  # 80% interval
    high: float


def did_effect(
    pre_treated: np.ndarray,
    post_treated: np.ndarray,
    pre_control: np.ndarray,
    post_control: np.ndarray,
    *,
    seed: int = 0,
) -> Effect | None:
    """Difference-in-differences on ratios over the post window (daily arrays; pre days aligned,
    post days aligned). None when the controls had nothing before."""
    pre_treated, post_treated = np.asarray(pre_treated, float), np.asarray(post_treated, float)
    pre_control, post_control = np.asarray(pre_control, float), np.asarray(post_control, float)
    if pre_control.sum() <= 0:
        return None
    value = _did(pre_treated, post_treated, pre_control, post_control)
    rng = np.random.default_rng(seed)
    pre_days = rng.integers(0, len(pre_treated), (_BOOTSTRAP, len(pre_treated)))
    post_days = rng.integers(0, len(post_treated), (_BOOTSTRAP, len(post_treated)))
    draws = np.array(
        [
            _did(pre_treated[p], post_treated[q], pre_control[p], post_control[q])
            for p, q in zip(pre_days, post_days, strict=True)
            if pre_control[p].sum() > 0
        ]
    )
    low, high = np.quantile(draws, [0.1, 0.9]) if len(draws) else (value, value)
    return Effect(value, float(low), float(high))


def _did(pre_treated, post_treated, pre_control, post_control) -> float:
    growth = post_control.mean() / pre_control.mean()
    return float(post_treated.sum() - len(post_treated) * pre_treated.mean() * growth)


def forecast_effect(
    history: np.ndarray, history_weekdays: np.ndarray, post: np.ndarray, post_weekdays
) -> Effect:
    """What happened over the window minus the forecast made from `history` (daily), with the
    forecast's 80% interval (daily errors taken as independent)."""
    forecast = forecast_series(
        np.asarray(history, float), np.asarray(history_weekdays), np.asarray(post_weekdays)
    )
    value = float(np.sum(post) - forecast.mean.sum())
    half_width = float(np.sqrt(np.sum(((forecast.high - forecast.low) / 2) ** 2)))
    return Effect(value, value - half_width, value + half_width)


def is_hit(effect: float, expected: float | None) -> bool:
    """The promised direction: a gain when one was expected, no worse than an accepted loss."""
    if expected is None or expected >= 0:
        return effect >= 0
    return effect >= expected


def temper_confidence(confidence: float, hits: int, measured: int) -> float:
    """The model's confidence times the action type's (shrunk) hit rate: never above the model's own."""
    return round(confidence * (hits + PRIOR_MEASUREMENTS) / (measured + PRIOR_MEASUREMENTS), 4)


def hit_rates(session: Session, actor: Actor) -> dict[str, tuple[int, int]]:
    """Per action type: (hits, measured) in the company's ledger."""
    rows = session.execute(
        select(ActionImpact.action, func.count(), func.sum(case((ActionImpact.hit, 1), else_=0)))
        .where(ActionImpact.company_id == actor.company_id)
        .group_by(ActionImpact.action)
    ).all()
    return {action: (int(hits or 0), int(measured)) for action, measured, hits in rows}


def measure_impacts(session: Session, actor: Actor, *, today: date | None = None) -> dict[str, int]:
    """Measure every applied recommendation whose window has passed and that has no entry yet."""
    today = today or date.today()
    settings = for_company(companies.get(session, actor).settings)
    window = settings.impact_window_days
    last_settled = today - timedelta(days=1 + settings.conversion_lag_days)
    # The window starts the day after the action; it is over when its last day is settled.
    latest = datetime.combine(last_settled - timedelta(days=window), time.max, UTC)
    earliest = datetime.combine(today - timedelta(days=_LOOKBACK_DAYS), time.min, UTC)
    mine = OptimizationLog.company_id == actor.company_id
    in_range = mine & (OptimizationLog.performed_at >= earliest - timedelta(days=PRE_DAYS + window))
    all_actions = session.execute(
        select(OptimizationLog.performed_at, OptimizationLog.after_state).where(
            in_range, OptimizationLog.success
        )
    ).all()
    due = session.scalars(
        select(OptimizationLog)
        .where(
            mine,
            OptimizationLog.success.is_(True),
            OptimizationLog.recommendation_id.is_not(None),
            OptimizationLog.undo_of_id.is_(None),
            OptimizationLog.undone_at.is_(None),
            OptimizationLog.performed_at.between(earliest, latest),
            OptimizationLog.id.not_in(
                select(ActionImpact.optimization_log_id).where(ActionImpact.company_id == actor.company_id)
            ),
        )
        .order_by(OptimizationLog.id)
    ).all()
    if not due:
        return {"measured": 0, "skipped": 0}
    first = min(log.performed_at.date() for log in due) - timedelta(days=FORECAST_HISTORY_DAYS)
    frame = queries.daily_bulk(session, actor, start=first, end=last_settled)
    if frame.empty:
        return {"measured": 0, "skipped": len(due)}
    panel = build_panel(frame, end=last_settled, days=(last_settled - first).days + 1)
    metric_of = np.where(queries.placements_use_revenue(session, actor, panel.ids), "revenue", "conversions")
    promised = dict(
        session.execute(
            select(Recommendation.id, Recommendation.expected_impact).where(
                Recommendation.company_id == actor.company_id,
                Recommendation.id.in_([log.recommendation_id for log in due]),
            )
        ).all()
    )
    row_of = {int(pid): k for k, pid in enumerate(panel.ids)}
    measured = skipped = 0
    for log in due:
        impact = _measure(
            log, panel, row_of, metric_of, all_actions, window, promised.get(log.recommendation_id)
        )
        if impact is None:
            skipped += 1
            continue
        session.add(impact)
        measured += 1
    session.flush()
    return {"measured": measured, "skipped": skipped}


def _measure(log, panel, row_of, metric_of, all_actions, window, promised) -> ActionImpact | None:
    treated = [row_of[int(p)] for p in (log.after_state or {}).get("placements", {}) if int(p) in row_of]
    if not treated:
        return None
    metric = str(metric_of[treated[0]])
    acted = (log.performed_at.date() - panel.first_day).days
    start, end = acted + 1, acted + 1 + window
    if acted - PRE_DAYS < 0 or end > panel.n_days:
        return None
    outcome = panel.filled(metric)
    treated_series = outcome[treated].sum(axis=0)
    pre, post = slice(acted - PRE_DAYS, acted), slice(start, end)
    history = slice(max(acted - FORECAST_HISTORY_DAYS, 0), acted)
    weekdays = panel.weekdays
    own = forecast_effect(treated_series[history], weekdays[history], treated_series[post], weekdays[post])

    touched = set()
    low, high = log.performed_at - timedelta(days=PRE_DAYS), log.performed_at + timedelta(days=window + 1)
    for performed_at, after_state in all_actions:
        if low <= performed_at <= high:
            touched.update(int(p) for p in (after_state or {}).get("placements", {}))
    spend = panel.filled("spend")
    controls = [
        k
        for pid, k in row_of.items()
        if pid not in touched and k not in treated and metric_of[k] == metric and spend[k, pre].sum() > 0
    ]
    control_series = outcome[controls].sum(axis=0) if controls else np.zeros(panel.n_days)
    versus = did_effect(
        treated_series[pre], treated_series[post], control_series[pre], control_series[post], seed=log.id
    )
    expected = None
    if promised and promised.get("per_day") is not None:
        expected = round(float(promised["per_day"]) * window, 4)
    effect = versus.value if versus is not None else own.value
    return ActionImpact(
        company_id=log.company_id,
        optimization_log_id=log.id,
        recommendation_id=log.recommendation_id,
        action=log.action,
        metric=metric,
        window_start=panel.first_day + timedelta(days=start),
        window_days=window,
        expected_effect=expected,
        forecast_effect=round(own.value, 4),
        forecast_low=round(own.low, 4),
        forecast_high=round(own.high, 4),
        did_effect=None if versus is None else round(versus.value, 4),
        did_low=None if versus is None else round(versus.low, 4),
        did_high=None if versus is None else round(versus.high, 4),
        controls=len(controls) if versus is not None else 0,
        hit=is_hit(effect, expected),
    )
