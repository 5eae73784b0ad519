"""Turns schema checks into the product's ValidationError, one message per field."""

from collections.abc import Collection, Iterable, Mapping
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


def field_messages(
    errors: pydantic.ValidationError | Iterable[Mapping[str, Any]], *, containers: Collection[str] = ()
) -> dict[str, str]:
    """field → message from pydantic's errors; a leading location in `containers` (such as a
    request's "body" or "query") is dropped, so the field reads as the caller named it."""
    if isinstance(errors, pydantic.ValidationError):
        errors = errors.errors(include_url=False)
    messages: dict[str, str] = {}
    for error in errors:
        location = [str(part) for part in error["loc"]]
        if location and location[0] in containers:
            location = location[1:] or location
        field = ".".join(location) or "__all__"
        message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        messages.setdefault(field, message)
    return messages
