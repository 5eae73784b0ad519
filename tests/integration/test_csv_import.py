"""CSV import on both databases: real export files, every kind of bad row, all or nothing."""

import codecs
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.campaigns import service as campaigns
from core.errors import PermissionDenied, ValidationError
from core.imports import service as csv_import
from core.platforms.registry import Connectors
from db.enums import DataSource, Objective
from db.models import Campaign, MetricsHistory, PlatformCampaign
from tests.conftest import TODAY, Tenant

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


def fixture(name: str) -> io.BytesIO:
    return io.BytesIO((FIXTURES / name).read_bytes())


def stored(session: Session, tenant: Tenant) -> list[tuple]:
    """Every stored day of the company, as comparable tuples."""
    return [
        tuple(row)
        for row in session.execute(
            select(
                Campaign.name,
                PlatformCampaign.platform,
                MetricsHistory.date,
                MetricsHistory.impressions,
                MetricsHistory.clicks,
                MetricsHistory.conversions,
                MetricsHistory.spend,
                MetricsHistory.revenue,
            )
            .join(PlatformCampaign, PlatformCampaign.id == MetricsHistory.platform_campaign_id)
            .join(Campaign, Campaign.id == PlatformCampaign.campaign_id)
            .where(Campaign.company_id == tenant.company.id)
            .order_by(Campaign.name, PlatformCampaign.platform, MetricsHistory.date)
        )
    ]


def totals(session: Session, tenant: Tenant) -> dict[str, float]:
    sums = session.execute(
        select(
            func.sum(MetricsHistory.impressions),
            func.sum(MetricsHistory.clicks),
            func.sum(MetricsHistory.conversions),
            func.sum(MetricsHistory.spend),
            func.sum(MetricsHistory.revenue),
        )
        .join(PlatformCampaign, PlatformCampaign.id == MetricsHistory.platform_campaign_id)
        .where(PlatformCampaign.company_id == tenant.company.id)
    ).one()
    names = ("impressions", "clicks", "conversions", "spend", "revenue")
    return {name: float(value or 0) for name, value in zip(names, sums, strict=True)}


def google_totals_row() -> dict[str, float]:
    """The "Total: Account" line the Google Ads export carries, read independently of the importer."""
    text = (FIXTURES / "google_ads_campaign_report.csv").read_bytes().decode("utf-16")
    line = next(line for line in text.splitlines() if line.startswith("Total: Account"))
    cells = [cell.replace(",", "") for cell in line.split("\t")]
    return {
        "impressions": float(cells[5]),
        "clicks": float(cells[6]),
        "spend": float(cells[9]),
        "conversions": float(cells[10]),
        "revenue": float(cells[11]),
    }


def test_google_ads_report_utf16_tab_with_title_and_total_lines(session: Session, tenant: Tenant) -> None:
    preview = csv_import.preview(
        session, tenant.marketer, fixture("google_ads_campaign_report.csv"), today=TODAY
    )

    assert preview.ok, preview.errors
    assert (preview.format, preview.encoding, preview.delimiter) == ("google_ads", "utf-16", "tab")
    assert preview.header_line == 3 and preview.date_format == "%Y-%m-%d"
    assert preview.columns["impressions"] == "Impr." and preview.columns["revenue"] == "Conv. value"
    assert preview.currency == "USD" and preview.number_format == "1,234.56"
    assert preview.rows == 21 and preview.skipped_rows == 3 and preview.summed_rows == 0
    assert preview.new_campaigns == ["Brand Search", "Display Remarketing", "Generic — Running Shoes"]
    assert (preview.first_day, preview.last_day) == (date(2026, 10, 1), date(2026, 10, 7))
    assert session.scalar(select(func.count(Campaign.id))) == 0  # a preview writes nothing

    result = csv_import.import_file(
        session, tenant.marketer, fixture("google_ads_campaign_report.csv"), today=TODAY
    )

    assert result.campaigns_created == 3 and result.days_written == 21
    expected = google_totals_row()
    got = totals(session, tenant)
    for name in ("impressions", "clicks", "conversions"):
        assert got[name] == pytest.approx(expected[name])
    assert abs(got["spend"] - expected["spend"]) <= 0.005 * 21
    assert abs(got["revenue"] - expected["revenue"]) <= 0.005 * 21
    campaign = session.scalar(select(Campaign).where(Campaign.name == "Brand Search"))
    assert campaign.company_id == tenant.company.id and campaign.objective == Objective.SALES
    placement = campaign.platform_campaigns[0]
    assert (placement.platform, placement.data_source) == ("google_ads", DataSource.IMPORT)
    assert placement.platform_metrics["currency"] == "USD"
    assert float(campaign.spent_budget) == pytest.approx(
        sum(float(row[6]) for row in stored(session, tenant) if row[0] == "Brand Search")
    )


