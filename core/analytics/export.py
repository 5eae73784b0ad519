"""Reports to take away: the date range as tables with readable headers, as CSV or as an Excel workbook."""

import io
from collections.abc import Iterable
from datetime import date

import pandas as pd
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from core.actor import Actor
from core.metrics.definitions import BASE_COLUMNS, RATIOS
from core.metrics.queries import rollup
from core.metrics.reporting import DateRange, with_platform_labels

HEADERS = {
    "date": "Date",
    "campaign_id": "Campaign ID",
    "campaign_name": "Campaign",
    "platform_label": "Platform",
    "impressions": "Impressions",
    "clicks": "Clicks",
    "conversions": "Conversions",
    "spend": "Spend",
    "revenue": "Revenue",
    "ctr": "CTR",
    "cpc": "CPC",
    "cvr": "CVR",
    "cpa": "CPA",
    "roas": "ROAS",
}
MONEY_HEADERS = frozenset({"Spend", "Revenue", "CPC", "CPA"})
SHARE_HEADERS = frozenset({"CTR", "CVR"})
SHEETS = {
    "Daily": ("day",),
    "Campaigns": ("campaign",),
    "Platforms": ("platform",),
    "Placements": ("placement",),
    "Daily by placement": ("day", "placement"),
}


def report(
    session: Session, actor: Actor, *, start: date, end: date, only: Iterable[str] | None = None
) -> dict[str, pd.DataFrame]:
    """[start, end] summed by day, campaign, platform, placement, and placement per day (or only
    the sheets named in `only`)."""
    period = DateRange(start, end)
    wanted = SHEETS if only is None else {name: SHEETS[name] for name in only}
    sheets = {}
    for name, by in wanted.items():
        frame = rollup(session, actor, by=by, start=period.start, end=period.end)
        if "platform" in frame.columns:
            frame = with_platform_labels(frame)
        keys = [c for c in HEADERS if c in frame.columns and c not in BASE_COLUMNS and c not in RATIOS]
        sheets[name] = frame[keys + list(BASE_COLUMNS) + list(RATIOS)].rename(columns=HEADERS)
    return sheets


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV; undefined ratios are empty cells."""
    return frame.to_csv(index=False, float_format="%.6g").encode()


def to_excel(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx workbook, one sheet per table, money and shares formatted as such."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
            worksheet = writer.sheets[name[:31]]
            for position, header in enumerate(frame.columns, start=1):
                letter = get_column_letter(position)
                worksheet.column_dimensions[letter].width = max(12, len(str(header)) + 4)
                number_format = (
                    "#,##0.00"
                    if header in MONEY_HEADERS
                    else "0.00%"
                    if header in SHARE_HEADERS
                    else "0.00"
                    if header == "ROAS"
                    else None
                )
                if number_format:
                    for cell in worksheet[letter][1:]:
                        cell.number_format = number_format
            worksheet.freeze_panes = "A2"
    return buffer.getvalue()
