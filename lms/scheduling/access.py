"""Who may see and change cohorts, venues, sessions, enrolments and referrals.

One predicate, one SQL filter and one loader per kind; pages, the API, exports and calendar
downloads use them alike. Sessions, enrolments and drop-in attendees follow their cohort.

Issue #16 will narrow what educators read (today: every cohort of their organisation); the
`can_read_*` / `readable_*` functions here are the one place that narrowing goes.
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.core.access import coordinator_filter, get_or_404, is_coordinator_of, is_staff_of, staff_filter
from lms.core.roles import Role
from lms.people.access import can_manage_user
from lms.people.models import User
from lms.scheduling.models import Cohort, DropInAttendee, Enrolment, Referral, Session, Venue

# --- cohorts -------------------------------------------------------------------------------------


def can_read_cohort(user: User, cohort: Cohort) -> bool:
    """Staff of the cohort's organisation (educators: every cohort of it, until issue #16)."""
    return is_staff_of(user, cohort.organisation_id)


def readable_cohorts(user: User) -> sa.ColumnElement[bool]:
    return staff_filter(user, Cohort.organisation_id)


def can_manage_cohort(user: User, cohort: Cohort) -> bool:
    """Coordinators of the cohort's organisation: edit, enrol, timetable, staff, calendar links."""
    return is_coordinator_of(user, cohort.organisation_id)


def manageable_cohorts(user: User) -> sa.ColumnElement[bool]:
    return coordinator_filter(user, Cohort.organisation_id)


def can_add_cohort(user: User) -> bool:
    """Coordinators create cohorts (and venues, referrals) in their own organisation."""
    return is_coordinator_of(user, user.organisation_id)


def can_request_place(user: User, cohort: Cohort) -> bool:
    """A learner asks for a place on a cohort of their own organisation."""
    return user.learner is not None and cohort.organisation_id == user.learner.organisation_id


def load_cohort(cohort_id: int | None, *, manage: bool = False) -> Cohort:
    return get_or_404(Cohort, cohort_id, can_manage_cohort if manage else can_read_cohort)


def _of_cohorts(column: sa.orm.QueryableAttribute[int], cohorts: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """A filter on a `cohort_id` column: the rows whose cohort passes `cohorts`."""
    if isinstance(cohorts, sa.True_ | sa.False_):  # administrators, or nobody: no subquery needed
        return cohorts
    return column.in_(sa.select(Cohort.id).where(cohorts).correlate(None))


# --- venues --------------------------------------------------------------------------------------


def can_read_venue(user: User, venue: Venue) -> bool:
    return is_staff_of(user, venue.organisation_id)


def readable_venues(user: User) -> sa.ColumnElement[bool]:
    return staff_filter(user, Venue.organisation_id)


def can_manage_venue(user: User, venue: Venue) -> bool:
    return is_coordinator_of(user, venue.organisation_id)


def manageable_venues(user: User) -> sa.ColumnElement[bool]:
    return coordinator_filter(user, Venue.organisation_id)


def load_venue(venue_id: int | None, *, manage: bool = False) -> Venue:
    return get_or_404(Venue, venue_id, can_manage_venue if manage else can_read_venue)


# --- sessions ------------------------------------------------------------------------------------


def can_read_session(user: User, session: Session) -> bool:
    return can_read_cohort(user, session.cohort)


def readable_sessions(user: User) -> sa.ColumnElement[bool]:
    return _of_cohorts(Session.cohort_id, readable_cohorts(user))


def can_manage_session(user: User, session: Session) -> bool:
    return can_manage_cohort(user, session.cohort)


def manageable_sessions(user: User) -> sa.ColumnElement[bool]:
    return _of_cohorts(Session.cohort_id, manageable_cohorts(user))


def load_session(session_id: int | None, *, manage: bool = False) -> Session:
    return get_or_404(Session, session_id, can_manage_session if manage else can_read_session)


# --- enrolments and drop-in attendees ------------------------------------------------------------


def can_read_enrolment(user: User, enrolment: Enrolment) -> bool:
    return can_read_cohort(user, enrolment.cohort)


def readable_enrolments(user: User) -> sa.ColumnElement[bool]:
    return _of_cohorts(Enrolment.cohort_id, readable_cohorts(user))


def can_manage_enrolment(user: User, enrolment: Enrolment) -> bool:
    return can_manage_cohort(user, enrolment.cohort)


def manageable_enrolments(user: User) -> sa.ColumnElement[bool]:
    return _of_cohorts(Enrolment.cohort_id, manageable_cohorts(user))


def is_own_enrolment(user: User, enrolment: Enrolment) -> bool:
    """A learner's own place (accepting or declining an offer)."""
    return user.learner is not None and enrolment.learner_id == user.learner.id


def own_enrolments(user: User) -> sa.ColumnElement[bool]:
    return Enrolment.learner_id == user.learner.id if user.learner is not None else sa.false()


def load_enrolment(enrolment_id: int | None, *, manage: bool = False) -> Enrolment:
    return get_or_404(Enrolment, enrolment_id, can_manage_enrolment if manage else can_read_enrolment)


def can_manage_drop_in(user: User, attendee: DropInAttendee) -> bool:
    return can_manage_cohort(user, attendee.cohort)


def manageable_drop_ins(user: User) -> sa.ColumnElement[bool]:
    return _of_cohorts(DropInAttendee.cohort_id, manageable_cohorts(user))


# --- referrals -----------------------------------------------------------------------------------


def can_manage_referral(user: User, referral: Referral) -> bool:
    """Referrals are read and decided by the receiving organisation's coordinators only."""
    return is_coordinator_of(user, referral.organisation_id)


def manageable_referrals(user: User) -> sa.ColumnElement[bool]:
    return coordinator_filter(user, Referral.organisation_id)


def load_referral(referral_id: int | None) -> Referral:
    return get_or_404(Referral, referral_id, can_manage_referral)


# --- educators' availability ---------------------------------------------------------------------


def can_edit_availability(user: User, educator: User) -> bool:
    """An educator's weekly availability and absences: the educator themself, or their coordinator."""
    return educator.has_role(Role.EDUCATOR) and (educator.id == user.id or can_manage_user(user, educator))
