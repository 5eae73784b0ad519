"""Reports: one campaign over a period, performance by platform or campaign, and CSV downloads."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import CurrentActor, Id, SessionDep, Today
from api.schemas import (
    CampaignReport,
    ExportedReport,
    ExportQuery,
    PerformanceQuery,
    PerformanceReport,
    PeriodQuery,
    frame_rows,
)
from core.analytics import export
from core.analytics import service as analytics
from core.metrics.reporting import MetricTotals

router = APIRouter(prefix="/reports", tags=["reports"])

# The export's tables by the name a caller asks for (core.analytics.export names them for people).
EXPORT_SHEETS: dict[ExportedReport, str] = {
    "daily": "Daily",
    "campaigns": "Campaigns",
    "platforms": "Platforms",
    "placements": "Placements",
    "daily_by_placement": "Daily by placement",
}


@router.get("/campaign/{campaign_id}")
def campaign_report(
    campaign_id: Id,
    query: Annotated[PeriodQuery, Query()],
    session: SessionDep,
    actor: CurrentActor,
    today: Today,
) -> CampaignReport:
    """The campaign's totals, placements and days in the period (the last 30 days by default)."""
    period = query.resolve(today)
    drilldown = analytics.campaign_drilldown(session, actor, campaign_id, start=period.start, end=period.end)
    return CampaignReport.of(drilldown, period)


@router.get("/performance")
def performance_report(
    query: Annotated[PerformanceQuery, Query()], session: SessionDep, actor: CurrentActor, today: Today
) -> PerformanceReport:
    """Totals per platform (with shares and CPA/ROAS against the blend) or per campaign (with profit
    and ROI, best first) over the period."""
    period = query.resolve(today)
    if query.by == "platform":
        frame = analytics.platform_comparison(session, actor, start=period.start, end=period.end)
    else:
        frame = analytics.roi_by_campaign(session, actor, start=period.start, end=period.end)
    return PerformanceReport.model_validate(
        {"period": period, "by": query.by, "totals": MetricTotals.of_frame(frame), "rows": frame_rows(frame)},
        from_attributes=True,
    )


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The report as a CSV file."}},
)
def export_report(
    query: Annotated[ExportQuery, Query()], session: SessionDep, actor: CurrentActor, today: Today
) -> Response:
    """One report of the period as CSV: daily, campaigns, platforms, placements or daily_by_placement."""
    period = query.resolve(today)
    sheet = EXPORT_SHEETS[query.report]
    table = export.report(session, actor, start=period.start, end=period.end, only=[sheet])[sheet]
    filename = f"adflow-{query.report}-{period.start}-{period.end}.csv"
    return Response(
        export.to_csv(table),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
