"""Reads for cohorts and enrolments shared by views (and later reports and the API)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from lms.courses.models import Course
from lms.extensions import db
from lms.people.models import Learner
from lms.scheduling.models import Cohort, CohortStatus, Enrolment, EnrolmentStatus, Referral, ReferralStatus, Venue


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
        pattern = "%" + search.replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(
            sa.or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (
                        Learner.given_name,
                        Learner.family_name,
                        Learner.given_name_latin,
                        Learner.family_name_latin,
                        Learner.phone,
                    )
                )
            )
        )
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
