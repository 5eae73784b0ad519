"""The planner's use cases over the database: plans, what-ifs, the frontier and backtests.

All of them only read (a viewer may use them): they load the company's (or one campaign's)
active placements and daily history once, fit the planner's inputs, and answer.
"""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import numpy as np
from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import ValidationError
from core.listing import owned_one
from core.optimizer import service as optimizer
from core.optimizer.history import company_history
from core.optimizer.settings import settings_for
from core.planner import plans
from core.planner.backtest import run_backtest
from core.planner.model import PlannerInputs, build_inputs
from core.planner.schemas import (
    Backtest,
    BacktestRequest,
    Frontier,
    Objective,
    Plan,
    PlanRequest,
    WhatIf,
    WhatIfRequest,
)
from core.validation import parse
from db.models import Campaign

# Twelve weeks show a placement's spend range, trend and weekly deviations; the curves weigh
# recent weeks more (core.optimizer.curves), so older days add evidence without steering.
HISTORY_DAYS = 84


def load_inputs(
    session: Session, actor: Actor, *, campaign_id: int | None = None, today: date | None = None
) -> PlannerInputs:
    """The planner's inputs for the company's active placements (or one campaign's)."""
    panel, scope = _history(session, actor, campaign_id, today, HISTORY_DAYS)
    lag_days = settings_for(session, actor).conversion_lag_days
    return build_inputs(panel, scope, lag_days=lag_days)


def make_plan(session: Session, actor: Actor, request: PlanRequest | dict) -> Plan:
    """A forward plan (core.planner.plans.plan) for the company or one campaign."""
    request = parse(PlanRequest, request)
    inputs = load_inputs(session, actor, campaign_id=request.campaign_id, today=request.today)
    return plans.plan(inputs, request)


def what_if(session: Session, actor: Actor, request: WhatIfRequest | dict) -> WhatIf:
    """A budget vector's expected outcome beside the current run rate and the best split."""
    request = parse(WhatIfRequest, request)
    inputs = load_inputs(session, actor, campaign_id=request.campaign_id, today=request.today)
    return plans.what_if(inputs, request)


def frontier(
    session: Session,
    actor: Actor,
    *,
    campaign_id: int | None = None,
    objective: Objective | None = None,
    up_to: Decimal | float | None = None,
    today: date | None = None,
) -> Frontier:
    """Expected outcome of the best split against the daily total, with the marginal CPA or ROAS."""
    inputs = load_inputs(session, actor, campaign_id=campaign_id, today=today)
    return plans.frontier(inputs, objective, up_to=float(up_to) if up_to is not None else None)


def backtest(
    session: Session,
    actor: Actor,
    request: BacktestRequest | dict,
    *,
    progress: Callable[[float, str], None] | None = None,
) -> Backtest:
    """Replay a strategy over the last weeks of the company's history (core.planner.backtest)."""
    request = parse(BacktestRequest, request)
    settings = settings_for(session, actor)
    days = HISTORY_DAYS + 7 * request.weeks + settings.conversion_lag_days
    panel, scope = _history(session, actor, request.campaign_id, request.today, days)
    return run_backtest(
        panel,
        scope,
        strategy=request.strategy,
        weeks=request.weeks,
        objective=plans.choose_objective(scope, request.objective),
        lag_days=settings.conversion_lag_days,
        max_change=request.max_change if request.max_change is not None else settings.max_change,
        exploration_share=settings.exploration_share,
        progress=progress,
        propose=lambda history, budgets, day: _apply_rules(session, actor, history, budgets, day),
    )


def _apply_rules(session: Session, actor: Actor, history, budgets: np.ndarray, day: date) -> np.ndarray:
    """The daily budgets after applying what the rules propose on `history` (a backtest's week)."""
    position = {int(pid): k for k, pid in enumerate(history.ids)}
    chosen = np.asarray(budgets, dtype=float).copy()
    for proposal in optimizer.replay_proposals(session, actor, history, budgets=chosen, today=day):
        for placement_id, state in proposal.after.get("placements", {}).items():
            k = position.get(int(placement_id))
            if k is None:
                continue
            if state.get("is_active") is False:
                chosen[k] = 0.0
            elif "allocated_budget" in state:
                chosen[k] = float(state["allocated_budget"])
    return chosen


def _history(session: Session, actor: Actor, campaign_id: int | None, today: date | None, days: int):
    if campaign_id is not None:
        owned_one(session, actor, Campaign, campaign_id, "campaign")
    panel, scope = company_history(
        session,
        actor,
        campaign_ids=None if campaign_id is None else [campaign_id],
        today=today or date.today(),
        days=days,
    )
    # A paused placement is not planned for: it spends nothing until someone resumes it.
    active = scope["is_active"].to_numpy(bool)
    rows = active.nonzero()[0]
    if not len(rows):
        raise ValidationError({"placements": "no active placement in scope"})
    return panel.take(rows), scope.iloc[rows].reset_index(drop=True)
