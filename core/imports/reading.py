"""Reading ad-platform report files: encoding, delimiter, header, formats of dates and numbers.

Pure functions over text and bytes; `core.imports.service` drives them and talks to the
database. Everything here is decided from the file itself (a sample for the layout, the whole
column for dates), so the same file always reads the same way.
"""

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from core.errors import ValidationError
from db.enums import Platform

SNIFF_BYTES = 64 * 1024
_EVIDENCE_VALUES = 2_000  # per column and chunk: values with a separator, until the mark is known
HEADER_SEARCH_ROWS = 50
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}

# The fields a file's columns can feed; `date_end` is Meta's "Reporting ends".
FIELDS = (
    "date",
    "date_end",
    "campaign",
    "campaign_id",
    "platform",
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "revenue",
    "currency",
)
REQUIRED_FIELDS = ("date", "campaign", "impressions", "clicks", "spend")
METRIC_FIELDS = ("impressions", "clicks", "conversions", "spend", "revenue")
WHOLE_FIELDS = ("impressions", "clicks")
MONEY_FIELDS = ("spend", "revenue")
# What the columns are called in the exports, most preferred first (a file with both "Link clicks"
# and "Clicks (all)" imports link clicks).
ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("day", "date", "reporting starts"),
    "date_end": ("reporting ends",),
    "campaign": ("campaign", "campaign name"),
    "campaign_id": ("campaign id",),
    "platform": ("platform", "publisher platform"),
    "impressions": ("impressions", "impr.", "impr"),
    "clicks": ("clicks", "link clicks", "clicks (all)"),
    "conversions": ("conversions", "purchases", "website purchases", "results", "conv."),
    "spend": ("cost", "spend", "amount spent"),
    "revenue": (
        "revenue",
        "conv. value",
        "conversion value",
        "purchase conversion value",
        "purchases conversion value",
        "website purchases conversion value",
        "total conv. value",
    ),
    "currency": ("currency code", "currency"),
}
# Columns that say the file is below campaign level (its rows are summed to the campaign and day).
LEVEL_COLUMNS = {"ad set name": "ad set", "ad group": "ad group", "ad name": "ad", "keyword": "keyword"}
_MARKERS = {
    "meta": {"reporting starts", "amount spent", "ad set name", "link clicks", "clicks (all)", "results"},
    "google_ads": {"impr.", "conv. value", "cost", "currency code", "conv.", "ad group"},
}
_NOT_DAILY = {"week", "month", "quarter", "year"}
PLATFORM_NAMES = {
    "google ads": Platform.GOOGLE_ADS,
    "google": Platform.GOOGLE_ADS,
    "adwords": Platform.GOOGLE_ADS,
    "facebook": Platform.FACEBOOK,
    "fb": Platform.FACEBOOK,
    "meta": Platform.FACEBOOK,
    # Meta's smaller surfaces have no placement of their own here; they count under Facebook.
    "audience network": Platform.FACEBOOK,
    "messenger": Platform.FACEBOOK,
    "instagram": Platform.INSTAGRAM,
    "ig": Platform.INSTAGRAM,
    "linkedin": Platform.LINKEDIN,
    "twitter": Platform.TWITTER,
    "x": Platform.TWITTER,
    "twitter/x": Platform.TWITTER,
    "tiktok": Platform.TIKTOK,
    **{p.value.replace("_", " "): p for p in Platform},
}

# Date forms recognised, each with how it reads; a column takes the one that reads all its values.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%m-%d-%Y",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d-%m-%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%a, %b %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
)
_MIDNIGHT = re.compile(r"[T ]00:00(:00(\.0+)?)?(Z|[+-]00:?00)?$")
_HAS_DIGIT = re.compile(r"\d")
_TOTAL = re.compile(r"^\s*totals?\b", re.IGNORECASE)
_CURRENCY_IN_HEADER = re.compile(r"\s*\(([A-Z]{3})\)\s*$")
_EMPTY_VALUES = frozenset({"", "--", "-", "—", "–", "n/a", "N/A"})
_NUMBER = re.compile(
    r"^(?P<minus>[-−])?\s*(?P<open>\()?\s*(?:[A-Z]{0,3}[$€£¥₹₩₽₺₪₫₱฿]|[A-Z]{3}|kr\.?|zł)?\s*"
    r"(?P<minus2>[-−])?\s*(?P<digits>\d[\d.,'\s\u00a0\u202f]*?)\s*"
    r"(?:[$€£¥₹₩₽₺₪₫₱฿]|[A-Z]{3}|kr\.?|zł)?\s*(?P<close>\))?$"
)
_GROUP_SPACES = re.compile(r"['\s\u00a0\u202f]")
MAX_MONEY = 1e12  # Numeric(14, 2)
MAX_COUNT = 1e15


