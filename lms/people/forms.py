"""Forms for logging in, accounts, learners and their sensitive data."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.core.esol import EsolLevel
from lms.core.forms import BaseForm, IdSelectField, MultiCheckboxField, enum_choices
from lms.core.i18n import SUPPORTED_LOCALES, _l
from lms.core.inputs import optional_id
from lms.core.roles import Role
from lms.core.subjects import CourseKind, Sector
from lms.people.inputs import (
    DbsInput,
    LearnerInput,
    OrganisationSettingsInput,
    SetupInput,
    TeachingInput,
    UserInput,
    VolunteerHoursInput,
)
from lms.people.models import (
    HOLIDAY_REGION_TITLES,
    ConvictionFlag,
    DbsLevel,
    ImmigrationStatus,
    Literacy,
    OrganisationKind,
    Sex,
)


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class PinLoginForm(BaseForm):
    phone = TelField(_l("Mobile number"), validators=[DataRequired(), Length(max=30)])
    pin = PasswordField(_l("PIN"), validators=[DataRequired(), Length(max=8)])


class LanguageForm(BaseForm):
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, name, render_kw={"lang": code}) for code, name in SUPPORTED_LOCALES.items()],
    )


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])


class UserForm(BaseForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail address"), validators=[Optional(), Length(max=254)])
    phone = TelField(_l("Mobile number"), validators=[Optional(), Length(max=30)])
    roles = SelectMultipleField(
        _l("Roles"),
        choices=enum_choices(Role, exclude=(Role.ADMIN,)),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    password = PasswordField(
        _l("Password"),
        description=_l("Leave it empty to give them a one-time link with which they choose their own."),
        validators=[Optional(), Length(max=200)],
    )


class LearnerForm(BaseForm):
    given_name = StringField(_l("Given name (as they write it)"), validators=[DataRequired(), Length(max=100)])
    family_name = StringField(_l("Family name (as they write it)"), validators=[Optional(), Length(max=100)])
    given_name_latin = StringField(_l("Given name in Latin letters"), validators=[Optional(), Length(max=100)])
    family_name_latin = StringField(_l("Family name in Latin letters"), validators=[Optional(), Length(max=100)])
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()])
    sex = SelectField(_l("Sex"), choices=enum_choices(Sex), default=Sex.NOT_SAID.value)
    nationality = StringField(
        _l("Nationality"),
        description=_l("The country in English or its code, e.g. Iraq, Iraqi, IQ or IRQ."),
        validators=[Optional(), Length(max=60)],
    )
    phone = TelField(_l("Mobile number"), validators=[Optional(), Length(max=30)])
    email = EmailField(_l("E-mail address (optional)"), validators=[Optional(), Length(max=254)])
    preferred_languages = StringField(
        _l("Preferred languages"),
        description=_l("Language codes, most preferred first, e.g. ar, fa-AF, ckb, ti."),
        validators=[Optional(), Length(max=200)],
    )
    interpreter_needed = BooleanField(_l("Needs an interpreter"))
    first_language_literacy = SelectField(
        _l("Reading and writing in first language"),
        choices=enum_choices(Literacy),
        default=Literacy.UNKNOWN.value,
    )
    childcare_needs = TextAreaField(_l("Childcare needs"), validators=[Optional(), Length(max=2000)])
    referral_source = StringField(_l("Referred by"), validators=[Optional(), Length(max=200)])

    def to_input(self) -> LearnerInput:
        return LearnerInput(**{name: self[name].data for name in LearnerInput.model_fields})


class SensitiveForm(BaseForm):
    health_and_access_needs = TextAreaField(_l("Health and access needs"), validators=[Optional(), Length(max=4000)])
    relevant_unspent_conviction = SelectField(
        _l("Unspent conviction relevant to placements"),
        choices=enum_choices(ConvictionFlag),
        validators=[InputRequired()],
    )
    safeguarding_notes = TextAreaField(_l("Safeguarding notes"), validators=[Optional(), Length(max=4000)])


class ImmigrationStatusForm(BaseForm):
    status = SelectField(_l("Status"), choices=enum_choices(ImmigrationStatus), validators=[InputRequired()])
    from_date = DateField(_l("From"), validators=[InputRequired()])
    until_date = DateField(_l("Until (if leave expires)"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class LearnerLoginForm(BaseForm):
    pin = PasswordField(_l("PIN for the learner (4 to 8 digits)"), validators=[DataRequired(), Length(min=4, max=8)])


class ImportForm(BaseForm):
    file = FileField(
        _l("CSV or Excel file"),
        validators=[
            FileRequired(),
            FileAllowed(["csv", "txt", "xlsx"], _l("Choose a CSV file or an Excel workbook (.xlsx).")),
        ],
    )


class ImportColumnsForm(BaseForm):
    """Which learner field each column of the file fills; one select per column, named column-<n>."""

    def to_input(self, count: int) -> list[str]:
        return [getattr(self, f"column-{index}").data or "" for index in range(count)]


def import_columns_form(headers: list[str], guesses: list[str], fields: dict[str, object]) -> ImportColumnsForm:
    """The form for this file's columns, each select set to the field guessed from its heading."""

    class Form(ImportColumnsForm):
        pass

    choices = [SelectChoice("", _l("Do not import"))] + [SelectChoice(name, title) for name, title in fields.items()]
    for index, header in enumerate(headers):
        setattr(Form, f"column-{index}", SelectField(header, choices=choices, default=guesses[index]))
    return Form()


