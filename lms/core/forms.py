"""The base form every form subclasses: CSRF on, and translated WTForms messages."""

from __future__ import annotations

import enum

from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms.fields.choices import SelectChoice


class BaseForm(FlaskForm):
    class Meta:
        # WTForms' own messages ("This field is required.") go through Flask-Babel too.
        locales = False

        def get_translations(self, form):  # noqa: ANN001 - WTForms' signature
            from flask_babel import get_translations

            return get_translations()


class LazyTitle:
    """An enum member's translated title, looked up when rendered (choices are built at import time)."""

    def __init__(self, member: enum.Enum):
        self.member = member

    def __str__(self) -> str:
        return self.member.title

    def __html__(self) -> str:
        return str(escape(self.member.title))


def enum_choices(enum_class: type[enum.Enum], exclude: tuple = ()) -> list[SelectChoice]:
    return [SelectChoice(member.value, LazyTitle(member)) for member in enum_class if member not in exclude]
