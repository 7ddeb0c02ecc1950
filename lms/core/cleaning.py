"""Text that can be stored: one check for every form field, query parameter, JSON value and upload.

PostgreSQL refuses a NUL byte in text (SQLite silently keeps it), and the other C0 control
characters are invisible in a page, an export or a text message. Tab, line feed and carriage return
are ordinary text in a textarea or a CSV file and pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from lms.core.errors import ServiceError
from lms.core.i18n import _

#: C0 controls other than tab (09), line feed (0A) and carriage return (0D).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def control_character_message() -> str:
    return _(
        "What you sent contains hidden control characters (such as a null byte) that cannot be saved. "
        "Remove them, or type the text again, and try again."
    )


def check_text(text: str, field: str | None = None) -> str:
    """Return `text` unchanged, or refuse it with a translated message naming nothing of its content."""
    if has_control_characters(text):
        raise ServiceError(control_character_message(), field=field)
    return text


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def any_control_characters(texts: Iterable[str]) -> bool:
    return any(has_control_characters(text) for text in texts)
