"""The base of every write service's typed input.

A form builds one with its `to_input()`, the API builds the same one from its request body, jobs and
the demo build them directly; the service takes it. Inputs carry types, not rules: trimming and type
coercion happen here once, while every rule of the domain (names unique, dates in order, places
enough) is checked by the service, in one place, with a translated message and the field it is about.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ModelWrapValidatorHandler, ValidationError, model_validator
from pydantic_core import ErrorDetails

from lms.core.errors import ServiceError
from lms.core.i18n import _


class Input(BaseModel):
    """Immutable, with no unknown fields; text is trimmed; a value of None means "not given".

    A value the input's types refuse (text longer than its `max_length`, say) is a refusal like any
    other: a ServiceError with a translated message on the field, so pages show it on the form and the
    API answers 422, and nothing reaches the database that its columns would refuse.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    #: False where None given for a field means "clear it" (a partial update)
    none_means_not_given: ClassVar[bool] = True

    @model_validator(mode="wrap")
    @classmethod
    def _refuse_as_service_error(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        try:
            return handler(data)
        except ValidationError as error:
            first = error.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else None
            raise ServiceError(refusal_message(first), field=field) from None

    @model_validator(mode="before")
    @classmethod
    def _none_means_not_given(cls, data: Any) -> Any:
        # Forms give None for an empty optional field; the field's default then applies.
        if cls.none_means_not_given and isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


def too_long_message(limit: int) -> str:
    return _("Keep this to %(max)d characters or fewer.", max=limit)


def check_length(text: str, limit: int, field: str) -> str:
    """`text` unchanged, or refused when longer than its column holds: for services that take plain text."""
    if len(text) > limit:
        raise ServiceError(too_long_message(limit), field=field)
    return text


def refusal_message(error: ErrorDetails) -> str:
    """Pydantic's messages are English only: say what is wrong, translated."""
    kind = error["type"]
    if kind == "string_too_long":
        return too_long_message(int(error.get("ctx", {}).get("max_length", 0)))
    if kind == "missing":
        return _("This field is required.")
    return _("This is not the right type or format.")


#: The largest id there can be: ids are database integers (PostgreSQL's `integer`, SQLite's 64-bit one).
MAX_ID = 2**31 - 1

#: A whole number as browsers send one: ASCII digits, perhaps a sign, and no more digits than fit.
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")


def parse_int(value: object, low: int, high: int) -> int | None:
    """`value` as a whole number between `low` and `high`, or None if it is anything else.

    For text from a request: "²", "١٢", "1e3", "0x10", " 7 " with a tab, or a number too big for a
    database integer are not numbers here, so nothing downstream can fail on them.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if low <= number <= high else None


def parse_id(value: object) -> int | None:
    """`value` as an id (1 to MAX_ID), or None: what a select of objects or a hidden id field sends."""
    return parse_int(value, 1, MAX_ID)


def optional_id(value: str | int | None) -> int | None:
    """The id chosen in an optional select: "" (the "none" choice) is None."""
    return int(value) if value not in (None, "") else None


def ids(values: list[str] | None) -> list[int]:
    """The ids ticked in a list of checkboxes."""
    return [int(value) for value in values or []]
