"""Achievements as learner facts for rules and pathways: ESOL levels, completions, certificates held."""

from __future__ import annotations

import sqlalchemy as sa

from lms.assessments.progression.models import CourseCompletion, EsolAssessment, ExternalCertificate
from lms.courses.rules import EsolResult, HeldCertificate, LearnerFacts
from lms.extensions import db


def add_achievements(facts: dict[int, LearnerFacts]) -> None:
    """Three queries for the whole batch."""
    ids = list(facts)
    for row in db.session.execute(
        sa.select(
            EsolAssessment.learner_id, EsolAssessment.skill, EsolAssessment.level, EsolAssessment.assessed_date
        ).where(EsolAssessment.learner_id.in_(ids))
    ):
        facts[row.learner_id].esol_results.append(EsolResult(row.skill, row.level, row.assessed_date))
    for completion in db.session.execute(
        sa.select(CourseCompletion.learner_id, CourseCompletion.course_id, CourseCompletion.completed_date).where(
            CourseCompletion.learner_id.in_(ids)
        )
    ):
        facts[completion.learner_id].completed_courses[completion.course_id] = completion.completed_date
    for certificate in db.session.execute(
        sa.select(
            ExternalCertificate.learner_id,
            ExternalCertificate.certificate_type_id,
            ExternalCertificate.issued_date,
            ExternalCertificate.expiry_date,
        ).where(ExternalCertificate.learner_id.in_(ids))
    ):
        facts[certificate.learner_id].certificates.append(
            HeldCertificate(certificate.certificate_type_id, certificate.issued_date, certificate.expiry_date)
        )
