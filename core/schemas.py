"""Field types shared by the schemas of every domain: names, money, ratios, pages."""

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, Field

MAX_NAME_LENGTH = 200
MAX_PAGE_SIZE = 200


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Name = Annotated[str, Field(max_length=MAX_NAME_LENGTH), AfterValidator(_not_blank)]
# A non-negative amount of money in whole cents (NaN and infinity are refused).
MoneyAmount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
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
