"""The base form every form subclasses (CSRF on, translated WTForms messages), and the fields and
helpers that read ids and numbers from a request without ever failing on what a client sends."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms import SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms.core.enums import TitledEnum
from lms.core.i18n import _, _l, ngettext
from lms.core.inputs import parse_id, parse_int


class BaseForm(FlaskForm):
    class Meta:
        # WTForms' own messages ("This field is required.") go through Flask-Babel too: the ones our
        # forms can show are listed in `_wtforms_messages` so that they are in our catalogues.
        locales = False

        def get_translations(self, form):  # noqa: ANN001 - WTForms' signature
            from flask_babel import get_translations

            return get_translations()


def _wtforms_messages() -> None:  # pragma: no cover - never called: read by `pybabel extract`
    """WTForms' messages for the fields and validators our forms use, word for word, so that they are
    extracted into our catalogues and translated with the rest (WTForms' own catalogues are off)."""
    _("This field is required.")
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 1)
    _("Field must be between %(min)d and %(max)d characters long.")
    _("Number must be at least %(min)s.")
    _("Number must be at most %(max)s.")
    _("Number must be between %(min)s and %(max)s.")
    _("Not a valid integer value.")
    _("Not a valid decimal value.")
    _("Not a valid date value.")
    _("Not a valid time value.")
    _("Not a valid choice.")
    ngettext(
        "'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field.", 1
    )


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


class IdSelectField(SelectField):
    """A select of objects by id, its choices filled in by the view.

    The value stays text ("" for the "none" choice), but anything that is not an id (not whole, not
    positive, or too big for a database integer) is refused as a form error, so a view or a service
    never meets it. Whether the id is one the user may choose is the service's or the loader's rule.
    """

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [])
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form: Any) -> None:
        super().pre_validate(form)
        if self.data not in (None, "") and parse_id(self.data) is None:
            raise ValidationError(_("Choose from the list."))


class IdsField(MultiCheckboxField):
    """Checkboxes of objects by id (choices filled in by the view): each ticked value must be an id."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [])
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form: Any) -> None:
        super().pre_validate(form)
        if any(parse_id(value) is None for value in self.data or []):
            raise ValidationError(_("Choose from the list."))


def form_id(name: str) -> int | None:
    """The id posted in the form field `name` (a hidden field or a button's value), or None when it is
    missing or not an id: loaders then answer 404, as for an id that does not exist."""
    return parse_id(request.form.get(name, ""))


def form_int(name: str, low: int, high: int) -> int | None:
    """The whole number posted in `name` if it lies between `low` and `high`; None otherwise."""
    return parse_int(request.form.get(name, ""), low, high)


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
