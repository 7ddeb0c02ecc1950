"""The base of every write service's typed input.

A form builds one with its `to_input()`, the API builds the same one from its request body, jobs and
the demo build them directly; the service takes it. Inputs carry types, not rules: trimming and type
coercion happen here once, while every rule of the domain (names unique, dates in order, places
enough) is checked by the service, in one place, with a translated message and the field it is about.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class Input(BaseModel):
    """Immutable, with no unknown fields; text is trimmed; a value of None means "not given"."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    #: False where None given for a field means "clear it" (a partial update)
    none_means_not_given: ClassVar[bool] = True

    @model_validator(mode="before")
    @classmethod
    def _none_means_not_given(cls, data: Any) -> Any:
        # Forms give None for an empty optional field; the field's default then applies.
        if cls.none_means_not_given and isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


def optional_id(value: str | int | None) -> int | None:
    """The id chosen in an optional select: "" (the "none" choice) is None."""
    return int(value) if value not in (None, "") else None


def ids(values: list[str] | None) -> list[int]:
    """The ids ticked in a list of checkboxes."""
    return [int(value) for value in values or []]
