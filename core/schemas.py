"""Field types shared by the schemas of every domain: names, money, ratios, pages."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, Field

from core.money import to_money

MAX_NAME_LENGTH = 200
MAX_PAGE_SIZE = 200
# Far beyond any real list; it keeps an offset within what every database can count to.
MAX_PAGE = 1_000_000
# A list's page and page size as a caller asks for them: `page: PageNumber = 1`.
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE)]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]


def no_nul(value: str) -> str:
    # PostgreSQL cannot store the NUL character in text, and no person types it.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _as_utc(value: datetime) -> datetime:
    """A time without a zone is taken as UTC, the zone every timestamp is stored in."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Text = Annotated[str, AfterValidator(no_nul)]
Name = Annotated[str, Field(max_length=MAX_NAME_LENGTH), AfterValidator(no_nul), AfterValidator(_not_blank)]
UTCTimestamp = Annotated[datetime, AfterValidator(_as_utc)]
# A non-negative amount of money in whole cents (NaN and infinity are refused).
MoneyAmount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
# An amount as it is shown: always to the cent ("1000.00", never "1000" or "1E+3").
MoneyValue = Annotated[Decimal, AfterValidator(to_money)]
NonNegativeFloat = Annotated[float, Field(ge=0), AfterValidator(_finite)]

ItemT = TypeVar("ItemT")


@dataclass(frozen=True, slots=True)
class Page(Generic[ItemT]):
    items: list[ItemT]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))
