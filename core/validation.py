"""Turns schema checks into the product's ValidationError, one message per field."""

from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic

from core.errors import ValidationError

SchemaT = TypeVar("SchemaT", bound=pydantic.BaseModel)


def parse(schema: type[SchemaT], data: Mapping[str, Any] | SchemaT) -> SchemaT:
    """Validate `data` against `schema`; a bad input raises ValidationError naming each field."""
    if isinstance(data, schema):
        data = data.model_dump(exclude_unset=True)
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError(field_messages(exc)) from None


def field_messages(exc: pydantic.ValidationError) -> dict[str, str]:
    messages: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "__all__"
        message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        messages.setdefault(field, message)
    return messages
