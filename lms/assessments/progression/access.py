"""Who may see and change learning plans, results, outcomes and certificates.

Teaching a cohort (its learning plans, the certificate preview) is the same circle as marking its
registers. Results, outcomes, placements and certificates belong to the learner's record: those who
may edit the learner record them; the learner sees their own.
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.assessments.attendance.access import can_mark_cohort, markable_cohorts
from lms.assessments.progression.models import Certificate, Outcome
from lms.core.access import get_or_404
from lms.extensions import db
from lms.people.access import can_edit_learner, editable_learners
from lms.people.models import Learner, User
from lms.scheduling.models import Cohort, Enrolment

# --- teaching a cohort ---------------------------------------------------------------------------


def can_teach(user: User, cohort: Cohort) -> bool:
    """Coordinators of the organisation, and the educators who teach this cohort: the people who may
    mark its registers (`can_mark_cohort`)."""
    return can_mark_cohort(user, cohort)


def taught_cohorts(user: User) -> sa.ColumnElement[bool]:
    return markable_cohorts(user)


def load_cohort_to_teach(cohort_id: int | None) -> Cohort:
    return get_or_404(Cohort, cohort_id, can_teach)


# --- learning plans (one per enrolment) ----------------------------------------------------------


def can_edit_plan(user: User, enrolment: Enrolment) -> bool:
    return can_teach(user, enrolment.cohort)


def can_view_plan(user: User, enrolment: Enrolment) -> bool:
    """Those who teach the cohort, and the learner themself (read only)."""
    own = user.learner is not None and user.learner.id == enrolment.learner_id
    return own or can_edit_plan(user, enrolment)


def viewable_plans(user: User) -> sa.ColumnElement[bool]:
    """`can_view_plan` as a WHERE clause over Enrolment."""
    taught = Enrolment.cohort_id.in_(sa.select(Cohort.id).where(taught_cohorts(user)).correlate(None))
    if user.learner is None:
        return taught
    return sa.or_(Enrolment.learner_id == user.learner.id, taught)


def load_plan_enrolment(enrolment_id: int | None) -> Enrolment:
    return get_or_404(Enrolment, enrolment_id, can_view_plan)


# --- outcomes (and results, placements: recorded on the learner) ---------------------------------


def can_manage_outcome(user: User, outcome: Outcome) -> bool:
    return can_edit_learner(user, db.session.get_one(Learner, outcome.learner_id))


def manageable_outcomes(user: User) -> sa.ColumnElement[bool]:
    return Outcome.learner_id.in_(sa.select(Learner.id).where(editable_learners(user)).correlate(None))


def load_outcome(outcome_id: int | None) -> Outcome:
    return get_or_404(Outcome, outcome_id, can_manage_outcome)


# --- certificates --------------------------------------------------------------------------------


def can_view_certificate(user: User, certificate: Certificate) -> bool:
    """The holder, and those who may edit the holder's record (they issue and revoke). Anyone with the
    code sees the public verification page instead."""
    if user.learner is not None and user.learner.id == certificate.learner_id:
        return True
    return can_edit_learner(user, db.session.get_one(Learner, certificate.learner_id))


def viewable_certificates(user: User) -> sa.ColumnElement[bool]:
    editable = Certificate.learner_id.in_(sa.select(Learner.id).where(editable_learners(user)).correlate(None))
    if user.learner is None:
        return editable
    return sa.or_(Certificate.learner_id == user.learner.id, editable)


def load_certificate(certificate_id: int | None) -> Certificate:
    return get_or_404(Certificate, certificate_id, can_view_certificate)