def test_meta_export_at_ad_set_level_is_summed_to_campaign_and_day(session: Session, tenant: Tenant) -> None:
    preview = csv_import.preview(session, tenant.marketer, fixture("meta_adset_eur.csv"), today=TODAY)

    assert preview.ok, preview.errors
    assert (preview.format, preview.encoding, preview.delimiter) == ("meta", "utf-8-sig", "comma")
    assert preview.level == "ad set" and preview.currency == "EUR"
    assert preview.columns["clicks"] == "Link clicks" and preview.columns["spend"] == "Amount spent (EUR)"
    assert preview.columns["conversions"] == "Purchases"
    assert preview.rows == 25 and preview.campaign_days == 10 and preview.summed_rows == 15
    assert [(p.name, p.platform.value, p.rows) for p in preview.campaigns] == [
        ("Herbst Sale, DACH", "facebook", 15),
        ("Prospecting EU", "facebook", 10),
    ]

    csv_import.import_file(session, tenant.marketer, fixture("meta_adset_eur.csv"), today=TODAY)

    assert len(stored(session, tenant)) == 10
    assert totals(session, tenant)["spend"] == pytest.approx(preview.totals["spend"], abs=0.05)
    assert totals(session, tenant)["impressions"] == preview.totals["impressions"]


def test_a_mapping_reads_any_csv_semicolons_decimal_commas_day_first(
    session: Session, tenant: Tenant
) -> None:
    options = {
        "platform": "google_ads",
        "mapping": {
            "Datum": "date",
            "Kampagne": "campaign",
            "Impressionen": "impressions",
            "Klicks": "clicks",
            "Kosten": "spend",
            "Umsatz": "revenue",
        },
    }
    with pytest.raises(ValidationError) as refused:
        csv_import.preview(
            session, tenant.marketer, fixture("kampagnen_export_de.csv"), {"platform": "google_ads"}
        )
    assert "file" in refused.value.errors

    result = csv_import.import_file(
        session, tenant.marketer, fixture("kampagnen_export_de.csv"), options, today=TODAY
    )

    preview = result.preview
    assert (preview.delimiter, preview.date_format, preview.number_format) == (
        "semicolon",
        "%d.%m.%Y",
        "1.234,56",
    )
    first = stored(session, tenant)[0]
    assert first[:5] == ("Herbst Sale", "google_ads", date(2026, 10, 1), 71966, 36)
    assert first[6] == Decimal("53.88")


def test_us_dates_and_a_platform_column(session: Session, tenant: Tenant) -> None:
    result = csv_import.import_file(session, tenant.marketer, fixture("plain_us_dates.csv"), today=TODAY)

    assert result.preview.date_format == "%m/%d/%Y"
    assert result.campaigns_created == 2 and result.placements_created == 3
    lead_gen = session.scalar(select(Campaign).where(Campaign.name == "Lead Gen Q4"))
    assert [p.platform for p in lead_gen.platform_campaigns] == ["linkedin", "twitter"]
    assert sum(p.allocated_budget for p in lead_gen.platform_campaigns) == lead_gen.daily_budget
    assert lead_gen.objective == Objective.CONVERSIONS  # the file has no revenue


