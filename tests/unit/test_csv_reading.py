"""How report files are read: encodings, number and date forms, header and totals lines."""

import codecs

import numpy as np
import pytest

from core.errors import ValidationError
from core.imports.reading import (
    COMMA_DECIMAL,
    DOT_DECIMAL,
    NumberEvidence,
    detect_encoding,
    detect_layout,
    is_totals,
    parse_numbers,
    parse_platform,
    resolve_date_format,
)
from db.enums import Platform

TEXT = "Day,Campaign,Impressions,Clicks,Cost\n2026-10-01,A,1,1,1\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode(), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode(), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        ("Día,Campaña\n".encode("cp1252") + TEXT.encode(), "cp1252"),
    ],
)
def test_encodings_are_recognised(data: bytes, encoding: str) -> None:
    assert detect_encoding(data) == encoding


@pytest.mark.parametrize(
    ("values", "style", "expected"),
    [
        (
            ["1,234", "1,234,567.5", "$1,234.50", "US$ 12.00", "(3.00)", "--", ""],
            DOT_DECIMAL,
            [1234, 1234567.5, 1234.5, 12.0, -3.0, 0.0, 0.0],
        ),
        (
            ["1.234", "1.234,56", "12,5", "€ 7,00", "1 234,5", "7,00 EUR"],
            COMMA_DECIMAL,
            [1234, 1234.56, 12.5, 7.0, 1234.5, 7.0],
        ),
    ],
)
def test_numbers_as_exports_write_them(values: list[str], style, expected: list[float]) -> None:
    numbers, readable = parse_numbers(values, style)
    assert readable.all()
    assert numbers.tolist() == pytest.approx(expected)


@pytest.mark.parametrize("value", ["12.5", "abc12", "1,2,3", "12%", "(12", "1.2.3,4,5"])
def test_what_is_not_a_number_in_the_files_form_is_refused(value: str) -> None:
    _, readable = parse_numbers([value], COMMA_DECIMAL if value == "12.5" else DOT_DECIMAL)
    assert not readable[0]


@pytest.mark.parametrize(
    ("values", "decimal"),
    [
        (["1,234", "12.50"], "."),
        (["1.234", "12,50"], ","),
        (["0,250"], ","),
        (["1.234.567,8"], ","),
    ],
)
def test_the_decimal_mark_is_learnt_from_values_that_read_one_way(values: list[str], decimal: str) -> None:
    evidence = NumberEvidence()
    for value in values:
        evidence.observe(value, whole=False)
    assert evidence.style().decimal == decimal


def test_thousands_in_whole_numbers_tell_the_decimal_mark_too() -> None:
    evidence = NumberEvidence()
    evidence.observe("12.345", whole=True)
    assert not evidence.settled and evidence.style() == COMMA_DECIMAL
    assert NumberEvidence().style() == DOT_DECIMAL


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2026-10-01", "2026-10-31", "2026-10-31T00:00:00Z"], "%Y-%m-%d"),
        (["10/1/2026", "10/13/2026"], "%m/%d/%Y"),
        (["13/10/2026", "1/10/2026"], "%d/%m/%Y"),
        (["13.10.2026", "01.11.2026"], "%d.%m.%Y"),
        (["Oct 1, 2026", "Nov 12, 2026"], "%b %d, %Y"),
        (["1/1/2026", "2/2/2026"], "%m/%d/%Y"),  # the same day either way: nothing to ask
        (["2026-10-01", "2026-99-99"], "%Y-%m-%d"),  # the odd one out is a bad row
    ],
)
def test_the_date_form_is_recognised_from_the_whole_column(values: list[str], expected: str) -> None:
    assert resolve_date_format(values) == expected


def test_a_column_that_reads_two_ways_asks_for_the_form() -> None:
    with pytest.raises(ValidationError) as refused:
        resolve_date_format(["03/04/2026", "05/06/2026"])
    assert "date_format" in refused.value.errors
    assert resolve_date_format(["03/04/2026"], "%d/%m/%Y") == "%d/%m/%Y"


def test_the_header_is_found_below_title_lines_and_its_columns_mapped() -> None:
    text = 'Campaign report\n"October 1, 2026 - October 7, 2026"\nDay\tCampaign\tImpr.\tClicks\tCost (EUR)\n'
    layout = detect_layout(text.encode(), {})
    assert (layout.delimiter, layout.header_line, layout.format, layout.currency) == (
        "\t",
        3,
        "google_ads",
        "EUR",
    )
    assert layout.columns == {"date": 0, "campaign": 1, "impressions": 2, "clicks": 3, "spend": 4}


def test_totals_lines_are_told_from_campaigns_named_total() -> None:
    assert is_totals(["Total: Account", "--", "1,234"], "Total: Account")
    assert is_totals(["Total: Search", "--"], "--")
    assert not is_totals(["Total Recall Promo", "2026-10-01"], "2026-10-01")


@pytest.mark.parametrize(
    ("value", "platform"),
    [
        ("Facebook", Platform.FACEBOOK),
        ("instagram", Platform.INSTAGRAM),
        ("audience_network", Platform.FACEBOOK),
        ("Google Ads", Platform.GOOGLE_ADS),
        ("Twitter/X", Platform.TWITTER),
        ("myspace", None),
    ],
)
def test_platform_names(value: str, platform: Platform | None) -> None:
    assert parse_platform(value) == platform


def test_parse_numbers_keeps_positions() -> None:
    numbers, readable = parse_numbers(["1", "x", "3"], DOT_DECIMAL)
    assert readable.tolist() == [True, False, True]
    assert np.isnan(numbers[1])