class ImportSaveForm(BaseForm):
    """Save the previewed import, or cancel it (both only with the page's token)."""


class LogoForm(BaseForm):
    logo = FileField(
        _l("Logo (PNG or JPEG, at most 1 MB and 2000 by 2000 pixels)"),
        validators=[FileRequired(), FileAllowed(["png", "jpg", "jpeg"], _l("Choose a PNG or JPEG image."))],
    )


class RemoveLogoForm(BaseForm):
    """No fields: the CSRF token is what it carries."""


def _password_again() -> PasswordField:
    return PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", _l("The two passwords are not the same."))],
    )


class UserEditForm(BaseForm):
    """An account's names, contact and roles; the view fills the role choices (administrator only for
    administrators) and, for administrators, the organisations."""

    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail address"), validators=[Optional(), Length(max=254)])
    phone = TelField(_l("Mobile number"), validators=[Optional(), Length(max=30)])
    roles = MultiCheckboxField(_l("Roles"), choices=enum_choices(Role))
    organisation_id = IdSelectField(_l("Organisation"))

    def to_input(self) -> UserInput:
        return UserInput(
            display_name=self.display_name.data or "",
            email=self.email.data,
            phone=self.phone.data,
            roles=frozenset(Role(value) for value in self.roles.data or []),
            organisation_id=optional_id(self["organisation_id"].data) if "organisation_id" in self else None,
        )


class SetPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    password_again = _password_again()


class SetupForm(BaseForm):
    """The first organisation and its administrator. `token` is asked for only when the setup code did
    not come with the link (the view keeps the link's code in the session)."""

    token = StringField(_l("Setup code"), validators=[Optional(), Length(max=100)])
    organisation_name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind of organisation"), choices=enum_choices(OrganisationKind))
    timezone = StringField(
        _l("Time zone"),
        default="Europe/London",
        description=_l("Europe/London for anywhere in the UK."),
        validators=[DataRequired(), Length(max=64)],
    )
    holiday_region = SelectField(
        _l("Whose bank holidays apply"),
        choices=[SelectChoice(code, title) for code, title in HOLIDAY_REGION_TITLES.items()],
        default="ENG",
    )
    admin_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    admin_email = EmailField(_l("Your e-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Password"),
        description=_l("At least 10 characters."),
        validators=[DataRequired(), Length(max=200)],
    )
    password_again = _password_again()

    def to_input(self) -> SetupInput:
        return SetupInput(
            organisation_name=self.organisation_name.data or "",
            kind=OrganisationKind(self.kind.data),
            timezone=self.timezone.data or "",
            holiday_region=self.holiday_region.data or "",
            admin_name=self.admin_name.data or "",
            admin_email=self.admin_email.data or "",
            password=self.password.data or "",
        )


class ConfirmForm(BaseForm):
    """No fields: a button whose CSRF token is what it carries (deactivate, reactivate, send a link)."""


class OrganisationSettingsForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    address = TextAreaField(_l("Postal address"), validators=[Optional(), Length(max=1000)])
    default_locale = SelectField(
        _l("Default language"),
        description=_l("For people who have not chosen a language themselves."),
        choices=[
            SelectChoice("", _l("The language of each person's browser")),
            *(SelectChoice(code, name, render_kw={"lang": code}) for code, name in SUPPORTED_LOCALES.items()),
        ],
        validators=[Optional()],
    )
    holiday_region = SelectField(
        _l("Bank holidays"),
        description=_l("Timetables skip these bank holidays; a venue elsewhere can have its own."),
        choices=[SelectChoice(code, title) for code, title in HOLIDAY_REGION_TITLES.items()],
    )
    signatory_name = StringField(_l("Who signs certificates"), validators=[Optional(), Length(max=200)])
    signatory_title = StringField(
        _l("Their role"), description=_l("For example: Programme Manager."), validators=[Optional(), Length(max=200)]
    )
    educators_issue_certificates = BooleanField(
        _l("Educators may issue the certificates of the cohorts they teach"),
        description=_l("Otherwise only coordinators issue certificates."),
    )

    def to_input(self) -> OrganisationSettingsInput:
        return OrganisationSettingsInput(
            name=self.name.data,
            address=self.address.data,
            default_locale=self.default_locale.data or None,
            holiday_region=self.holiday_region.data,
            signatory_name=self.signatory_name.data,
            signatory_title=self.signatory_title.data,
            educators_issue_certificates=self.educators_issue_certificates.data,
        )


# --- educators' profiles ---------------------------------------------------------------------------


def _optional_choices(enum_class) -> list[SelectChoice]:  # noqa: ANN001
    return [SelectChoice("", _l("Not recorded")), *enum_choices(enum_class)]


class DbsForm(BaseForm):
    level = SelectField(_l("Level of check"), choices=_optional_choices(DbsLevel), default="")
    certificate_number = StringField(
        _l("Certificate number"),
        description=_l("The 12 digits printed on the certificate."),
        validators=[Optional(), Length(max=20)],
    )
    issue_date = DateField(_l("Issued on"), validators=[Optional()])
    update_service = BooleanField(_l("On the DBS Update Service"))
    #: Its hint names the organisation's recheck period: the view sets it.
    recheck_date = DateField(_l("Recheck by"), validators=[Optional()])

    def to_input(self) -> DbsInput:
        return DbsInput(
            level=self.level.data or None,
            certificate_number=self.certificate_number.data,
            issue_date=self.issue_date.data,
            update_service=self.update_service.data,
            recheck_date=self.recheck_date.data,
        )


class EducatorLanguagesForm(BaseForm):
    """Choices are filled in by the view, named in the reader's language."""

    languages = MultiCheckboxField(_l("Languages she can teach or support learners in"), validate_choice=False)


class TeachingForm(BaseForm):
    subjects = MultiCheckboxField(
        _l("Kinds of course"),
        choices=enum_choices(CourseKind),
        description=_l("Leave all unticked if not recorded: she is then suggested for any course."),
    )
    sectors = MultiCheckboxField(
        _l("Sectors"), choices=enum_choices(Sector), description=_l("Leave all unticked for any sector.")
    )
    esol_levels = MultiCheckboxField(
        _l("ESOL levels"),
        choices=enum_choices(EsolLevel),
        description=_l("Leave all unticked if not recorded: she is then suggested for any level."),
    )
    is_volunteer = BooleanField(_l("Volunteer"))
    qualifications = TextAreaField(_l("Qualifications"), validators=[Optional(), Length(max=2000)])
    skills = TextAreaField(_l("Other skills"), validators=[Optional(), Length(max=2000)])

    def to_input(self) -> TeachingInput:
        return TeachingInput(
            subjects=self.subjects.data or [],
            sectors=self.sectors.data or [],
            esol_levels=self.esol_levels.data or [],
            is_volunteer=self.is_volunteer.data,
            qualifications=self.qualifications.data or "",
            skills=self.skills.data or "",
        )


class VolunteerHoursForm(BaseForm):
    work_date = DateField(_l("Day"), validators=[InputRequired()])
    hours = DecimalField(_l("Hours"), places=2, validators=[InputRequired(), NumberRange(min=0.25, max=24)])
    note = StringField(_l("What for"), validators=[Optional(), Length(max=200)])

    def to_input(self) -> VolunteerHoursInput:
        return VolunteerHoursInput(work_date=self.work_date.data, hours=self.hours.data, note=self.note.data or "")
