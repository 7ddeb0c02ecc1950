"""The base form every form subclasses: CSRF on, and translated WTForms messages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from lms.core.enums import TitledEnum
from lms.core.i18n import _l


class BaseForm(FlaskForm):
    class Meta:
        # WTForms' own messages ("This field is required.") go through Flask-Babel too.
        locales = False

        def get_translations(self, form):  # noqa: ANN001 - WTForms' signature
            from flask_babel import get_translations

            return get_translations()


class LazyTitle:
    """An enum member's translated title, looked up when rendered (choices are built at import time)."""

    def __init__(self, member: TitledEnum):
        self.member = member

    def __str__(self) -> str:
        return self.member.title

    def __html__(self) -> str:
        return str(escape(self.member.title))


def enum_choices(enum_class: type[TitledEnum], exclude: tuple = ()) -> list[SelectChoice]:
    return [SelectChoice(member.value, LazyTitle(member)) for member in enum_class if member not in exclude]


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes: easier than a multiple select on a phone."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def split_lines(text: str | None) -> list[str]:
    """One item per line (or comma), blanks dropped: for strands, referral sources and the like."""
    items = (text or "").replace(",", "\n").splitlines()
    return [item.strip() for item in items if item.strip()]


def object_choices(objects, label=lambda obj: obj.name, none_label: str | None = None) -> list[SelectChoice]:  # noqa: ANN001
    """Choices from model objects (value = id), optionally led by an empty "none" choice."""
    found = [SelectChoice(str(obj.id), label(obj)) for obj in objects]
    return ([SelectChoice("", none_label)] if none_label is not None else []) + found


class _WeekdayName:
    """A weekday's name in the language of the request (Monday = 0)."""

    def __init__(self, index: int):
        self.index = index

    def __str__(self) -> str:
        from babel.dates import get_day_names

        from lms.core.i18n import get_locale

        return get_day_names("wide", locale=get_locale())[self.index]

    def __html__(self) -> str:
        return str(escape(str(self)))


#: The empty first choice of an optional select.
NONE = [SelectChoice("", _l("None"))]

WEEKDAY_CHOICES = [SelectChoice(str(day), _WeekdayName(day)) for day in range(7)]
