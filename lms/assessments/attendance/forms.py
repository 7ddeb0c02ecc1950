"""Forms for notices of absence and self check-in (the register posts its own fields, one per learner)."""

from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from lms.assessments.attendance.models import NoticeReason
from lms.core.forms import BaseForm, enum_choices
from lms.core.i18n import _l


class NoticeForm(BaseForm):
    reason = SelectField(_l("Why"), choices=enum_choices(NoticeReason))
    note = StringField(_l("Anything else we should know"), validators=[Optional(), Length(max=500)])


class CheckInForm(BaseForm):
    code = StringField(_l("The code on the screen"), validators=[DataRequired(), Length(max=12)])
