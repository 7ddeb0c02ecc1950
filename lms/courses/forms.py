"""Forms for programmes, courses, eligibility rules and pathways."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.core.esol import EsolLevel, EsolSkill
from lms.core.forms import BaseForm, IdSelectField, IdsField, MultiCheckboxField, enum_choices, split_lines
from lms.core.i18n import _l
from lms.core.inputs import MAX_ID, ids, optional_id
from lms.courses.inputs import CourseInput, PathwayInput, ProgrammeInput, RuleInput, StepInput
from lms.courses.models import (
    CourseKind,
    DeliveryMode,
    DeliverySetting,
    IntegrationDomain,
    ReportingScheme,
    Sector,
    StepKind,
    TargetMeasure,
)
from lms.people.models import DbsLevel, ImmigrationStatus

NONE_CHOICE = [SelectChoice("", _l("None"))]


def _optional_enum(enum_class) -> list:  # noqa: ANN001
    return [*NONE_CHOICE, *enum_choices(enum_class)]


class ProgrammeForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    funder_id = IdSelectField(_l("Funder"))
    start_date = DateField(_l("Grant starts"), validators=[InputRequired()])
    end_date = DateField(_l("Grant ends"), validators=[InputRequired()])
    strands = TextAreaField(
        _l("Strands"),
        description=_l("One per line, e.g. Employment, ESOL and skills, Wellbeing."),
        validators=[Optional(), Length(max=2000)],
    )
    partner_ids = IdsField(_l("Delivery partners"))
    reporting_scheme = SelectField(_l("Reporting periods"), choices=enum_choices(ReportingScheme))
    allowed_referral_sources = TextAreaField(
        _l("Accepted referrers"),
        description=_l("One per line. Leave empty to accept referrals from anyone."),
        validators=[Optional(), Length(max=4000)],
    )
    eligibility_rule_id = IdSelectField(_l("Eligibility rule"))
    retention_months = IntegerField(
        _l("Keep learners' details for (months after their last course)"),
        description=_l("Leave empty to keep them until removed by hand."),
        validators=[Optional(), NumberRange(min=1, max=240)],
    )

    def to_input(self) -> ProgrammeInput:
        targets = {measure: getattr(self, f"target_{measure.value}").data for measure in TargetMeasure}
        return ProgrammeInput(
            name=self.name.data,
            description=self.description.data,
            funder_id=optional_id(self.funder_id.data),
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            strands=split_lines(self.strands.data),
            partner_ids=ids(self.partner_ids.data),
            reporting_scheme=ReportingScheme(self.reporting_scheme.data),
            allowed_referral_sources=split_lines(self.allowed_referral_sources.data),
            eligibility_rule_id=optional_id(self.eligibility_rule_id.data),
            retention_months=self.retention_months.data,
            targets={measure: value for measure, value in targets.items() if value is not None},
        )


# One optional whole-number field per target measure, added to the programme form.
for _measure in TargetMeasure:
    setattr(
        ProgrammeForm,
        f"target_{_measure.value}",
        IntegerField(_measure._titles()[_measure], validators=[Optional(), NumberRange(min=0, max=10_000_000)]),
    )


class ReportingPeriodForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    start_date = DateField(_l("Starts"), validators=[InputRequired()])
    end_date = DateField(_l("Ends"), validators=[InputRequired()])


class CourseForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind of course"), choices=enum_choices(CourseKind))
    sector = SelectField(_l("Sector"), choices=_optional_enum(Sector), default="")
    esol_level = SelectField(_l("ESOL level"), choices=_optional_enum(EsolLevel), default="")
    esol_skills = MultiCheckboxField(
        _l("Skills the level applies to"),
        choices=enum_choices(EsolSkill),
        description=_l("Leave all unticked for all four skills."),
    )
    is_accredited = BooleanField(_l("Accredited"))
    qualification_id = IdSelectField(_l("Qualification"))
    summary = TextAreaField(_l("Short description"), validators=[Optional(), Length(max=2000)])
    aims = TextAreaField(_l("Aims"), validators=[Optional(), Length(max=4000)])
    learning_outcomes = TextAreaField(_l("Learning outcomes"), validators=[Optional(), Length(max=4000)])
    duration_weeks = IntegerField(_l("Duration in weeks"), validators=[Optional(), NumberRange(min=1, max=520)])
    guided_hours = DecimalField(
        _l("Guided learning hours"), places=1, validators=[Optional(), NumberRange(min=0, max=5000)]
    )
    delivery_modes = MultiCheckboxField(_l("Delivery"), choices=enum_choices(DeliveryMode))
    delivery_settings = MultiCheckboxField(_l("Where"), choices=enum_choices(DeliverySetting))
    integration_domains = MultiCheckboxField(_l("Indicators of Integration"), choices=enum_choices(IntegrationDomain))
    certificate_type_ids = IdsField(_l("Certificates it can lead to"))
    min_attendance_percent = IntegerField(
        _l("Minimum attendance to complete (%)"), validators=[Optional(), NumberRange(min=0, max=100)]
    )
    requires_signoff = BooleanField(_l("Needs the tutor's sign-off"))
    requires_assessment_pass = BooleanField(_l("Needs an assessment passed"))
    required_certificate_type_id = IdSelectField(_l("Needs this external certificate recorded"))
    required_dbs_level = SelectField(
        _l("DBS check its educators need"),
        choices=_optional_enum(DbsLevel),
        default="",
        description=_l("Leave as none for any current check."),
    )

    def to_input(self) -> CourseInput:
        return CourseInput(
            title=self.title.data,
            code=self.code.data,
            kind=self.kind.data,
            sector=self.sector.data or None,
            esol_level=self.esol_level.data or None,
            esol_skills=self.esol_skills.data or [],
            is_accredited=self.is_accredited.data,
            qualification_id=optional_id(self.qualification_id.data),
            summary=self.summary.data,
            aims=self.aims.data,
            learning_outcomes=self.learning_outcomes.data,
            duration_weeks=self.duration_weeks.data,
            guided_hours=self.guided_hours.data,
            delivery_modes=self.delivery_modes.data or [],
            delivery_settings=self.delivery_settings.data or [],
            integration_domains=self.integration_domains.data or [],
            certificate_type_ids=ids(self.certificate_type_ids.data),
            min_attendance_percent=self.min_attendance_percent.data,
            requires_signoff=self.requires_signoff.data,
            requires_assessment_pass=self.requires_assessment_pass.data,
            required_certificate_type_id=optional_id(self.required_certificate_type_id.data),
            required_dbs_level=self.required_dbs_level.data or None,
        )


class CourseTranslationForm(BaseForm):
    locale = StringField(
        _l("Language code"),
        description=_l("For example ar, fa-AF, ps, ckb, ti, uk."),
        validators=[DataRequired(), Length(max=20)],
    )
    title = StringField(_l("Title in that language"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Short description in that language"), validators=[Optional(), Length(max=2000)])


class RuleForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    statuses_1 = MultiCheckboxField(_l("Accepted immigration statuses"), choices=enum_choices(ImmigrationStatus))
    months_1 = IntegerField(_l("Held for at least (months)"), validators=[Optional(), NumberRange(min=0, max=120)])
    statuses_2 = MultiCheckboxField(_l("Or these statuses"), choices=enum_choices(ImmigrationStatus))
    months_2 = IntegerField(_l("Held for at least (months)"), validators=[Optional(), NumberRange(min=0, max=120)])
    min_age = IntegerField(_l("Minimum age"), validators=[Optional(), NumberRange(min=0, max=120)])
    max_age = IntegerField(_l("Maximum age"), validators=[Optional(), NumberRange(min=0, max=120)])
    referral_sources = TextAreaField(
        _l("Accepted referrers"),
        description=_l("One per line; empty accepts anyone."),
        validators=[Optional(), Length(max=4000)],
    )
    esol_min = SelectField(_l("Lowest ESOL level"), choices=_optional_enum(EsolLevel), default="")
    esol_max = SelectField(_l("Highest ESOL level"), choices=_optional_enum(EsolLevel), default="")
    esol_skills = MultiCheckboxField(
        _l("ESOL skills checked"),
        choices=enum_choices(EsolSkill),
        description=_l("Leave all unticked to check all four."),
    )

    def to_input(self) -> RuleInput:
        return RuleInput(
            name=self.name.data,
            description=self.description.data,
            conditions={
                "immigration": [
                    {"statuses": self.statuses_1.data, "min_months": self.months_1.data or 0},
                    {"statuses": self.statuses_2.data, "min_months": self.months_2.data or 0},
                ],
                "age": {"min": self.min_age.data, "max": self.max_age.data},
                "referral_sources": split_lines(self.referral_sources.data),
                "esol": {"min": self.esol_min.data, "max": self.esol_max.data, "skills": self.esol_skills.data},
            },
        )


class RuleCheckForm(BaseForm):
    learner_id = IntegerField(_l("Learner number"), validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    on_date = DateField(_l("On date"), validators=[InputRequired()])


class PathwayForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])

    def to_input(self) -> PathwayInput:
        return PathwayInput(name=self.name.data, description=self.description.data)


class StepForm(BaseForm):
    kind = SelectField(_l("Kind of step"), choices=enum_choices(StepKind))
    course_id = IdSelectField(_l("Course or placement"))
    certificate_type_id = IdSelectField(_l("Certificate"))
    is_required = BooleanField(_l("Required (untick for an optional step)"), default=True)
    prerequisite_ids = IdsField(_l("Needs these steps completed first"))
    prerequisites_any = BooleanField(_l("Any one of them is enough"))
    min_speaking = SelectField(_l("Minimum speaking level"), choices=_optional_enum(EsolLevel), default="")
    min_listening = SelectField(_l("Minimum listening level"), choices=_optional_enum(EsolLevel), default="")
    min_reading = SelectField(_l("Minimum reading level"), choices=_optional_enum(EsolLevel), default="")
    min_writing = SelectField(_l("Minimum writing level"), choices=_optional_enum(EsolLevel), default="")
    min_age = IntegerField(_l("Minimum age"), validators=[Optional(), NumberRange(min=0, max=120)])
    max_age = IntegerField(_l("Maximum age"), validators=[Optional(), NumberRange(min=0, max=120)])
    eligibility_rule_id = IdSelectField(_l("Eligibility rule"))

    def to_input(self) -> StepInput:
        return StepInput(
            kind=self.kind.data,
            course_id=optional_id(self.course_id.data),
            certificate_type_id=optional_id(self.certificate_type_id.data),
            is_required=self.is_required.data,
            prerequisite_ids=ids(self.prerequisite_ids.data),
            prerequisites_any=self.prerequisites_any.data,
            min_esol_levels={skill.value: getattr(self, f"min_{skill.value}").data for skill in EsolSkill},
            min_age=self.min_age.data,
            max_age=self.max_age.data,
            eligibility_rule_id=optional_id(self.eligibility_rule_id.data),
        )


class MembershipForm(BaseForm):
    learner_id = IdSelectField(_l("Learner"), validators=[InputRequired()])
    joined_date = DateField(_l("Joined on"), validators=[InputRequired()])
