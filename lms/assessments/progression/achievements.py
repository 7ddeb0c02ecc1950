"""Writes for learner achievements: ESOL levels, completed courses, external certificates."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from lms.assessments.progression.models import (
    AssessmentKind,
    CompletionSource,
    CourseCompletion,
    EsolAssessment,
    ExternalCertificate,
)
from lms.core import audit
from lms.core.errors import ServiceError
from lms.core.esol import EsolLevel, EsolSkill
from lms.core.i18n import _
from lms.core.time import today_local
from lms.courses.models import CertificateKind, CertificateType, Course
from lms.extensions import db
from lms.people.models import Learner, User


def _not_future(on: date | None, field: str) -> date:
    if on is None:
        raise ServiceError(_("Enter the date."), field=field)
    if on > today_local():
        raise ServiceError(_("The date cannot be in the future."), field=field)
    return on


def record_esol_levels(
    learner: Learner,
    levels: dict[str, str | None],
    kind: AssessmentKind | str,
    assessed: date | None,
    actor: User,
    note: str = "",
) -> list[EsolAssessment]:
    """Record the levels assessed on one date, one row per skill given."""
    assessed = _not_future(assessed, "assessed_date")
    try:
        kind = AssessmentKind(kind)
        parsed = {EsolSkill(skill): EsolLevel(level) for skill, level in levels.items() if level}
    except ValueError:
        raise ServiceError(_("Choose ESOL levels and skills from the lists."))
    if not parsed:
        raise ServiceError(_("Give a level for at least one skill."))
    records = [
        EsolAssessment(
            learner_id=learner.id,
            skill=skill,
            level=level,
            kind=kind,
            assessed_date=assessed,
            assessor_id=actor.id,
            note=(note or "").strip(),
        )
        for skill, level in parsed.items()
    ]
    db.session.add_all(records)
    db.session.flush()
    audit.record(
        "learner.esol.record",
        actor_id=actor.id,
        subject_type="learner",
        subject_id=learner.id,
        skills=sorted(skill.value for skill in parsed),
    )
    return records


def record_prior_completion(
    learner: Learner, course: Course, completed: date | None, note: str, actor: User
) -> CourseCompletion:
    """A course the learner finished before joining us (or elsewhere), so pathways count it."""
    completed = _not_future(completed, "completed_date")
    if course.organisation_id != learner.organisation_id:
        raise ServiceError(_("Choose the course."), field="course_id")
    if db.session.scalar(
        sa.select(CourseCompletion.id).where(
            CourseCompletion.learner_id == learner.id, CourseCompletion.course_id == course.id
        )
    ):
        raise ServiceError(_("This course is already recorded as completed."), field="course_id")
    completion = CourseCompletion(
        learner_id=learner.id,
        course_id=course.id,
        completed_date=completed,
        source=CompletionSource.PRIOR_LEARNING,
        note=(note or "").strip(),
        recorded_by_id=actor.id,
    )
    db.session.add(completion)
    db.session.flush()
    audit.record(
        "learner.completion.record",
        actor_id=actor.id,
        subject_type="learner",
        subject_id=learner.id,
        course_id=course.id,
    )
    return completion


def expiry_for(certificate_type: CertificateType, issued: date, renewal: bool = False) -> date | None:
    months = (
        certificate_type.renewal_validity_months
        if renewal and certificate_type.renewal_validity_months
        else certificate_type.validity_months
    )
    return issued + relativedelta(months=months) - relativedelta(days=1) if months else None


def record_external_certificate(
    learner: Learner,
    certificate_type: CertificateType,
    *,
    number: str,
    issued: date | None,
    expiry: date | None,
    renewal: bool,
    evidence_seen: bool,
    actor: User,
) -> ExternalCertificate:
    issued = _not_future(issued, "issued_date")
    if certificate_type.kind is not CertificateKind.EXTERNAL:
        raise ServiceError(_("Certificates we issue are recorded when they are issued."), field="certificate_type_id")
    expiry = expiry or expiry_for(certificate_type, issued, renewal)
    if expiry is not None and expiry < issued:
        raise ServiceError(_("The expiry date must be after the issue date."), field="expiry_date")
    certificate = ExternalCertificate(
        learner_id=learner.id,
        certificate_type_id=certificate_type.id,
        number=(number or "").strip(),
        issued_date=issued,
        expiry_date=expiry,
        evidence_seen=evidence_seen,
        recorded_by_id=actor.id,
    )
    db.session.add(certificate)
    db.session.flush()
    audit.record(
        "learner.certificate.record",
        actor_id=actor.id,
        subject_type="learner",
        subject_id=learner.id,
        certificate_type_id=certificate_type.id,
    )
    return certificate
