"""Reads for cohorts and enrolments shared by views (and later reports and the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from lms.core.roles import Role
from lms.courses.models import Course
from lms.extensions import db
from lms.people.models import Learner, User, UserRole
from lms.people.queries import learner_search
from lms.scheduling.models import (
    Cohort,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
    Referral,
    ReferralStatus,
    Session,
    SessionEducator,
    SessionStatus,
    Venue,
)


def cohorts_page_select(organisation_id: int, *, status: str = "", search: str = "") -> sa.Select:
    """Cohorts with their course, venue and waitlist length, in one query."""
    waiting = (
        sa.select(sa.func.count())
        .where(Enrolment.cohort_id == Cohort.id, Enrolment.status == EnrolmentStatus.WAITLISTED)
        .correlate(Cohort)
        .scalar_subquery()
    )
    query = (
        sa.select(Cohort, waiting.label("waiting"))
        .where(Cohort.organisation_id == organisation_id)
        .options(joinedload(Cohort.course), joinedload(Cohort.venue), joinedload(Cohort.programme))
        .order_by(Cohort.start_date.desc(), Cohort.name)
    )
    if status in CohortStatus.__members__.values():
        query = query.where(Cohort.status == status)
    if search:
        query = query.where(Cohort.name.ilike("%" + search.replace("%", r"\%").replace("_", r"\_") + "%", escape="\\"))
    return query


def enrolments_of(cohort_id: int) -> list[Enrolment]:
    """Everyone in a cohort with their learner, ordered for the roster: one query."""
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.cohort_id == cohort_id)
            .options(joinedload(Enrolment.learner))
            .order_by(Enrolment.requested_dt, Enrolment.id)
        )
    )


def learners_not_in(cohort: Cohort, search: str = "", limit: int = 200) -> list[Learner]:
    in_cohort = sa.select(Enrolment.learner_id).where(Enrolment.cohort_id == cohort.id)
    query = sa.select(Learner).where(Learner.organisation_id == cohort.organisation_id, Learner.id.not_in(in_cohort))
    if search:
        query = query.where(learner_search(search))
    return list(db.session.scalars(query.order_by(Learner.family_name_latin, Learner.given_name_latin).limit(limit)))


def referrals_select(organisation_id: int, status: str = "new") -> sa.Select:
    query = (
        sa.select(Referral)
        .where(Referral.organisation_id == organisation_id)
        .options(joinedload(Referral.learner), joinedload(Referral.cohort), joinedload(Referral.referrer_organisation))
        .order_by(Referral.received_dt)
    )
    if status in ReferralStatus.__members__.values():
        query = query.where(Referral.status == status)
    return query


def enrolments_of_learner(learner_id: int) -> list[Enrolment]:
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.learner_id == learner_id)
            .options(
                selectinload(Enrolment.cohort).joinedload(Cohort.course),
                selectinload(Enrolment.cohort).joinedload(Cohort.programme),
                selectinload(Enrolment.cohort).joinedload(Cohort.venue),
            )
            .order_by(Enrolment.requested_dt.desc())
        )
    )


def open_cohorts(organisation_id: int) -> list[Cohort]:
    return list(
        db.session.scalars(
            sa.select(Cohort)
            .where(
                Cohort.organisation_id == organisation_id,
                Cohort.status == CohortStatus.OPEN,
                Cohort.is_drop_in.is_(False),
            )
            .options(joinedload(Cohort.course).selectinload(Course.translations), joinedload(Cohort.venue))
            .order_by(Cohort.start_date)
        )
    )


def venues_of(organisation_id: int, include_archived: bool = False) -> list[Venue]:
    query = sa.select(Venue).where(Venue.organisation_id == organisation_id)
    if not include_archived:
        query = query.where(Venue.is_archived.is_(False))
    return list(db.session.scalars(query.order_by(Venue.name)))


def sessions_between(
    organisation_id: int,
    start: datetime,
    end: datetime,
    *,
    venue_id: int | None = None,
    educator_id: int | None = None,
    cohort_id: int | None = None,
) -> list[Session]:
    """Sessions starting in [start, end) with cohort, course, venue, room and educators: three queries."""
    query = (
        sa.select(Session)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(Cohort.organisation_id == organisation_id, Session.start_dt >= start, Session.start_dt < end)
        .options(
            joinedload(Session.cohort).joinedload(Cohort.course),
            joinedload(Session.venue),
            joinedload(Session.room),
            selectinload(Session.educator_links).joinedload(SessionEducator.user),
        )
        .order_by(Session.start_dt, Session.id)
    )
    if venue_id:
        query = query.where(Session.venue_id == venue_id)
    if educator_id:
        query = query.where(
            Session.id.in_(sa.select(SessionEducator.session_id).where(SessionEducator.user_id == educator_id))
        )
    if cohort_id:
        query = query.where(Session.cohort_id == cohort_id)
    return list(db.session.scalars(query).unique())


def first_sessions_between(
    organisation_id: int, start: datetime, end: datetime, limit: int
) -> tuple[int, list[Session]]:
    """How many sessions start in [start, end), and the first `limit` of them with their cohort: two
    bounded statements, for lists that show a few (the dashboard's week)."""
    in_range = sa.and_(Cohort.organisation_id == organisation_id, Session.start_dt >= start, Session.start_dt < end)
    total = db.session.scalar(
        sa.select(sa.func.count(Session.id)).join(Cohort, Cohort.id == Session.cohort_id).where(in_range)
    )
    first = db.session.scalars(
        sa.select(Session)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(in_range)
        .options(sa.orm.contains_eager(Session.cohort))
        .order_by(Session.start_dt, Session.id)
        .limit(limit)
    )
    return total or 0, list(first)


def workload(organisation_id: int, start: datetime, end: datetime) -> list[tuple[str, int, float]]:
    """Hours taught per educator in [start, end): (name, sessions, hours), busiest first. One query."""
    hours = sa.func.sum(_duration_hours())
    rows = db.session.execute(
        sa.select(User.display_name, sa.func.count(Session.id), hours)
        .join(SessionEducator, SessionEducator.user_id == User.id)
        .join(Session, Session.id == SessionEducator.session_id)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(
            Cohort.organisation_id == organisation_id,
            Session.status == SessionStatus.SCHEDULED,
            Session.start_dt >= start,
            Session.start_dt < end,
        )
        .group_by(User.id, User.display_name)
        .order_by(hours.desc(), User.display_name)
    )
    return [(name, count, round(float(total or 0), 2)) for name, count, total in rows]


def _duration_hours() -> sa.ColumnElement:
    """Session length in hours, in SQL that both databases understand."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.extract("epoch", Session.end_dt - Session.start_dt) / 3600.0
    return (sa.func.julianday(Session.end_dt) - sa.func.julianday(Session.start_dt)) * 24.0


def sessions_needing_decision(organisation_id: int) -> list[Session]:
    return list(
        db.session.scalars(
            sa.select(Session)
            .join(Cohort, Cohort.id == Session.cohort_id)
            .where(
                Cohort.organisation_id == organisation_id,
                Session.needs_decision.is_(True),
                Session.status == SessionStatus.SCHEDULED,
            )
            .options(joinedload(Session.cohort))
            .order_by(Session.start_dt)
        )
    )


def educators_of(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.organisation_id == organisation_id, UserRole.role == Role.EDUCATOR)
            .order_by(User.display_name)
        )
    )


@dataclass
class LiveCohorts:
    """The first few cohorts (planned, open or running) nearly full, under half full and with a
    waitlist, and how many there are of each."""

    filling: list[Cohort]
    under: list[Cohort]
    waiting: list[tuple[Cohort, int]]
    totals: dict[str, int]


def live_cohort_lists(organisation_id: int, limit: int) -> LiveCohorts:
    """Five bounded statements, however many cohorts the organisation has run."""
    live = sa.and_(
        Cohort.organisation_id == organisation_id,
        Cohort.status.in_([CohortStatus.OPEN, CohortStatus.RUNNING, CohortStatus.PLANNED]),
        Cohort.is_drop_in.is_(False),
        Cohort.capacity > 0,
    )
    filling = Cohort.places_taken * 10 >= Cohort.capacity * 9
    under = Cohort.places_taken * 2 < Cohort.capacity
    waiting = (
        sa.select(Enrolment.cohort_id, sa.func.count().label("waiting"))
        .where(Enrolment.status == EnrolmentStatus.WAITLISTED)
        .group_by(Enrolment.cohort_id)
        .subquery()
    )
    by_start = (Cohort.start_date, Cohort.id)
    totals = db.session.execute(
        sa.select(
            sa.func.count(sa.case((filling, Cohort.id))),
            sa.func.count(sa.case((under, Cohort.id))),
            sa.func.count(waiting.c.cohort_id),
        )
        .outerjoin(waiting, waiting.c.cohort_id == Cohort.id)
        .where(live)
    ).one()
    return LiveCohorts(
        filling=list(db.session.scalars(sa.select(Cohort).where(live, filling).order_by(*by_start).limit(limit))),
        under=list(db.session.scalars(sa.select(Cohort).where(live, under).order_by(*by_start).limit(limit))),
        waiting=[
            (cohort, count)
            for cohort, count in db.session.execute(
                sa.select(Cohort, waiting.c.waiting)
                .join(waiting, waiting.c.cohort_id == Cohort.id)
                .where(live)
                .order_by(waiting.c.waiting.desc(), *by_start)
                .limit(limit)
            )
        ],
        totals={"filling": totals[0], "under": totals[1], "waiting": totals[2]},
    )
