"""Anomaly alerts of a pass: the recent days of every placement scored (core.optimizer.anomalies), new
alerts stored once per placement, day and metric, and one notification for the high-severity ones."""

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.metrics.definitions import BASE_COLUMNS, LATE_METRICS
from core.notifications import service as notifications
from core.optimizer import rules
from core.optimizer.anomalies import AnomalyDetector, combine, robust_residuals, seasonal_score
from core.optimizer.panel import Panel
from core.optimizer.settings import OptimizerSettings
from db.enums import AlertStatus, NotificationKind, Severity
from db.models import Alert
from db.types import utcnow

_ANOMALY_METRICS = BASE_COLUMNS  # impressions, clicks, conversions, spend, revenue

_FOREST_SAMPLE = 20_000

_ANOMALY_WINDOW_DAYS = 28

_BUDGET_TOLERANCE = 0.1  # platforms pace a day's spend to within about 10% of its budget


def open_alerts(
    session: Session, actor: Actor, panel: Panel, scope: pd.DataFrame, settings: OptimizerSettings
) -> list[dict]:
    # Four weeks give every weekday four days to learn its rhythm from; older days add little.
    values = np.stack([panel[m][:, -_ANOMALY_WINDOW_DAYS:] for m in _ANOMALY_METRICS])
    fit = robust_residuals(values, panel.weekdays[-_ANOMALY_WINDOW_DAYS:], 9)
    z = fit.z.copy()
    lag = settings.conversion_lag_days
    if lag:
        for metric in LATE_METRICS:
            z[_ANOMALY_METRICS.index(metric), :, -lag:] = np.nan
    lookback = settings.anomaly_lookback_days
    # Spending what the placement is budgeted for is no anomaly, however new the budget (the
    # optimizer's own moves included): spend counts only where it strays from the daily budget.
    spend = _ANOMALY_METRICS.index("spend")
    budget = scope["allocated_budget"].to_numpy()[:, None]
    on_budget = np.abs(values[spend, :, -lookback:] - budget) <= _BUDGET_TOLERANCE * budget
    z[spend, :, -lookback:] = np.where(on_budget, np.nan, z[spend, :, -lookback:])
    recent = z[:, :, -lookback:]  # (M, P, L)
    rows = recent.transpose(1, 2, 0).reshape(-1, len(_ANOMALY_METRICS))
    seasonal = seasonal_score(recent.reshape(len(_ANOMALY_METRICS), -1))
    history_rows = z.transpose(1, 2, 0).reshape(-1, len(_ANOMALY_METRICS))
    history_rows = history_rows[np.isfinite(history_rows).any(axis=1)]
    forest = None
    if len(history_rows) >= 16:
        rng = np.random.default_rng(0)  # the same sample for the same data, whatever the ids
        sample = history_rows[
            rng.choice(len(history_rows), min(_FOREST_SAMPLE, len(history_rows)), replace=False)
        ]
        forest = AnomalyDetector(n_estimators=50).fit(sample).predict(rows)
    anomaly = combine(seasonal, forest).reshape(len(scope), lookback)
    placement, day = np.nonzero(anomaly >= settings.anomaly_alert_threshold)
    if len(placement) == 0:
        return []
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
        column = values.shape[-1] - lookback + d
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
    return new_alerts


_ALERT_DETAILS = ("campaign_id", "platform_campaign_id", "date", "metric", "observed", "expected", "severity")


def notify_alerts(session: Session, actor: Actor, new_alerts: list[dict]) -> None:
    """One message per pass for the new high-severity alerts, to the company's channels."""
    high = [alert for alert in new_alerts if alert["severity"] == Severity.HIGH.value]
    if not high:
        return
    notifications.notify(
        session,
        actor,
        kind=NotificationKind.ALERT,
        subject=f"{len(high)} high-severity alert{'s' if len(high) > 1 else ''} need a look",
        body="\n".join(alert["message"] for alert in high),
        details={"alerts": [{k: alert[k] for k in _ALERT_DETAILS} for alert in high]},
    )


def _severity(metric: str, observed: float, expected: float) -> str:
    """High: money going out or results vanishing at twice or half the usual; medium: any other metric
    that far off, or money at risk by less; low: the rest."""
    ratio = (observed + 1.0) / (expected + 1.0)
    large = ratio >= 2.0 or ratio <= 0.5
    money_at_risk = (metric == "spend" and ratio > 1) or (metric in LATE_METRICS and ratio < 1)
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