def normalized(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().strip('"').lower().split())


@dataclass(frozen=True, slots=True)
class Layout:
    """How a file is laid out: what the sample told us, before a single data row is parsed."""

    encoding: str
    delimiter: str
    header_line: int  # 1-based record number of the header
    header: tuple[str, ...]
    columns: dict[str, int]  # field -> column index
    format: str  # google_ads, meta or generic
    level: str  # campaign, ad set, ad group, ad, keyword
    currency: str | None  # from a header such as "Amount spent (EUR)"

    def column_name(self, field_name: str) -> str:
        return self.header[self.columns[field_name]]


@dataclass(frozen=True, slots=True)
class NumberStyle:
    decimal: str
    thousands: str

    @property
    def example(self) -> str:
        return f"1{self.thousands}234{self.decimal}56"


DOT_DECIMAL = NumberStyle(".", ",")
COMMA_DECIMAL = NumberStyle(",", ".")


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with or without BOM), else Windows-1252."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:2000]
    if len(sample) >= 4:
        even_nuls, odd_nuls = sample[0::2].count(0), sample[1::2].count(0)
        half = len(sample) // 2
        if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
            return "utf-16-le"
        if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def detect_layout(head: bytes, mapping: Mapping[str, str]) -> Layout:
    """Encoding, delimiter and header row from the first bytes of the file."""
    encoding = detect_encoding(head)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    lines = text.splitlines()
    if len(head) >= SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of a cut sample may be incomplete
    mapped = {normalized(column) for column in mapping}
    best: tuple[int, int, str, int, list[str]] | None = None
    for delimiter in DELIMITERS:
        rows = list(csv.reader(lines[: HEADER_SEARCH_ROWS * 2], delimiter=delimiter))
        for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            cells = [normalized(cell) for cell in row]
            score = sum(2 if c in mapped else 1 for c in cells if c in mapped or _field_of(c))
            if len(cells) > 1 and score >= 2 and (best is None or (score, -index) > (best[0], -best[1])):
                best = (score, index, delimiter, len(cells), row)
                break
    if best is None:
        raise ValidationError(
            {
                "file": "found no header row with columns such as Day, Campaign, Impressions, Clicks, "
                "Cost or Amount spent; for another layout give a column mapping (COLUMN=FIELD)"
            }
        )
    _, index, delimiter, _, row = best
    header = tuple(cell.replace("\ufeff", "").strip() for cell in row)
    columns = _columns(header, mapping)
    return Layout(
        encoding=encoding,
        delimiter=delimiter,
        header_line=index + 1,
        header=header,
        columns=columns,
        format=_format_of(header),
        level=_level_of(header),
        currency=_currency_of(header, columns),
    )


def header_guess(head: bytes) -> list[str]:
    """The column names a file seems to have, for someone to map by hand when `detect_layout` finds
    no header it knows: the first line of several cells, split at the delimiter that gives most."""
    encoding = detect_encoding(head)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    lines = [line for line in text.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()]
    best: list[str] = []
    for delimiter in DELIMITERS:
        row = next((r for r in csv.reader(lines, delimiter=delimiter) if len(r) > 1), [])
        if len(row) > len(best):
            best = row
    return [cell.replace("\ufeff", "").strip() for cell in best if cell.strip()]


def _field_of(cell: str) -> str | None:
    base = _base_name(cell)
    for name, aliases in ALIASES.items():
        if base in aliases:
            return name
    return None


