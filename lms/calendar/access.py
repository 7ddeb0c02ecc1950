"""Who may download a cohort's or a session's .ics: those who may read the cohort (the scheduling
rule: its coordinators and the educators who teach it), and learners with a place on it (the cohorts
their own feed holds).

Feeds themselves need no login: the secret token in the URL is the key, and only those who may
manage the user, cohort or venue issue or stop one (`lms/scheduling/access.py`, `lms/people/access.py`).
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.calendar.feeds import ON_FEED
from lms.core.access import get_or_404
from lms.extensions import db
from lms.people.models import User
from lms.scheduling.access import can_read_cohort, readable_cohorts
from lms.scheduling.models import Cohort, Enrolment, Session


def _attended_cohorts(user: User) -> sa.Select | None:
    if user.learner is None:
        return None
    return (
        sa.select(Enrolment.cohort_id)
        .where(Enrolment.learner_id == user.learner.id, Enrolment.status.in_(ON_FEED))
        .correlate(None)
    )


def can_download_cohort(user: User, cohort: Cohort) -> bool:
    if can_read_cohort(user, cohort):
        return True
    attended = _attended_cohorts(user)
    return attended is not None and db.session.scalar(attended.where(Enrolment.cohort_id == cohort.id)) is not None


def downloadable_cohorts(user: User) -> sa.ColumnElement[bool]:
    attended = _attended_cohorts(user)
    if attended is None:
        return readable_cohorts(user)
    return sa.or_(readable_cohorts(user), Cohort.id.in_(attended))


def can_download_session(user: User, session: Session) -> bool:
    return can_download_cohort(user, session.cohort)


def load_cohort_download(cohort_id: int | None) -> Cohort:
    return get_or_404(Cohort, cohort_id, can_download_cohort)


def load_session_download(session_id: int | None) -> Session:
    return get_or_404(Session, session_id, can_download_session)
