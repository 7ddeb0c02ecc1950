"""What the learner services take. Rules are checked by the services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import Field, field_validator

from lms.core.esol import EsolLevel
from lms.core.inputs import Input
from lms.core.roles import Role
from lms.core.subjects import CourseKind, Sector
from lms.people.models import DbsLevel, Literacy, OrganisationKind, Sex


class LearnerInput(Input):
    """A learner's details. Only the fields given are saved: the API's PATCH gives a few, the form all.

    Unlike other inputs, None given for a field is kept: it clears that field (an emptied date of birth).
    """

    given_name: str | None = Field(default=None, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    given_name_latin: str | None = Field(default=None, max_length=100)
    family_name_latin: str | None = Field(default=None, max_length=100)
    date_of_birth: date | None = None
    sex: Sex | None = None
    #: A country code or name ("IQ", "IRQ", "Iraq", "Iraqi"): the service turns it into the code.
    nationality: str | None = Field(default=None, max_length=60)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    preferred_languages: str | None = Field(default=None, max_length=200)
    interpreter_needed: bool = False
    first_language_literacy: Literacy | None = None
    childcare_needs: str | None = Field(default=None, max_length=2000)
    referral_source: str | None = Field(default=None, max_length=200)

    none_means_not_given: ClassVar[bool] = False

    @field_validator("sex", "first_language_literacy", mode="before")
    @classmethod
    def _empty_choice_is_none(cls, value: Any) -> Any:
        return value or None

    def given(self) -> dict[str, Any]:
        """The fields given, by name."""
        return self.model_dump(exclude_unset=True)


class UserInput(Input):
    """A staff account's names, login contact and roles, as an editor changes them. `organisation_id`
    is given only by an administrator moving the account to another organisation."""

    display_name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=30)
    roles: frozenset[Role] = frozenset()
    organisation_id: int | None = None


class SetupInput(Input):
    """The first organisation and its first administrator, from the setup page or `lms init`."""

    organisation_name: str = Field(default="", max_length=200)
    kind: OrganisationKind = OrganisationKind.PROVIDER
    timezone: str = Field(default="Europe/London", max_length=64)
    holiday_region: str = Field(default="ENG", max_length=3)
    admin_name: str = Field(default="", max_length=200)
    admin_email: str = Field(default="", max_length=254)
    password: str = Field(default="", max_length=200)


class OrganisationSettingsInput(Input):
    """What an administrator sets for their organisation on its settings page."""

    name: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=1000)
    #: a supported locale code; None: each user's browser language
    default_locale: str | None = None
    #: a key of people.models.HOLIDAY_REGION_TITLES
    holiday_region: str = "ENG"
    signatory_name: str = Field(default="", max_length=200)
    signatory_title: str = Field(default="", max_length=200)
    educators_issue_certificates: bool = False


class DbsInput(Input):
    """An educator's DBS check. Everything empty removes the check; the recheck date may be left for
    the service to work out from the issue date."""

    level: DbsLevel | None = None
    certificate_number: str | None = Field(default=None, max_length=20)
    issue_date: date | None = None
    update_service: bool = False
    recheck_date: date | None = None

    @field_validator("level", mode="before")
    @classmethod
    def _empty_choice_is_none(cls, value: Any) -> Any:
        return value or None


class TeachingInput(Input):
    """What an educator may teach, and whether she volunteers."""

    subjects: list[CourseKind] = Field(default_factory=list)
    sectors: list[Sector] = Field(default_factory=list)
    esol_levels: list[EsolLevel] = Field(default_factory=list)
    is_volunteer: bool = False
    qualifications: str = Field(default="", max_length=2000)
    skills: str = Field(default="", max_length=2000)


class VolunteerHoursInput(Input):
    work_date: date | None = None
    hours: Decimal | None = None
    note: str = Field(default="", max_length=200)
