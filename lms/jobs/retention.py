"""Data retention: anonymise learners whose programme's retention period has passed.

A learner is due when every cohort they were in has ended more than the longest retention period
of those cohorts' programmes ago, and they are in nothing current. Learners in any cohort without a
programme retention period are kept. A dry run lists who would be anonymised and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from lms.core import audit
from lms.extensions import db
from lms.people.models import ImmigrationStatusRecord, Learner, LearnerSensitive, Literacy, Sex, User


@dataclass(frozen=True)
class Due:
    learner_id: int
    last_end: date
    retention_months: int


def retention_due(today: date) -> list[Due]:
    from lms.courses.models import Programme
    from lms.scheduling.models import Cohort, Enrolment

    rows = db.session.execute(
        sa.select(Enrolment.learner_id, Cohort.end_date, Programme.retention_months)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .outerjoin(Programme, Programme.id == Cohort.programme_id)
        .join(Learner, Learner.id == Enrolment.learner_id)
        .where(Learner.anonymised_dt.is_(None))
    ).all()
    by_learner: dict[int, list] = {}
    for row in rows:
        by_learner.setdefault(row.learner_id, []).append(row)
    due = []
    for learner_id, enrolments in by_learner.items():
        if any(row.retention_months is None for row in enrolments):
            continue
        last_end = max(row.end_date for row in enrolments)
        months = max(row.retention_months for row in enrolments)
        if last_end + relativedelta(months=months) < today:
            due.append(Due(learner_id, last_end, months))
    return sorted(due, key=lambda d: d.learner_id)


def anonymise(learner: Learner, now) -> None:  # noqa: ANN001
    """Remove everything that identifies the learner; keep the record so funders' counts stay true."""
    learner.given_name, learner.family_name = "Removed", ""
    learner.given_name_latin = learner.family_name_latin = ""
    learner.date_of_birth, learner.phone, learner.email = None, None, None
    learner.preferred_languages = learner.childcare_needs = learner.referral_source = ""
    learner.nationality, learner.sex, learner.first_language_literacy = "", Sex.NOT_SAID, Literacy.UNKNOWN
    learner.anonymised_dt = now
    db.session.execute(sa.delete(LearnerSensitive).where(LearnerSensitive.learner_id == learner.id))
    db.session.execute(sa.delete(ImmigrationStatusRecord).where(ImmigrationStatusRecord.learner_id == learner.id))
    if learner.user_id is not None:
        user = db.session.get(User, learner.user_id)
        learner.user_id = None
        db.session.flush()
        db.session.delete(user)
    audit.record("learner.anonymise", actor_id=None, subject_type="learner", subject_id=learner.id)


def apply_retention(today: date, now, *, dry_run: bool) -> dict:  # noqa: ANN001
    due = retention_due(today)
    if not dry_run:
        for item in due:
            anonymise(db.session.get_one(Learner, item.learner_id), now)
        db.session.flush()
    return {
        "due": len(due),
        "anonymised": 0 if dry_run else len(due),
        "dry_run": dry_run,
        "learner_ids": [item.learner_id for item in due],
    }
