"""What the venue, cohort and referral services take. Rules are checked by the services."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from lms.core.inputs import Input
from lms.courses.models import DeliveryMode, DeliverySetting
from lms.scheduling.models import CohortStatus, ReferralSource

DEFAULT_OFFER_HOURS = 72


class VenueInput(Input):
    name: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=1000)
    postcode: str = Field(default="", max_length=10)
    #: how many people it holds; None when it has no set limit
    capacity: int | None = None
    step_free: bool = False
    has_creche: bool = False
    accessibility_notes: str = Field(default="", max_length=2000)
    is_virtual: bool = False
    meeting_url: str = Field(default="", max_length=500)
    #: a key of HOLIDAY_REGION_TITLES; None: the organisation's
    holiday_region: str | None = None


class CohortInput(Input):
    name: str = Field(default="", max_length=200)
    course_id: int | None = None
    programme_id: int | None = None
    venue_id: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    capacity: int = 0
    creche_capacity: int = 0
    interpreter_capacity: int = 0
    delivery_mode: DeliveryMode = DeliveryMode.GROUP
    delivery_setting: DeliverySetting = DeliverySetting.IN_PERSON
    #: None keeps the cohort's status (a new cohort is planned)
    status: CohortStatus | None = None
    is_drop_in: bool = False
    allow_late_joiners: bool = False
    offer_hours: int = DEFAULT_OFFER_HOURS
    what_to_bring: str = Field(default="", max_length=500)


class ReferralInput(Input):
    source: ReferralSource = ReferralSource.PARTNER
    referrer_organisation_id: int | None = None
    referrer_name: str = Field(default="", max_length=200)
    referrer_email: str = Field(default="", max_length=254)
    referrer_phone: str = Field(default="", max_length=30)
    consent_to_share_progress: bool = False
    cohort_id: int | None = None
    notes: str = Field(default="", max_length=4000)
