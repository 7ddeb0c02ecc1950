"""Forms for recording learner achievements."""

from __future__ import annotations

from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from lms.assessments.progression.models import AssessmentKind
from lms.core.esol import EsolLevel
from lms.core.forms import BaseForm, IdSelectField, enum_choices
from lms.core.i18n import _l

_LEVELS = [SelectChoice("", _l("Not assessed")), *enum_choices(EsolLevel)]


class EsolLevelsForm(BaseForm):
    kind = SelectField(_l("Kind of assessment"), choices=enum_choices(AssessmentKind))
    assessed_date = DateField(_l("Assessed on"), validators=[InputRequired()])
    speaking = SelectField(_l("Speaking"), choices=_LEVELS, default="")
    listening = SelectField(_l("Listening"), choices=_LEVELS, default="")
    reading = SelectField(_l("Reading"), choices=_LEVELS, default="")
    writing = SelectField(_l("Writing"), choices=_LEVELS, default="")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class PriorCompletionForm(BaseForm):
    course_id = IdSelectField(_l("Course"), validators=[InputRequired()])
    completed_date = DateField(_l("Completed on"), validators=[InputRequired()])
    note = TextAreaField(_l("Where, and what evidence was seen"), validators=[Optional(), Length(max=2000)])


class ExternalCertificateForm(BaseForm):
    certificate_type_id = IdSelectField(_l("Certificate"), validators=[InputRequired()])
    number = StringField(_l("Certificate or card number"), validators=[Optional(), Length(max=100)])
    issued_date = DateField(_l("Issued on"), validators=[InputRequired()])
    expiry_date = DateField(
        _l("Expires on"),
        description=_l("Leave empty to work it out from the certificate type."),
        validators=[Optional()],
    )
    renewal = BooleanField(_l("This is a renewal"))
    evidence_seen = BooleanField(_l("I have seen the certificate"))
