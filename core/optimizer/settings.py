"""The optimizer's thresholds: defaults here, in one place; each company may override them.

A company overrides any of them in `Company.settings["optimizer"]`, e.g.
`{"optimizer": {"mode": "autopilot", "pause_score_below": 0.2}}`. Unknown keys or out-of-range
values are refused with a message naming the setting.
"""

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from core.actor import Actor
from core.companies import service as companies
from core.errors import ValidationError
from core.validation import parse

COMPANY_SETTINGS_KEY = "optimizer"


class OptimizerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # approval: the engine only proposes; autopilot: it also applies what clears the confidence bar
    # (for campaigns whose autopilot switch is on).
    mode: Literal["approval", "autopilot"] = "approval"
    autopilot_confidence: float = Field(default=0.8, ge=0, le=1)

    # How much history a pass reads, and how many recent days still miss late conversions
    # (platforms report conversions for a day over the next days; those days are not judged yet).
    history_days: int = Field(default=42, ge=14, le=400)
    conversion_lag_days: int = Field(default=2, ge=0, le=14)

    # Data sufficiency: no recommendation on a placement with fewer days of spend or less
    # evidence (conversions seen, or expected at the campaign's own rate for what it spent).
    min_days_of_data: int = Field(default=14, ge=1)
    min_conversions: float = Field(default=10.0, ge=0)

    # Performance score bars (see core.optimizer.predictor for what a score means).
    pause_score_below: float = Field(default=0.2, ge=0, le=1)
    raise_score_above: float = Field(default=0.8, ge=0, le=1)
    raise_budget_step: float = Field(default=0.2, gt=0, le=1)

    # Budget allocation guardrails.
    max_change: float = Field(default=0.3, gt=0, le=1)
    exploration_share: float = Field(default=0.05, ge=0, le=0.5)
    min_reallocation_gain: float = Field(default=0.03, ge=0)

    # Trend test: a decline counts when it is significant and at least this steep per week.
    trend_weeks: int = Field(default=5, ge=3, le=26)
    trend_p_value: float = Field(default=0.05, gt=0, lt=1)
    trend_min_weekly_decline: float = Field(default=0.05, ge=0, lt=1)

    # No new recommendation on a campaign changed within this many days (one day lets a daily pass
    # keep stepping towards a better split, ±max_change a step; bench/allocation.py shows why), and
    # advice someone rejected is not repeated for rejection_memory_days.
    cooldown_days: int = Field(default=1, ge=0)
    rejection_memory_days: int = Field(default=7, ge=0)
    recommendation_ttl_days: int = Field(default=3, ge=1)

    # An applied recommendation's effect is measured over this many days after it (the impact
    # ledger, core.optimizer.impacts); the measured hit rate tempers new recommendations' confidence.
    impact_window_days: int = Field(default=14, ge=7, le=90)

    anomaly_alert_threshold: float = Field(default=0.8, gt=0, le=1)
    anomaly_lookback_days: int = Field(default=3, ge=1, le=28)


DEFAULTS = OptimizerSettings()


def for_company(company_settings: Mapping[str, Any] | None) -> OptimizerSettings:
    """The defaults overlaid with the company's own `optimizer` settings."""
    overrides = (company_settings or {}).get(COMPANY_SETTINGS_KEY) or {}
    if not isinstance(overrides, Mapping):
        raise ValidationError({COMPANY_SETTINGS_KEY: "must be a mapping of setting names to values"})
    return parse(OptimizerSettings, {**DEFAULTS.model_dump(), **overrides})


def settings_for(session: Session, actor: Actor) -> OptimizerSettings:
    """The company's optimizer settings (defaults overlaid with its own)."""
    return for_company(companies.get(session, actor).settings)


def set_mode(session: Session, actor: Actor, mode: str) -> OptimizerSettings:
    """Approval (the engine only proposes) or autopilot (it also applies, on the campaigns whose
    switch is on, what clears the confidence bar). A company-wide choice: admins only."""
    actor.require_admin()
    company = companies.get(session, actor)
    overrides = dict(company.settings.get(COMPANY_SETTINGS_KEY) or {})
    settings = for_company({COMPANY_SETTINGS_KEY: {**overrides, "mode": mode}})
    companies.update_settings(session, actor, {COMPANY_SETTINGS_KEY: {**overrides, "mode": settings.mode}})
    return settings