PLAIN = (
    "date,campaign,impressions,clicks,conversions,spend,revenue\n"
    "2026-10-01,Évora Promo,1000,50,2,25.50,80.00\n"
    "2026-10-02,Évora Promo,1200,61,3,30.25,99.90\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_each_encoding_and_delimiter(session: Session, tenant: Tenant, encoding: str, delimiter: str) -> None:
    text = PLAIN.replace(",", delimiter)
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data

    csv_import.import_file(session, tenant.marketer, io.BytesIO(data), {"platform": "tiktok"}, today=TODAY)

    assert stored(session, tenant) == [
        (
            "Évora Promo",
            "tiktok",
            date(2026, 10, 1),
            1000,
            50,
            Decimal("2.0000"),
            Decimal("25.50"),
            Decimal("80.00"),
        ),
        (
            "Évora Promo",
            "tiktok",
            date(2026, 10, 2),
            1200,
            61,
            Decimal("3.0000"),
            Decimal("30.25"),
            Decimal("99.90"),
        ),
    ]


def test_currency_symbols_thousands_and_dashes_are_read(session: Session, tenant: Tenant) -> None:
    data = (
        b"Day,Campaign,Impressions,Clicks,Cost,Conversions,Conv. value\n"
        b'2026-10-01,Symbols,"12,345",1 234,"$1,234.50",--,"US$ 2,000.00"\n'
        b"2026-10-02,Symbols,0,0,$0.00,0,--\n"
    )

    csv_import.import_file(session, tenant.marketer, io.BytesIO(data), today=TODAY)

    rows = stored(session, tenant)
    assert rows[0][3:] == (12345, 1234, Decimal("0.0000"), Decimal("1234.50"), Decimal("2000.00"))
    assert rows[1][3:] == (0, 0, Decimal("0.0000"), Decimal("0.00"), Decimal("0.00"))


def test_ambiguous_dates_ask_for_a_date_format(session: Session, tenant: Tenant) -> None:
    data = b"date,campaign,impressions,clicks,spend\n03/04/2026,Spring,100,5,10\n04/05/2026,Spring,100,5,10\n"

    with pytest.raises(ValidationError) as refused:
        csv_import.preview(session, tenant.marketer, io.BytesIO(data), {"platform": "facebook"})
    assert "date_format" in refused.value.errors

    result = csv_import.import_file(
        session, tenant.marketer, io.BytesIO(data), {"platform": "facebook", "date_format": "%d/%m/%Y"}
    )
    assert (result.preview.first_day, result.preview.last_day) == (date(2026, 4, 3), date(2026, 5, 4))


BAD_ROWS = (
    "Day,Campaign,Impressions,Clicks,Cost,Conversions,Conv. value\n"
    "2026-10-01,Good,100,5,10.00,1,20.00\n"
    "2026-13-45,Bad date,100,5,10.00,1,20.00\n"
    "2026-10-02,,100,5,10.00,1,20.00\n"
    "2026-10-03,Negative,100,5,-3.00,1,20.00\n"
    "2026-10-04,Text,100,many,10.00,1,20.00\n"
    "2026-10-05,Fraction,100.5,5,10.00,1,20.00\n"
    "2026-10-06,Short,100\n"
    "2036-10-07,Future,100,5,10.00,1,20.00\n"
    "2026-10-08,Good,100,5,10.00,1,20.00\n"
)


def test_every_bad_row_is_named_and_nothing_is_imported(session: Session, tenant: Tenant) -> None:
    with pytest.raises(ValidationError) as refused:
        csv_import.import_file(session, tenant.marketer, io.BytesIO(BAD_ROWS.encode()), today=TODAY)

    problems = sorted(
        (row["line"], row["column"], row["value"], row["message"]) for row in refused.value.rows
    )
    assert problems == [
        (3, "Day", "2026-13-45", "is not a date in this file's form (2026-10-31)"),
        (4, "Campaign", "", "the campaign name is missing"),
        (5, "Cost", "-3.00", "must not be negative"),
        (6, "Clicks", "many", "is not a number as this file writes them (1,234.56)"),
        (7, "Impressions", "100.5", "must be a whole number"),
        (8, "", "3 fields", "has 3 fields; the header has 7"),
        (9, "Day", "2036-10-07", "is in the future"),
    ]
    assert session.scalar(select(func.count(Campaign.id))) == 0
    preview = csv_import.preview(session, tenant.marketer, io.BytesIO(BAD_ROWS.encode()), today=TODAY)
    assert preview.error_count == 7 and not preview.ok


def test_missing_required_columns_are_named(session: Session, tenant: Tenant) -> None:
    data = b"Day,Campaign,Impressions,Clicks\n2026-10-01,A,100,5\n"
    with pytest.raises(ValidationError) as refused:
        csv_import.preview(session, tenant.marketer, io.BytesIO(data), {"platform": "tiktok"})
    assert "spend" in refused.value.errors["columns"]


def test_a_meta_range_that_is_not_one_day_is_refused(session: Session, tenant: Tenant) -> None:
    data = (
        b"Reporting starts,Reporting ends,Campaign name,Impressions,Link clicks,Amount spent (USD)\n"
        b"2026-10-01,2026-10-31,Monthly,1000,10,50.00\n"
    )
    preview = csv_import.preview(session, tenant.marketer, io.BytesIO(data), today=TODAY)
    assert preview.errors[0]["column"] == "Reporting ends"
    assert "daily breakdown" in preview.errors[0]["message"]


def test_legitimate_oddities_are_accepted(session: Session, tenant: Tenant) -> None:
    data = (
        b"Day,Campaign,Impressions,Clicks,Cost,Conversions,Conv. value\n"
        b"2026-10-01,Odd,100,2,0.00,5,90.00\n"  # view-through conversions above clicks, no spend
        b"2026-10-03,Odd,0,0,0.00,0,0.00\n"  # a day with nothing, after a day missing altogether
    )
    result = csv_import.import_file(session, tenant.marketer, io.BytesIO(data), today=TODAY)
    assert result.days_written == 2


def test_a_file_with_a_header_and_nothing_else_imports_nothing(session: Session, tenant: Tenant) -> None:
    data = b"Day,Campaign,Impressions,Clicks,Cost\nTotal: Account,--,0,0,0.00\n\n"
    result = csv_import.import_file(session, tenant.marketer, io.BytesIO(data), today=TODAY)
    assert (result.days_written, result.campaigns_created, result.preview.first_day) == (0, 0, None)
    assert result.preview.skipped_rows == 2


def test_reimporting_the_same_file_changes_nothing(session: Session, tenant: Tenant) -> None:
    csv_import.import_file(session, tenant.marketer, fixture("meta_adset_eur.csv"), today=TODAY)
    before = stored(session, tenant)
    counts = (
        session.scalar(select(func.count(Campaign.id))),
        session.scalar(select(func.count(PlatformCampaign.id))),
    )

    again = csv_import.import_file(session, tenant.marketer, fixture("meta_adset_eur.csv"), today=TODAY)

    assert again.campaigns_created == 0 and again.placements_created == 0
    assert stored(session, tenant) == before
    assert (
        session.scalar(select(func.count(Campaign.id))),
        session.scalar(select(func.count(PlatformCampaign.id))),
    ) == counts


def test_an_overlapping_file_replaces_the_overlapping_days(session: Session, tenant: Tenant) -> None:
    header = "date,campaign,impressions,clicks,spend\n"
    first = header + "".join(f"2026-10-0{d},Overlap,100,10,10.00\n" for d in range(1, 6))
    second = header + "".join(f"2026-10-0{d},Overlap,200,20,20.00\n" for d in range(4, 9))
    for text in (first, second):
        csv_import.import_file(
            session, tenant.marketer, io.BytesIO(text.encode()), {"platform": "linkedin"}, today=TODAY
        )

    days = {row[2].day: row[3] for row in stored(session, tenant)}
    assert days == {1: 100, 2: 100, 3: 100, 4: 200, 5: 200, 6: 200, 7: 200, 8: 200}
    campaign = session.scalar(select(Campaign).where(Campaign.name == "Overlap"))
    assert campaign.impressions == 1300


def test_a_bad_last_row_leaves_the_database_untouched(session: Session, tenant: Tenant) -> None:
    csv_import.import_file(session, tenant.marketer, fixture("plain_us_dates.csv"), today=TODAY)
    before = stored(session, tenant)
    rows = [f"2026-10-{d:02d},Fresh Campaign,1000,10,5.00" for d in range(1, 29)]
    rows.append("2026-10-29,Fresh Campaign,1000,10,five")
    data = ("date,campaign,impressions,clicks,spend\n" + "\n".join(rows) + "\n").encode()

    with pytest.raises(ValidationError) as refused:
        csv_import.import_file(
            session, tenant.marketer, io.BytesIO(data), {"platform": "tiktok"}, today=TODAY
        )

    assert [row["line"] for row in refused.value.rows] == [30]
    assert stored(session, tenant) == before
    assert session.scalar(select(Campaign).where(Campaign.name == "Fresh Campaign")) is None


def test_campaigns_are_matched_within_the_company_only(
    session: Session, tenant: Tenant, other_tenant: Tenant, connectors: Connectors
) -> None:
    mine = campaigns.create(
        session,
        tenant.marketer,
        {"name": "Lead Gen Q4", "total_budget": "5000", "daily_budget": "50", "start_date": "2026-09-01"},
        connectors=connectors,
        data_source=DataSource.IMPORT,
    )
    csv_import.import_file(session, other_tenant.marketer, fixture("plain_us_dates.csv"), today=TODAY)

    result = csv_import.import_file(session, tenant.marketer, fixture("plain_us_dates.csv"), today=TODAY)

    assert result.campaigns_created == 1  # "Creator Push"; "Lead Gen Q4" already exists here
    session.refresh(mine)
    assert sorted(p.platform for p in mine.platform_campaigns) == ["linkedin", "twitter"]
    assert all(p.company_id == tenant.company.id for p in mine.platform_campaigns)
    theirs = session.scalars(select(Campaign).where(Campaign.company_id == other_tenant.company.id)).all()
    assert len(theirs) == 2


def test_a_connector_fed_placement_is_not_overwritten_by_a_file(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaigns.create(
        session,
        tenant.marketer,
        {
            "name": "Creator Push",
            "total_budget": "5000",
            "daily_budget": "50",
            "start_date": "2026-09-01",
            "platforms": ["tiktok"],
        },
        connectors=connectors,
    )
    preview = csv_import.preview(session, tenant.marketer, fixture("plain_us_dates.csv"), today=TODAY)
    assert any("connector" in conflict for conflict in preview.conflicts)
    with pytest.raises(ValidationError):
        csv_import.import_file(session, tenant.marketer, fixture("plain_us_dates.csv"), today=TODAY)


def test_a_file_in_another_currency_than_before_is_refused(session: Session, tenant: Tenant) -> None:
    usd = (
        b"Reporting starts,Reporting ends,Campaign name,Ad set name,Impressions,Link clicks,"
        b"Amount spent (USD)\n"
        b'2026-10-10,2026-10-10,"Herbst Sale, DACH",Lookalike 1%,100,1,1.00\n'
    )
    csv_import.import_file(session, tenant.marketer, io.BytesIO(usd), today=TODAY)
    with pytest.raises(ValidationError) as refused:
        csv_import.import_file(session, tenant.marketer, fixture("meta_adset_eur.csv"), today=TODAY)
    assert "USD" in refused.value.message and "EUR" in refused.value.message


def test_viewers_cannot_import(session: Session, tenant: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        csv_import.import_file(session, tenant.viewer, fixture("plain_us_dates.csv"), today=TODAY)


def test_a_stream_that_cannot_seek_is_read_too(session: Session, tenant: Tenant) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.source = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self.source.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = (FIXTURES / "google_ads_campaign_report.csv").read_bytes()
    result = csv_import.import_file(session, tenant.marketer, Pipe(data), today=TODAY)
    assert result.days_written == 21


def test_the_columns_of_any_file_are_offered_for_a_mapping() -> None:
    assert csv_import.file_columns(fixture("kampagnen_export_de.csv")) == [
        "Datum",
        "Kampagne",
        "Impressionen",
        "Klicks",
        "Kosten",
        "Conversions",
        "Umsatz",
    ]
    report = fixture("google_ads_campaign_report.csv")  # UTF-16, tabs, title lines above the header
    assert csv_import.file_columns(report)[:3] == ["Day", "Campaign", "Campaign state"]
    assert report.tell() == 0  # left at its start, ready for the preview
    assert csv_import.file_columns(io.BytesIO(b"just one line of text\n")) == []
