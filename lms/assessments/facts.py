"""Gather what rules and pathways need to know about learners, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from lms.assessments.models import CourseCompletion, EsolAssessment, ExternalCertificate
from lms.courses.rules import EsolResult, HeldCertificate, LearnerFacts, StatusPeriod
from lms.extensions import db
from lms.people.models import ImmigrationStatusRecord, Learner


def learner_facts(learner_ids: Iterable[int]) -> dict[int, LearnerFacts]:
    """Facts for many learners at once: five queries however many learners there are."""
    ids = sorted(set(learner_ids))
    if not ids:
        return {}
    facts = {
        row.id: LearnerFacts(learner_id=row.id, date_of_birth=row.date_of_birth, referral_source=row.referral_source)
        for row in db.session.execute(
            sa.select(Learner.id, Learner.date_of_birth, Learner.referral_source).where(Learner.id.in_(ids))
        )
    }
    for row in db.session.execute(
        sa.select(
            ImmigrationStatusRecord.learner_id,
            ImmigrationStatusRecord.status,
            ImmigrationStatusRecord.from_date,
            ImmigrationStatusRecord.until_date,
        ).where(ImmigrationStatusRecord.learner_id.in_(ids))
    ):
        facts[row.learner_id].immigration.append(StatusPeriod(row.status, row.from_date, row.until_date))
    for row in db.session.execute(
        sa.select(
            EsolAssessment.learner_id,
            EsolAssessment.skill,
            EsolAssessment.level,
            EsolAssessment.assessed_date,
        ).where(EsolAssessment.learner_id.in_(ids))
    ):
        facts[row.learner_id].esol_results.append(EsolResult(row.skill, row.level, row.assessed_date))
    for row in db.session.execute(
        sa.select(CourseCompletion.learner_id, CourseCompletion.course_id, CourseCompletion.completed_date).where(
            CourseCompletion.learner_id.in_(ids)
        )
    ):
        facts[row.learner_id].completed_courses[row.course_id] = row.completed_date
    for row in db.session.execute(
        sa.select(
            ExternalCertificate.learner_id,
            ExternalCertificate.certificate_type_id,
            ExternalCertificate.issued_date,
            ExternalCertificate.expiry_date,
        ).where(ExternalCertificate.learner_id.in_(ids))
    ):
        facts[row.learner_id].certificates.append(
            HeldCertificate(row.certificate_type_id, row.issued_date, row.expiry_date)
        )
    return facts