def _base_name(cell: str) -> str:
    """'amount spent (eur)' -> 'amount spent'; 'clicks (all)' stays as it is."""
    match = re.match(r"^(.*?)\s*\(([a-z]{3})\)$", cell)
    if match and match.group(2) not in ("all",):
        return match.group(1)
    return cell


def _columns(header: Sequence[str], mapping: Mapping[str, str]) -> dict[str, int]:
    names = [normalized(cell) for cell in header]
    columns: dict[str, int] = {}
    for name, aliases in ALIASES.items():
        found = [(aliases.index(_base_name(c)), i) for i, c in enumerate(names) if _base_name(c) in aliases]
        if found:
            columns[name] = min(found)[1]
    problems = {}
    mapped_fields: dict[str, str] = {}
    for column, target in mapping.items():
        if normalized(column) not in names:
            shown = ", ".join(h for h in header if h)
            problems[f"mapping.{column}"] = f"the file has no column named {column!r} (it has: {shown})"
            continue
        if target in mapped_fields:
            problems[f"mapping.{column}"] = f"{mapped_fields[target]!r} is already mapped to {target}"
            continue
        mapped_fields[target] = column
        columns[target] = names.index(normalized(column))
    if problems:
        raise ValidationError(problems)
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        not_daily = sorted(_NOT_DAILY & set(names))
        if "date" in missing and not_daily:
            raise ValidationError(
                {"date": f"the report is by {not_daily[0]}; export it with a daily breakdown (by Day)"}
            )
        expected = "; ".join(f"{f} (e.g. {' or '.join(repr(a) for a in ALIASES[f][:2])})" for f in missing)
        raise ValidationError(
            {"columns": f"missing required columns: {expected}; map them with COLUMN=FIELD"}
        )
    return columns


def _format_of(header: Sequence[str]) -> str:
    names = {_base_name(normalized(cell)) for cell in header}
    scores = {name: len(markers & names) for name, markers in _MARKERS.items()}
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] else "generic"


def _level_of(header: Sequence[str]) -> str:
    names = {normalized(cell) for cell in header}
    levels = [level for column, level in LEVEL_COLUMNS.items() if column in names]
    order = ("keyword", "ad", "ad group", "ad set")
    return next((level for level in order if level in levels), "campaign")


def _currency_of(header: Sequence[str], columns: Mapping[str, int]) -> str | None:
    if "spend" in columns:
        match = _CURRENCY_IN_HEADER.search(header[columns["spend"]])
        if match:
            return match.group(1)
    return None


@contextmanager
def records(file: BinaryIO, layout: Layout) -> Iterator[Any]:
    """The csv reader over the records after the header, read as a stream; `line_num` is the file line."""
    file.seek(0)
    text = io.TextIOWrapper(file, encoding=layout.encoding, newline="")
    reader = csv.reader(text, delimiter=layout.delimiter)
    try:
        for _ in itertools.islice(reader, layout.header_line):
            pass
        yield reader
    except UnicodeDecodeError:
        raise ValidationError(
            {"file": f"is not valid {layout.encoding} text after line {reader.line_num}"}
        ) from None
    except csv.Error as exc:
        raise ValidationError({"file": f"line {reader.line_num}: {exc}"}) from None
    finally:
        text.detach()


def is_skipped(row: Sequence[str], date_cell: str) -> bool:
    """Blank lines and totals lines: they carry no day of their own."""
    if _HAS_DIGIT.search(date_cell):  # nearly every row: a dated one
        return False
    return not any(cell.strip() for cell in row) or is_totals(row, date_cell)


def is_totals(row: Sequence[str], date_cell: str) -> bool:
    """'Total: Account', 'Total: Search' …: a totals line (its date cell holds no date)."""
    first = next((cell for cell in row if cell.strip()), "")
    return bool(_TOTAL.match(first)) and not any(ch.isdigit() for ch in date_cell)


# -- dates -------------------------------------------------------------------------------------


def _strip_midnight(value: str) -> str:
    return _MIDNIGHT.sub("", value.strip())


def _parse_date(value: str, date_format: str) -> date | None:
    try:
        return datetime.strptime(_strip_midnight(value), date_format).date()
    except ValueError:
        return None


