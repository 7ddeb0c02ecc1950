"""Scheduling models, one module per topic."""

from lms.scheduling.models.cohorts import Cohort, CohortStatus, DropInAttendee, Venue, holiday_region_at
from lms.scheduling.models.enrolments import Enrolment, EnrolmentStatus, Referral, ReferralSource, ReferralStatus
from lms.scheduling.models.sessions import (
    Closure,
    CohortEducator,
    EducatorAbsence,
    EducatorAvailability,
    EducatorRole,
    Room,
    Session,
    SessionEducator,
    SessionStatus,
    TimetableRule,
)

__all__ = [
    "Closure",
    "CohortEducator",
    "EducatorAbsence",
    "EducatorAvailability",
    "EducatorRole",
    "Room",
    "Session",
    "SessionEducator",
    "SessionStatus",
    "TimetableRule",
    "Cohort",
    "CohortStatus",
    "DropInAttendee",
    "Enrolment",
    "EnrolmentStatus",
    "Referral",
    "ReferralSource",
    "ReferralStatus",
    "Venue",
    "holiday_region_at",
]
