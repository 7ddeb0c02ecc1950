"""Who may see and change learning plans, results, outcomes and certificates.

Teaching a cohort (its learning plans, the certificate preview, recording completion) is the same
circle as marking its registers. ESOL levels are assessed by those who teach the learner as well as
coordinators. Issuing a cohort's certificates is for coordinators, and for its educators when the
organisation allows it. Results, outcomes, placements and external certificates belong to the
learner's record: those who may edit the learner record them; the learner sees their own.
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.assessments.attendance.access import can_mark_cohort, markable_cohorts
from lms.assessments.progression.models import Certificate, Outcome
from lms.core.access import coordinator_filter, get_or_404, is_coordinator_of
from lms.core.i18n import _
from lms.extensions import db
from lms.people.access import can_edit_learner, editable_learners, taught_learners, teaches_learner
from lms.people.models import Learner, Organisation, User
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


# --- a learner's ESOL levels ---------------------------------------------------------------------


def can_assess_learner(user: User, learner: Learner) -> bool:
    """Record a learner's ESOL levels per skill: coordinators, and the educators who teach one of the
    learner's cohorts (`teaches_learner`)."""
    return can_edit_learner(user, learner) or teaches_learner(user, learner)


def assessable_learners(user: User) -> sa.ColumnElement[bool]:
    return sa.or_(editable_learners(user), taught_learners(user))


def load_learner_to_assess(learner_id: int | None) -> Learner:
    return get_or_404(Learner, learner_id, can_assess_learner)


# --- issuing a cohort's certificates -------------------------------------------------------------


def why_not_issue(user: User, cohort: Cohort) -> str | None:
    """Why this user may not issue the cohort's certificates (translated), or None when they may:
    coordinators always; the cohort's educators when the organisation's settings allow it."""
    if is_coordinator_of(user, cohort.organisation_id):
        return None
    if not can_teach(user, cohort):
        return _("Only the cohort's coordinators and educators issue its certificates.")
    if not cohort.organisation.educators_issue_certificates:
        return _(
            "Your organisation has certificates issued by coordinators only. Ask a coordinator to issue them, "
            "or an administrator to let educators issue them in the organisation settings."
        )
    return None


def can_issue_certificates(user: User, cohort: Cohort) -> bool:
    return why_not_issue(user, cohort) is None


def load_cohort_to_issue(cohort_id: int | None) -> Cohort:
    return get_or_404(Cohort, cohort_id, can_issue_certificates)


def issuing_cohorts(user: User) -> sa.ColumnElement[bool]:
    """`can_issue_certificates` as a WHERE clause over Cohort."""
    allowed = sa.select(Organisation.id).where(Organisation.educators_issue_certificates.is_(True)).correlate(None)
    return sa.or_(
        coordinator_filter(user, Cohort.organisation_id),
        sa.and_(taught_cohorts(user), Cohort.organisation_id.in_(allowed)),
    )


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
