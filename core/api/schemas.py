"""Shapes the API answers with that belong to no single domain: errors, pages, version, health."""

from typing import Any, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict

from core.schemas import Page

ItemT = TypeVar("ItemT")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class PageOf(BaseModel, Generic[ItemT]):
    """One page of a list: the items, how many there are in all, and which page this is."""

    model_config = ConfigDict(from_attributes=True)

    items: list[ItemT]
    total: int
    page: int
    page_size: int

    @classmethod
    def of(cls, page: Page[Any]) -> Self:
        return cls.model_validate(page, from_attributes=True)


class Version(BaseModel):
    name: str
    version: str
    api: str


class DependencyHealth(BaseModel):
    ok: bool
    detail: str


class HealthReport(BaseModel):
    status: Literal["ok", "unavailable"]
    database: DependencyHealth
    redis: DependencyHealth | None


ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422, 429, 500)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in ERROR_STATUSES
}
