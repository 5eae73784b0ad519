"""The optimization engine (DESIGN.md §5): scores, anomalies, trends, response curves, allocation.

Stable public entry points:
- allocate_budget(history, total_budget, **constraints) -> AllocationPlan
- detect_anomalies(frame, time_column, value_columns) -> frame with anomaly_score, is_anomaly
- ResponseCurveModel / ResponseCurves: the fitted curves the allocator and the planner share.
The use cases over the database: a pass (core.optimizer.service), training (training), forecasts
(forecasting), the impact ledger (impacts), company settings (settings).
"""

from core.optimizer.allocator import AllocationPlan, BudgetAllocator, allocate_budget
from core.optimizer.anomalies import AnomalyDetector, detect_anomalies
from core.optimizer.curves import CurveSamples, ResponseCurveModel, ResponseCurves
from core.optimizer.predictor import PerformancePredictor

__all__ = [
    "AllocationPlan",
    "AnomalyDetector",
    "BudgetAllocator",
    "CurveSamples",
    "PerformancePredictor",
    "ResponseCurveModel",
    "ResponseCurves",
    "allocate_budget",
    "detect_anomalies",
]
