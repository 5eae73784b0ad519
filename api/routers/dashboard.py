"""The dashboard: KPI tiles, and the overview with trend, platforms, open alerts and budget pacing."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import CurrentActor, ReadSessionDep, SessionDep, Today
from api.schemas import Dashboard, DashboardSummary, PeriodQuery, frame_rows
from core.dashboard import service as dashboard

router = APIRouter(prefix="/dashboard", tags=["dashboard"])

OPEN_ALERTS_SHOWN = 10


@router.get("")
def overview(
    query: Annotated[PeriodQuery, Query()], session: SessionDep, actor: CurrentActor, today: Today
) -> Dashboard:
    """KPIs, the daily trend overall and per platform, platform performance, open alerts, pacing."""
    period = query.resolve(today)
    result = dashboard.overview(session, actor, start=period.start, end=period.end)
    return Dashboard.model_validate(
        {
            "summary": DashboardSummary.of(result.summary),
            "trend": frame_rows(result.daily),
            "trend_by_platform": frame_rows(result.daily_by_platform),
            "platforms": frame_rows(result.platforms),
            "open_alerts": dashboard.open_alerts(session, actor, page_size=OPEN_ALERTS_SHOWN),
            "pacing": dashboard.budget_pacing(session, actor, as_of=today),
        },
        from_attributes=True,
    )


@router.get("/summary")
async def summary(
    request: Request,
    query: Annotated[PeriodQuery, Query()],
    session: ReadSessionDep,
    actor: CurrentActor,
    today: Today,
) -> DashboardSummary:
    """Spend, revenue, conversions, CPA and ROAS for the period (the last 30 days by default),
    each with its change against the period of equal length before. Up to a few seconds old
    (ADFLOW_API_SUMMARY_CACHE_SECONDS): dashboards poll it, and it sums every day of the period."""
    period = query.resolve(today)
    summaries, key = request.app.state.summaries, (actor.company_id, period)
    # A summary still kept is answered here, on the event loop; summing the days takes a thread.
    return summaries.peek(key) or await run_in_threadpool(
        summaries.get,
        key,
        lambda: DashboardSummary.of(dashboard.summary(session, actor, start=period.start, end=period.end)),
    )
