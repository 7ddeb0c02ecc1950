"""Scheduling models, one module per topic."""

from lms.scheduling.models.cohorts import Cohort, CohortStatus, DropInAttendee, Venue
from lms.scheduling.models.enrolments import Enrolment, EnrolmentStatus, Referral, ReferralSource, ReferralStatus

__all__ = [
    "Cohort",
    "CohortStatus",
    "DropInAttendee",
    "Enrolment",
    "EnrolmentStatus",
    "Referral",
    "ReferralSource",
    "ReferralStatus",
    "Venue",
]
