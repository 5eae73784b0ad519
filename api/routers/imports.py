"""Importing platform exports (Google Ads, Meta Ads Manager, any CSV with a column mapping)."""

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from api.deps import SessionDep, Today, WriterActor
from api.schemas import ImportSummary
from core.errors import ValidationError
from core.imports import service as csv_import
from db.enums import Platform

router = APIRouter(prefix="/imports", tags=["imports"])


@router.post("")
def import_csv(
    file: Annotated[UploadFile, File(description="the CSV export")],
    session: SessionDep,
    actor: WriterActor,
    today: Today,
    dry_run: Annotated[bool, Form(description="check the file and say what it would do")] = False,
    platform: Annotated[Platform | None, Form(description="for files without a platform column")] = None,
    mapping: Annotated[
        str | None, Form(description='JSON object: file column -> field, e.g. {"Cost": "spend"}')
    ] = None,
    date_format: Annotated[str | None, Form(max_length=32, description="e.g. %d/%m/%Y")] = None,
) -> ImportSummary:
    """All or nothing: a file with bad rows is a 422 listing each row (`details.rows`)."""
    options = {"platform": platform, "mapping": _mapping(mapping), "date_format": date_format or None}
    if dry_run:
        preview = csv_import.preview(session, actor, file.file, options, today=today)
        preview.raise_for_errors()
        return _summary(preview, dry_run=True)
    result = csv_import.import_file(session, actor, file.file, options, today=today)
    return _summary(
        result.preview,
        dry_run=False,
        campaigns_created=result.campaigns_created,
        placements_created=result.placements_created,
        days_written=result.days_written,
    )


def _mapping(text: str | None) -> dict:
    if not text:
        return {}
    try:
        mapping = json.loads(text)
    except ValueError:
        raise ValidationError({"mapping": "must be a JSON object of file column -> field"}) from None
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": "must be a JSON object of file column -> field"})
    return mapping


def _summary(preview: csv_import.ImportPreview, *, dry_run: bool, **done: int) -> ImportSummary:
    return ImportSummary(
        dry_run=dry_run,
        format=preview.format,
        rows=preview.rows,
        skipped_rows=preview.skipped_rows,
        campaign_days=preview.campaign_days,
        first_day=preview.first_day,
        last_day=preview.last_day,
        campaigns=len(preview.campaigns),
        new_campaigns=preview.new_campaigns,
        campaigns_created=done.get("campaigns_created", 0),
        placements_created=done.get("placements_created", 0),
        days_written=done.get("days_written", 0),
        totals=preview.totals,
        notes=preview.notes,
    )
