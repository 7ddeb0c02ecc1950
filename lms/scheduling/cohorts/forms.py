"""Forms for venues, cohorts, enrolment, referrals and drop-in attendees."""

from __future__ import annotations

from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.core.forms import BaseForm, IdSelectField, IdsField, enum_choices
from lms.core.i18n import _l
from lms.core.inputs import optional_id
from lms.courses.models import DeliveryMode, DeliverySetting
from lms.people.models import HOLIDAY_REGION_TITLES
from lms.scheduling.cohorts.inputs import CohortInput, ReferralInput, VenueInput
from lms.scheduling.models import CohortStatus, ReferralSource


class VenueForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=1000)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=10)])
    capacity = IntegerField(_l("How many people it holds"), validators=[Optional(), NumberRange(min=1, max=10000)])
    step_free = BooleanField(_l("Step-free access"))
    has_creche = BooleanField(_l("Has a crèche"))
    accessibility_notes = TextAreaField(_l("Accessibility notes"), validators=[Optional(), Length(max=2000)])
    is_virtual = BooleanField(_l("Virtual classroom"))
    meeting_url = StringField(_l("Meeting link"), validators=[Optional(), Length(max=500)])
    holiday_region = SelectField(
        _l("Bank holidays"),
        description=_l("Whose bank holidays the timetable skips here, when not your organisation's."),
        choices=[
            SelectChoice("", _l("The organisation's")),
            *(SelectChoice(k, v) for k, v in HOLIDAY_REGION_TITLES.items()),
        ],
        validators=[Optional()],
    )

    def to_input(self) -> VenueInput:
        return VenueInput(
            name=self.name.data,
            address=self.address.data,
            postcode=self.postcode.data,
            capacity=self.capacity.data,
            step_free=self.step_free.data,
            has_creche=self.has_creche.data,
            accessibility_notes=self.accessibility_notes.data,
            is_virtual=self.is_virtual.data,
            meeting_url=self.meeting_url.data,
            holiday_region=self.holiday_region.data or None,
        )


class CohortForm(BaseForm):
    name = StringField(
        _l("Name"),
        description=_l("For example: Hospitality, Tuesday and Thursday, autumn 2026."),
        validators=[DataRequired(), Length(max=200)],
    )
    course_id = IdSelectField(_l("Course"), validators=[InputRequired()])
    programme_id = IdSelectField(_l("Programme"))
    venue_id = IdSelectField(_l("Venue"))
    start_date = DateField(_l("Starts"), validators=[InputRequired()])
    end_date = DateField(_l("Ends"), validators=[InputRequired()])
    capacity = IntegerField(_l("Places for learners"), validators=[Optional(), NumberRange(min=0, max=1000)])
    creche_capacity = IntegerField(_l("Crèche places"), default=0, validators=[Optional(), NumberRange(min=0, max=200)])
    interpreter_capacity = IntegerField(
        _l("Places with an interpreter"), default=0, validators=[Optional(), NumberRange(min=0, max=1000)]
    )
    delivery_mode = SelectField(_l("Delivery"), choices=enum_choices(DeliveryMode))
    delivery_setting = SelectField(_l("Where"), choices=enum_choices(DeliverySetting))
    status = SelectField(_l("Status"), choices=enum_choices(CohortStatus))
    is_drop_in = BooleanField(_l("Drop-in group (no fixed roster)"))
    allow_late_joiners = BooleanField(_l("Take late joiners after it starts"))
    offer_hours = IntegerField(
        _l("Hours a waitlist offer stays open"), default=72, validators=[Optional(), NumberRange(min=1, max=720)]
    )
    what_to_bring = StringField(_l("What to bring"), validators=[Optional(), Length(max=500)])

    def to_input(self) -> CohortInput:
        return CohortInput(
            name=self.name.data,
            course_id=optional_id(self.course_id.data),
            programme_id=optional_id(self.programme_id.data),
            venue_id=optional_id(self.venue_id.data),
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            capacity=self.capacity.data,
            creche_capacity=self.creche_capacity.data,
            interpreter_capacity=self.interpreter_capacity.data,
            delivery_mode=DeliveryMode(self.delivery_mode.data),
            delivery_setting=DeliverySetting(self.delivery_setting.data),
            status=self.status.data or None,
            is_drop_in=self.is_drop_in.data,
            allow_late_joiners=self.allow_late_joiners.data,
            offer_hours=self.offer_hours.data,
            what_to_bring=self.what_to_bring.data,
        )


class EnrolForm(BaseForm):
    learner_ids = IdsField(_l("Learners"))


class WithdrawForm(BaseForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class ReferralForm(BaseForm):
    learner_id = IdSelectField(_l("Learner"), validators=[InputRequired()])
    source = SelectField(_l("Referred by"), choices=enum_choices(ReferralSource))
    referrer_organisation_id = IdSelectField(_l("Referring organisation"))
    referrer_name = StringField(_l("Referrer's name"), validators=[Optional(), Length(max=200)])
    referrer_email = StringField(_l("Referrer's e-mail address"), validators=[Optional(), Length(max=254)])
    referrer_phone = StringField(_l("Referrer's phone number"), validators=[Optional(), Length(max=30)])
    consent_to_share_progress = BooleanField(_l("The learner agrees we may tell the referrer how they are doing"))
    cohort_id = IdSelectField(_l("Cohort asked for"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])

    def to_input(self) -> ReferralInput:
        return ReferralInput(
            source=ReferralSource(self.source.data),
            referrer_organisation_id=optional_id(self.referrer_organisation_id.data),
            referrer_name=self.referrer_name.data,
            referrer_email=self.referrer_email.data,
            referrer_phone=self.referrer_phone.data,
            consent_to_share_progress=self.consent_to_share_progress.data,
            cohort_id=optional_id(self.cohort_id.data),
            notes=self.notes.data,
        )


class ReferralDecisionForm(BaseForm):
    cohort_id = IdSelectField(_l("Cohort"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class DropInForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class MergeForm(BaseForm):
    learner_id = IdSelectField(_l("Learner record"), validators=[InputRequired()])
