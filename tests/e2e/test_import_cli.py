"""`python -m cli import-csv` as an operator runs it: dry run, import, refusal."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.companies import service as companies
from core.database import upgrade_schema
from db import Database
from db.models import Campaign, MetricsHistory
from tests.e2e.test_cli import cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
PLAIN = str(FIXTURES / "plain_us_dates.csv")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'import.sqlite3'}"
    database = Database(url)
    upgrade_schema(database)
    with database.session_scope() as session:
        companies.create(session, "Demo Co")
    database.dispose()
    return url


def counts(url: str) -> tuple[int, int]:
    database = Database(url)
    with database.session_scope() as session:
        found = (
            session.scalar(select(func.count(Campaign.id))),
            session.scalar(select(func.count(MetricsHistory.id))),
        )
    database.dispose()
    return found


def test_dry_run_then_import_of_a_google_ads_report(database_url: str) -> None:
    report = str(FIXTURES / "google_ads_campaign_report.csv")

    dry = cli("import-csv", report, "--company", "Demo Co", "--dry-run", DATABASE_URL=database_url)

    assert dry.returncode == 0, dry.stderr
    assert "Google Ads report (utf-16, tab-separated" in dry.stdout
    assert "new campaigns (3)" in dry.stdout and "nothing was imported" in dry.stdout
    assert counts(database_url) == (0, 0)

    done = cli("import-csv", report, "--company", "Demo Co", DATABASE_URL=database_url)

    assert done.returncode == 0, done.stderr
    assert "Imported 21 campaign-days; created 3 campaign(s)" in done.stdout
    assert counts(database_url) == (3, 21)


def test_a_mapped_file_with_a_bad_row_is_refused_line_by_line(database_url: str, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(
        "Datum;Kampagne;Impr;Klicks;Kosten\n01.10.2026;Herbst;100;5;1,50\n02.10.2026;Herbst;100;x;2,00\n"
    )
    mapping = [
        "--map",
        "Datum=date",
        "--map",
        "Kampagne=campaign",
        "--map",
        "Klicks=clicks",
        "--map",
        "Kosten=spend",
    ]

    done = cli(
        "import-csv",
        str(export),
        "--company",
        "Demo Co",
        "--platform",
        "tiktok",
        *mapping,
        DATABASE_URL=database_url,
    )

    assert done.returncode == 2
    assert "line 3: Klicks='x': is not a number" in done.stderr
    assert "Traceback" not in done.stderr
    assert counts(database_url) == (0, 0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["missing.csv", "--company", "Demo Co"], "cannot read missing.csv"),
        ([PLAIN, "--company", "Nobody"], "No company named 'Nobody'"),
        ([PLAIN, "--company", "Demo Co", "--map", "oops"], "COLUMN=FIELD"),
        ([PLAIN, "--company", "Demo Co", "--map", "date=when"], "mapping.date"),
    ],
)
def test_bad_arguments_are_refused_without_a_traceback(
    database_url: str, arguments: list[str], message: str
) -> None:
    done = cli("import-csv", *arguments, DATABASE_URL=database_url)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