def resolve_date_format(values: Iterable[str], requested: str | None = None) -> str:
    """The one date form that reads the whole column; ambiguous columns must say which."""
    if requested:
        return requested
    distinct = {_strip_midnight(v) for v in values if v.strip() and v.strip() not in _EMPTY_VALUES}
    if not distinct:
        return DATE_FORMATS[0]
    readings = {f: {v: _parse_date(v, f) for v in distinct} for f in DATE_FORMATS}
    counts = {f: sum(d is not None for d in parsed.values()) for f, parsed in readings.items()}
    best = max(counts.values())
    if best == 0:
        return DATE_FORMATS[0]
    candidates = [f for f in DATE_FORMATS if counts[f] == best]
    chosen = candidates[0]
    for other in candidates[1:]:
        if readings[other] != readings[chosen]:
            example = next(v for v in sorted(distinct) if readings[other][v] != readings[chosen][v])
            raise ValidationError(
                {
                    "date_format": f"dates such as {example!r} read as {chosen} and as {other}; "
                    f"say which with a date format (e.g. {chosen} or {other})"
                }
            )
    return chosen


def check_date_format(date_format: str) -> str:
    probe = date(2026, 12, 31)
    try:
        written = probe.strftime(date_format)
        read = datetime.strptime(written, date_format).date()
    except ValueError:
        read = None
    if read != probe:
        raise ValueError("must name the day, month and year, e.g. %d/%m/%Y")
    return date_format


NO_DATE = np.iinfo(np.int64).min
_EPOCH = date(1970, 1, 1)


def epoch_day(day: date) -> int:
    return (day - _EPOCH).days


def parse_dates(values: Sequence[str], date_format: str, cache: dict[str, int]) -> np.ndarray:
    """Days since 1970-01-01 (NO_DATE where unreadable); `cache` remembers each distinct value."""
    for value in set(values) - cache.keys():
        parsed = _parse_date(value, date_format)
        cache[value] = NO_DATE if parsed is None else epoch_day(parsed)
    return np.fromiter((cache[value] for value in values), dtype=np.int64, count=len(values))


def date_example(date_format: str) -> str:
    return date(2026, 10, 31).strftime(date_format)


# -- numbers -----------------------------------------------------------------------------------


@dataclass(slots=True)
class NumberEvidence:
    """Which mark is the decimal one, learnt from values that can only be read one way."""

    decimal: str | None = None
    integer_thousands: str | None = None
    conflict: str | None = None

    def observe(self, value: str, *, whole: bool) -> None:
        digits = _GROUP_SPACES.sub("", value.strip().lstrip("-−(").rstrip(")"))
        digits = re.sub(r"^[^\d]+|[^\d]+$", "", digits)
        if not digits:
            return
        mark = _decimal_mark(digits)
        if mark is None and whole:
            if re.fullmatch(r"\d{1,3}(\.\d{3})+", digits):
                self.integer_thousands = "."
            elif re.fullmatch(r"\d{1,3}(,\d{3})+", digits):
                self.integer_thousands = ","
            return
        if mark is not None:
            if self.decimal is not None and self.decimal != mark:
                self.conflict = value
            self.decimal = self.decimal or mark

    @property
    def settled(self) -> bool:
        return self.decimal is not None

    def style(self) -> NumberStyle:
        if self.decimal == "," or (self.decimal is None and self.integer_thousands == "."):
            return COMMA_DECIMAL
        return DOT_DECIMAL


def _decimal_mark(digits: str) -> str | None:
    """The decimal mark of a value that can only be read one way, else None."""
    if "," in digits and "." in digits:
        return "," if digits.rfind(",") > digits.rfind(".") else "."
    for mark in ",.":
        if digits.count(mark) == 1:
            whole, fraction = digits.split(mark)
            if len(fraction) != 3 or len(whole) > 3 or whole == "0":
                return mark
    return None


