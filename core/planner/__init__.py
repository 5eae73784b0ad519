"""The planner (DESIGN.md §5, issue 7): forward budget plans, what-ifs, the budget frontier, backtests.

Public API (each takes `session, actor` first and only reads):
- make_plan(session, actor, PlanRequest) -> Plan: per placement and week, budget and expected
  conversions and revenue with P10/P50/P90 bands; locks, bounds, a weekly change cap, target mode.
- what_if(session, actor, WhatIfRequest) -> WhatIf: a budget vector beside the current run rate and
  the best split of the same money.
- frontier(session, actor, ...) -> Frontier: expected outcome against the daily total, with the
  marginal CPA or ROAS at each point.
- backtest(session, actor, BacktestRequest, progress=...) -> Backtest: a strategy replayed on the
  company's own history, refitted before each weekly decision.
The same on in-memory data: core.planner.model.build_inputs, then core.planner.plans / backtest.
Everything rests on the engine's response curves (core.optimizer.curves) and allocator.
"""

from core.planner.schemas import (
    Backtest,
    BacktestRequest,
    Frontier,
    Plan,
    PlanRequest,
    WhatIf,
    WhatIfRequest,
)
from core.planner.service import backtest, frontier, load_inputs, make_plan, what_if

__all__ = [
    "Backtest",
    "BacktestRequest",
    "Frontier",
    "Plan",
    "PlanRequest",
    "WhatIf",
    "WhatIfRequest",
    "backtest",
    "frontier",
    "load_inputs",
    "make_plan",
    "what_if",
]
