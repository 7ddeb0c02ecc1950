"""Enums whose members carry a translated title, for choices and display."""

from __future__ import annotations

import enum


class TitledEnum(enum.StrEnum):
    """Subclasses define `_titles()` returning {member: lazy translated title}."""

    @classmethod
    def _titles(cls) -> dict:
        raise NotImplementedError

    @property
    def title(self) -> str:  # type: ignore[override]  # a translated title in place of str.title(), on purpose
        return str(type(self)._titles()[self])
