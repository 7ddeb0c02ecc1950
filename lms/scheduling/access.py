"""Who may see and change cohorts, venues, sessions, enrolments and referrals.

One predicate, one SQL filter and one loader per kind; pages, the API, exports and calendar
downloads use them alike. Sessions, enrolments and drop-in attendees follow their cohort.

Need to know: coordinators read every cohort of their organisation; an educator reads the cohorts they
teach (`teaches_cohort`: assigned to the cohort, or to or covering one of its sessions), with their
sessions and rosters, and nothing of the others. Venues (and the rooms in them) carry no learner data,
so every educator of the organisation reads those.
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.core.access import coordinator_filter, get_or_404, is_coordinator_of, is_staff_of, staff_filter
from lms.core.roles import Role
from lms.extensions import db
from lms.people.access import can_view_educator
from lms.people.models import Learner, User
from lms.scheduling.models import (
    Cohort,
    CohortEducator,
    DropInAttendee,
    Enrolment,
    EnrolmentStatus,
    Referral,
    Session,
    SessionEducator,
    Venue,
)

# --- teaching a cohort ---------------------------------------------------------------------------


def teaches_cohort(user: User, cohort: Cohort) -> bool:
    """An educator of the cohort's organisation assigned to the cohort, or to (or covering) one of its
    sessions. The one "teaches this cohort" rule: reading the cohort, marking its registers as a whole
    (`lms/assessments/attendance/access.py`) and its learning plans build on it."""
    if not user.has_role(Role.EDUCATOR) or user.organisation_id != cohort.organisation_id:
        return False
    if db.session.get(CohortEducator, (cohort.id, user.id)) is not None:
        return True
    on_session = (
        sa.select(SessionEducator.session_id)
        .join(Session, Session.id == SessionEducator.session_id)
        .where(Session.cohort_id == cohort.id, SessionEducator.user_id == user.id)
        .limit(1)
    )
    return db.session.scalar(on_session) is not None


def cohorts_taught_by(user: User) -> sa.ColumnElement[bool]:
    """`teaches_cohort` as a WHERE clause over Cohort."""
    if not user.has_role(Role.EDUCATOR):
        return sa.false()
    on_cohort = sa.select(CohortEducator.cohort_id).where(CohortEducator.user_id == user.id).correlate(None)
    on_session = (
        sa.select(Session.cohort_id)
        .join(SessionEducator, SessionEducator.session_id == Session.id)
        .where(SessionEducator.user_id == user.id)
        .correlate(None)
    )
    return sa.and_(
        Cohort.organisation_id == user.organisation_id, sa.or_(Cohort.id.in_(on_cohort), Cohort.id.in_(on_session))
    )


#: The places on a cohort whose learners its educators teach: its roster, past and present.
TAUGHT_PLACES = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.DID_NOT_COMPLETE)


def teaches_learner(user: User, learner: Learner) -> bool:
    """An educator who teaches (or covers) a cohort the learner has a place on (`teaches_cohort`): the
    learners of her rosters. `lms/people/access.py` hears of this rule at start-up (people sits below
    scheduling): it lets her open their record and progress, never their sensitive details."""
    taught = cohorts_taught_by(user)
    if isinstance(taught, sa.False_) or learner.organisation_id != user.organisation_id:
        return False
    found = (
        sa.select(Enrolment.id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Enrolment.learner_id == learner.id, Enrolment.status.in_(TAUGHT_PLACES), taught)
        .limit(1)
    )
    return db.session.scalar(found) is not None


def learners_taught_by(user: User) -> sa.ColumnElement[bool]:
    """`teaches_learner` as a WHERE clause over Learner."""
    taught = cohorts_taught_by(user)
    if isinstance(taught, sa.False_):
        return taught
    places = (
        sa.select(Enrolment.learner_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Enrolment.status.in_(TAUGHT_PLACES), taught)
        .correlate(None)
    )
    return sa.and_(Learner.organisation_id == user.organisation_id, Learner.id.in_(places))


# --- cohorts -------------------------------------------------------------------------------------


def can_read_cohort(user: User, cohort: Cohort) -> bool:
    """Coordinators of the cohort's organisation, and the educators who teach it: its page, roster
    (with crèche and interpreter needs), timetable, sessions and .ics. Other educators get 404."""
    return is_coordinator_of(user, cohort.organisation_id) or teaches_cohort(user, cohort)


def readable_cohorts(user: User) -> sa.ColumnElement[bool]:
    """`can_read_cohort` as a WHERE clause over Cohort."""
    coordinated = coordinator_filter(user, Cohort.organisation_id)
    if isinstance(coordinated, sa.True_):  # administrators
        return coordinated
    taught = cohorts_taught_by(user)
    if isinstance(taught, sa.False_):
        return coordinated
    return sa.or_(coordinated, taught)


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
    """Staff of the venue's organisation: a venue and its rooms say nothing about learners."""
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
    """Those who may read the session's cohort: a session an educator teaches or covers makes them one
    of the cohort's educators, and the cohort's timetable lists its sessions anyway."""
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
    """An educator's weekly availability and absences: the educator themself, or their coordinator (the
    same people who see her profile, `people.access.can_view_educator`)."""
    return can_view_educator(user, educator)