def parse_numbers(values: Sequence[str], style: NumberStyle) -> tuple[np.ndarray, np.ndarray]:
    """Numbers as the file writes them: (values, readable). Empty cells and '--' read as 0."""
    if style.decimal == ".":
        try:  # plain numbers, as most exports write them: read them all at once
            return np.array([value or "0" for value in values], dtype=float), np.ones(len(values), dtype=bool)
        except ValueError:
            pass
    series = pd.Series(values, dtype=object)
    if style.decimal == ",":
        plain = series.where(~series.str.contains(r"[.,]", regex=True, na=False))
    else:
        plain = series
    numbers = pd.to_numeric(plain, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
    readable = ~np.isnan(numbers)
    for index in np.flatnonzero(~readable):
        parsed = _parse_number(values[index], style)
        if parsed is not None:
            numbers[index] = parsed
            readable[index] = True
    return numbers, readable


def _parse_number(value: str, style: NumberStyle) -> float | None:
    value = value.strip()
    if value in _EMPTY_VALUES:
        return 0.0
    match = _NUMBER.match(value)
    if not match or bool(match["open"]) != bool(match["close"]):
        return None
    digits = _GROUP_SPACES.sub("", match["digits"])
    thousands, decimal = re.escape(style.thousands), re.escape(style.decimal)
    if not re.fullmatch(rf"\d{{1,3}}(?:{thousands}\d{{3}})+(?:{decimal}\d+)?|\d+(?:{decimal}\d+)?", digits):
        return None
    number = float(digits.replace(style.thousands, "").replace(style.decimal, "."))
    negative = bool(match["minus"] or match["minus2"] or match["open"])
    return -number if negative else number


def parse_platform(value: str) -> Platform | None:
    return PLATFORM_NAMES.get(" ".join(value.strip().lower().replace("_", " ").split()))


def survey(
    file: BinaryIO,
    layout: Layout,
    date_columns: Sequence[int],
    number_columns: Mapping[int, bool],
    *,
    cap: int,
    chunk_rows: int,
) -> tuple[set[str], NumberEvidence]:
    """A quick first pass: the distinct values of the date columns (up to `cap`), and which mark is
    the decimal one in the number columns (index -> holds whole numbers). Exact line numbers and
    field counts are the second pass's business, so the fast parser does this one."""
    file.seek(0)
    text = io.TextIOWrapper(file, encoding=layout.encoding, newline="")
    dates: set[str] = set()
    evidence = NumberEvidence()
    try:
        chunks = pd.read_csv(
            text,
            sep=layout.delimiter,
            header=None,
            skiprows=layout.header_line,
            names=range(len(layout.header)),
            usecols=sorted({*date_columns, *number_columns}),
            dtype=str,
            keep_default_na=False,
            on_bad_lines="skip",
            chunksize=chunk_rows,
            engine="c",
        )
        for chunk in chunks:
            for column in date_columns:
                if len(dates) < cap:
                    dates.update(chunk[column].unique()[: cap - len(dates)])
            for column, whole in number_columns.items():
                if evidence.settled:
                    break
                marked = chunk[column][chunk[column].str.contains(r"[.,]", regex=True)]
                for value in marked.iloc[:_EVIDENCE_VALUES]:
                    evidence.observe(value, whole=whole)
    except pd.errors.EmptyDataError:
        pass
    except UnicodeDecodeError:
        raise ValidationError({"file": f"is not valid {layout.encoding} text"}) from None
    except pd.errors.ParserError as exc:
        raise ValidationError({"file": f"cannot be read as CSV: {exc}"}) from None
    finally:
        text.detach()
    return dates, evidence


@dataclass(slots=True)
class RowProblems:
    """Per-row problems of a file: those on the first lines kept in full, all of them counted."""

    limit: int
    count: int = 0
    _kept: list[dict[str, object]] = field(default_factory=list)

    def add(self, line: int, column: str, value: str, message: str) -> None:
        self.count += 1
        self._kept.append(
            {"row": line, "line": line, "column": column, "value": value[:60], "message": message}
        )
        if len(self._kept) > 2 * self.limit:
            self._kept = self.rows

    @property
    def rows(self) -> list[dict[str, object]]:
        return sorted(self._kept, key=lambda problem: problem["line"])[: self.limit]
