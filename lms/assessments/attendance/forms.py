"""Forms for notices of absence and self check-in (the register posts its own fields, one per learner)."""

from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from lms.assessments.attendance.models import NoticeChannel, NoticeReason
from lms.core.forms import BaseForm, enum_choices
from lms.core.i18n import _l


class NoticeForm(BaseForm):
    reason = SelectField(_l("Why"), choices=enum_choices(NoticeReason))
    note = StringField(_l("Anything else we should know"), validators=[Optional(), Length(max=500)])
    #: Only when staff take a notice for a learner; the learner's own notice comes through Pathways.
    channel = SelectField(
        _l("How they told us"),
        choices=[SelectChoice("", ""), *enum_choices(NoticeChannel, exclude=(NoticeChannel.LEARNER,))],
        validators=[Optional()],
        validate_choice=False,  # the service refuses a wrong one, with the message that says what to choose
    )


class StaffNoticeForm(NoticeForm):
    """A notice taken by the office or the tutor: which learner, and how they told us."""

    channel = SelectField(_l("How they told us"), choices=enum_choices(NoticeChannel, exclude=(NoticeChannel.LEARNER,)))


class CheckInForm(BaseForm):
    code = StringField(_l("The code on the screen"), validators=[DataRequired(), Length(max=12)])
