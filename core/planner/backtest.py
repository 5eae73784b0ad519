"""Backtests: replay a budget strategy over a past window of a company's own history.

One decision a week. Before each decision day the curves are refitted on the days before it
only (the newest `lag_days` left out, as a live pass would), and the strategy sets each
placement's daily budget for the week:

- "keep": the budgets of the week before the window, held throughout;
- "allocator": each campaign's actual spend that week, split by the engine's allocator
  (core.optimizer.allocator.allocate_groups) within its guardrails, starting from the budgets of
  the week before the window;
- "rules": the engine's decision rules (pause, reallocate, raise) run on the history before the
  day, from the budgets of the week before the window; what they propose is applied at once
  (`propose`, given by the caller, answers the new budgets).

What the strategy would have brought cannot be observed, only estimated: the same model
predicts the week at the budgets that were actually spent and at the strategy's, with the same
posterior draws, so their difference is a like-for-like estimate with a band. The actual
outcome is shown beside the prediction for what happened, which says how far the model can be
trusted on this history.
"""

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.errors import ValidationError
from core.optimizer.allocator import allocate_groups
from core.optimizer.panel import Panel
from core.planner.model import band, build_inputs
from core.planner.schemas import Backtest, BacktestWeek, Band

Progress = Callable[[float, str], None]
# (history before the decision day, current daily budgets, the day) -> the rules' new budgets
Propose = Callable[[Panel, np.ndarray, date], np.ndarray]
CAVEAT = (
    "A model estimate, not a measurement: what the strategy would have earned is predicted by the "
    "response curves fitted on the data before each decision, not observed."
)
_MIN_DAYS_BEFORE = 14


def run_backtest(
    panel: Panel,
    placements: pd.DataFrame,
    *,
    strategy: str,
    weeks: int,
    objective: str,
    lag_days: int = 0,
    max_change: float | None = 0.3,
    exploration_share: float = 0.05,
    progress: Progress | None = None,
    propose: Propose | None = None,
) -> Backtest:
    """Replay `strategy` over the last `weeks` settled weeks of `panel` (see the module docstring)."""
    report = progress or (lambda _fraction, _message: None)
    end = panel.n_days - lag_days
    start = end - 7 * weeks
    if start < _MIN_DAYS_BEFORE:
        raise ValidationError(
            {"weeks": f"a {weeks}-week backtest needs {_MIN_DAYS_BEFORE} days of history before it; "
             f"there are {max(start, 0)}"}
        )  # fmt: skip
    spend = panel.filled("spend")
    outcome = panel.filled(objective)
    campaign = pd.factorize(placements["campaign_id"].to_numpy())[0]
    kept = spend[:, start - 7 : start].mean(axis=1)
    previous = kept
    result, all_actual, all_chosen = [], [], []
    for week in range(weeks):
        report(week / weeks, f"Week {week + 1} of {weeks}: refitting on the data before it")
        day = start + 7 * week
        history = _before(panel, day)
        inputs = build_inputs(history, placements, lag_days=lag_days)
        model = inputs.models[objective]
        actual = spend[:, day : day + 7].mean(axis=1)
        if strategy == "keep":
            chosen = kept
        elif strategy == "rules":
            if propose is None:
                raise ValidationError(
                    {"strategy": "the rule set needs the company's settings: use the service"}
                )
            chosen = propose(history, previous, panel.first_day + timedelta(days=day))
        else:
            totals = np.bincount(campaign, weights=actual)
            chosen = allocate_groups(
                model.scaled_curves(0),
                campaign,
                totals,
                current=previous,
                max_change=max_change,
                exploration_share=exploration_share,
            ).budget
        draws_actual = model.draws(actual[:, None], seed=41 + week).sum(axis=(0, 1))
        draws_chosen = model.draws(chosen[:, None], seed=41 + week).sum(axis=(0, 1))
        result.append(
            BacktestWeek(
                decision_day=panel.first_day + timedelta(days=day),
                actual_spend=round(7 * float(actual.sum()), 2),
                strategy_spend=round(7 * float(chosen.sum()), 2),
                actual_outcome=round(float(outcome[:, day : day + 7].sum()), 4),
                predicted_actual=_band(draws_actual),
                predicted_strategy=_band(draws_chosen),
                difference=_band(draws_chosen - draws_actual),
                changes=_changes(placements, actual, chosen),
            )
        )
        all_actual.append(draws_actual)
        all_chosen.append(draws_chosen)
        previous = chosen
    report(1.0, "Done")
    predicted_actual = np.sum(all_actual, axis=0)
    predicted_chosen = np.sum(all_chosen, axis=0)
    return Backtest(
        strategy=strategy,
        objective=objective,
        weeks=result,
        actual_spend=round(sum(w.actual_spend for w in result), 2),
        strategy_spend=round(sum(w.strategy_spend for w in result), 2),
        actual_outcome=round(sum(w.actual_outcome for w in result), 4),
        predicted_actual=_band(predicted_actual),
        difference=_band(predicted_chosen - predicted_actual),
        caveat=CAVEAT,
    )


def _before(panel: Panel, day: int) -> Panel:
    """The panel of the days before column `day`."""
    return Panel(
        panel.ids, panel.first_day, panel.observed[:, :day], {k: v[:, :day] for k, v in panel.metrics.items()}
    )


def _band(draws: np.ndarray) -> Band:
    p10, p50, p90 = band(draws)
    return Band(
        expected=round(float(draws.mean()), 4), p10=round(p10, 4), p50=round(p50, 4), p90=round(p90, 4)
    )


def _changes(placements: pd.DataFrame, actual: np.ndarray, chosen: np.ndarray) -> list[str]:
    """The placements whose daily budget the strategy would have set differently, in words."""
    moved = np.abs(chosen - actual) > np.maximum(0.05 * actual, 1.0)
    return [
        f"placement {int(placements['id'].iat[k])} ({placements['platform'].iat[k]}): "
        f"${actual[k]:,.2f} → ${chosen[k]:,.2f} a day"
        for k in np.flatnonzero(moved)
    ]
