"""The planner: forward budget plans, what-ifs, the budget frontier and backtests (read-only)."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from api.deps import CurrentActor, SessionDep
from core import planner
from core.planner.schemas import (
    Amount,
    Backtest,
    BacktestRequest,
    CampaignId,
    Frontier,
    Objective,
    Plan,
    PlanRequest,
    WhatIf,
    WhatIfRequest,
)

router = APIRouter(tags=["planner"])


class FrontierQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign_id: CampaignId | None = None
    objective: Objective | None = None
    up_to: Amount | None = None  # the largest daily total shown (default: twice the run rate)


@router.post("/plans")
def create_plan(request: PlanRequest, session: SessionDep, actor: CurrentActor) -> Plan:
    """A plan for the next weeks: per placement and week, the budget and the expected conversions
    and revenue with P10/P50/P90 bands. Nothing is changed: apply it from the app or the campaigns API."""
    return planner.make_plan(session, actor, request)


@router.post("/plans/what-if")
def plan_what_if(request: WhatIfRequest, session: SessionDep, actor: CurrentActor) -> WhatIf:
    """What a daily budget per placement is expected to bring, beside the current run rate and the
    best split of the same money."""
    return planner.what_if(session, actor, request)


@router.get("/plans/frontier")
def plan_frontier(
    query: Annotated[FrontierQuery, Query()], session: SessionDep, actor: CurrentActor
) -> Frontier:
    """Expected weekly outcome of the best split against the daily total, with the marginal CPA or ROAS."""
    return planner.frontier(session, actor, **query.model_dump())


@router.post("/backtests")
def create_backtest(request: BacktestRequest, session: SessionDep, actor: CurrentActor) -> Backtest:
    """Replay a strategy over the last weeks of your history: what it would have changed and the
    estimated difference in results (a model estimate)."""
    return planner.backtest(session, actor, request)
