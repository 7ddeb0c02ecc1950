"""Forms for venues, cohorts, enrolment, referrals and drop-in attendees."""

from __future__ import annotations

from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.core.forms import WEEKDAY_CHOICES, BaseForm, IdSelectField, MultiCheckboxField, enum_choices
from lms.core.i18n import _l
from lms.core.inputs import ids, optional_id
from lms.scheduling.models import EducatorRole
from lms.scheduling.timetable.inputs import TimetableRuleInput


class TimetableRuleForm(BaseForm):
    weekdays = MultiCheckboxField(_l("Days"), choices=WEEKDAY_CHOICES)
    start_time = TimeField(_l("Starts at"), validators=[InputRequired()])
    end_time = TimeField(_l("Ends at"), validators=[InputRequired()])
    start_date = DateField(
        _l("From"), description=_l("Leave empty to use the cohort's dates."), validators=[Optional()]
    )
    end_date = DateField(_l("Until"), validators=[Optional()])
    venue_id = IdSelectField(_l("Venue"))
    room_id = IdSelectField(_l("Room"))

    def to_input(self) -> TimetableRuleInput:
        return TimetableRuleInput(
            weekdays=ids(self.weekdays.data),
            start_time=self.start_time.data,
            end_time=self.end_time.data,
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            venue_id=optional_id(self.venue_id.data),
            room_id=optional_id(self.room_id.data),
        )


class GenerateForm(BaseForm):
    accept_learner_clashes = BooleanField(_l("Go ahead even though some learners are in another class then"))


class SessionForm(BaseForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts at"), validators=[InputRequired()])
    end_time = TimeField(_l("Ends at"), validators=[InputRequired()])
    venue_id = IdSelectField(_l("Venue"))
    room_id = IdSelectField(_l("Room"))
    accept_learner_clashes = BooleanField(_l("Go ahead even though some learners are in another class then"))


class CancelForm(BaseForm):
    reason = StringField(_l("Reason (learners see it)"), validators=[DataRequired(), Length(max=500)])


class ClosureForm(BaseForm):
    venue_id = IdSelectField(_l("Venue"), description=_l("Leave as none to close everything."))
    start_date = DateField(_l("First closed day"), validators=[InputRequired()])
    end_date = DateField(_l("Last closed day"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class AssignForm(BaseForm):
    user_id = IdSelectField(_l("Educator"), validators=[InputRequired()])
    role = SelectField(_l("Role"), choices=enum_choices(EducatorRole))


class CoverForm(BaseForm):
    absent_id = IdSelectField(_l("Who cannot come"), validators=[InputRequired()])
    user_id = IdSelectField(_l("Who covers"), validators=[InputRequired()])


class RoomForm(BaseForm):
    name = StringField(_l("Room name"), validators=[DataRequired(), Length(max=100)])
    capacity = IntegerField(_l("How many people it holds"), validators=[Optional(), NumberRange(min=1, max=10000)])
    step_free = BooleanField(_l("Step-free access"))


class AvailabilityForm(BaseForm):
    weekday = SelectField(_l("Day"), choices=WEEKDAY_CHOICES)
    start_time = TimeField(_l("From"), validators=[InputRequired()])
    end_time = TimeField(_l("Until"), validators=[InputRequired()])


class AbsenceForm(BaseForm):
    start_date = DateField(_l("First day away"), validators=[InputRequired()])
    end_date = DateField(_l("Last day away"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])
