"""Progression: learning plans (RARPA), results, outcomes, placements, completion and certificates."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from lms.assessments.attendance.models import EnrolmentAttendance
from lms.assessments.progression.inputs import (
    OutcomeInput,
    PlacementInput,
    PlanEndInput,
    PlanStartInput,
    ReviewInput,
    SelfRatings,
)
from lms.assessments.progression.models import (
    SELF_RATINGS,
    Certificate,
    CompletionSource,
    CourseCompletion,
    ExternalCertificate,
    LearningObjective,
    LearningPlan,
    ObjectiveRevision,
    Outcome,
    OutcomeKind,
    Placement,
    ProgressReview,
    QualificationResult,
    ResultGrade,
)
from lms.core import audit
from lms.core.db import text_limit
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.core.inputs import check_length
from lms.core.time import now_utc, today_local
from lms.courses.models import CertificateKind, CertificateType, Course, Qualification
from lms.extensions import db
from lms.people.models import Learner, Organisation, OrganisationKind, User
from lms.scheduling.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: codes are read aloud and typed
CODE_LENGTH = 10


def _not_future(day: date | None, field: str) -> date:
    if day is None:
        raise ServiceError(_("Enter the date."), field=field)
    if day > today_local():
        raise ServiceError(_("The date cannot be in the future."), field=field)
    return day


def _ratings(values: dict[str, int | None], keys) -> dict[str, int]:  # noqa: ANN001
    ratings = {}
    for key in keys:
        value = values.get(key)
        if value is None:
            continue
        if not 1 <= value <= 5:
            raise ServiceError(_("Ratings go from 1 to 5."), field="ratings")
        ratings[str(key)] = value
    return ratings


def _self_ratings(data: SelfRatings) -> dict[str, int]:
    return _ratings({key: getattr(data, key) for key in SELF_RATINGS}, SELF_RATINGS)


# --- the learning plan ---------------------------------------------------------------------------


def plan_for(enrolment: Enrolment) -> LearningPlan:
    plan = db.session.scalar(sa.select(LearningPlan).where(LearningPlan.enrolment_id == enrolment.id))
    if plan is None:
        plan = LearningPlan(enrolment_id=enrolment.id, learner_id=enrolment.learner_id)
        db.session.add(plan)
        db.session.flush()
    return plan


def save_start(plan: LearningPlan, data: PlanStartInput, actor: User) -> None:
    """RARPA stages 1 and 2: aims, the starting point, support needs and the starting self-ratings."""
    plan.aims, plan.starting_point, plan.support_needs = data.aims, data.starting_point, data.support_needs
    plan.start_ratings = _self_ratings(data)
    db.session.flush()
    audit.record("plan.start", actor_id=actor.id, subject_type="learner", subject_id=plan.learner_id)


def add_objective(plan: LearningPlan, text: str, actor: User) -> LearningObjective:
    text = check_length((text or "").strip(), text_limit(LearningObjective.text), "text")
    if not text:
        raise ServiceError(_("Write the objective."), field="text")
    objective = LearningObjective(position=len(plan.objectives) + 1, text=text)
    plan.objectives.append(objective)
    db.session.flush()
    return objective


def revise_objective(objective: LearningObjective, text: str, actor: User) -> None:
    """Stage 3 objectives change as the learner does; the old wording is kept."""
    text = check_length((text or "").strip(), text_limit(LearningObjective.text), "text")
    if not text:
        raise ServiceError(_("Write the objective."), field="text")
    if text != objective.text:
        objective.revisions.append(ObjectiveRevision(old_text=objective.text, new_text=text, changed_by_id=actor.id))
        objective.text = text
    db.session.flush()


def add_review(plan: LearningPlan, data: ReviewInput, actor: User) -> ProgressReview:
    """Stage 4: a progress review with a rating per objective."""
    review_date = _not_future(data.review_date, "review_date")
    objective_ids = [str(o.id) for o in plan.objectives if o.is_active]
    review = ProgressReview(
        review_date=review_date,
        educator_comment=data.educator_comment,
        learner_comment=data.learner_comment,
        attendance_review=data.attendance_review,
        ratings=_ratings(data.ratings, objective_ids),
        reviewed_by_id=actor.id,
    )
    if not (review.educator_comment or review.learner_comment or review.ratings):
        raise ServiceError(_("Write a comment or rate at least one objective."))
    plan.reviews.append(review)
    db.session.flush()
    return review


def save_end(plan: LearningPlan, data: PlanEndInput, actor: User, *, sign_off: bool) -> None:
    """Stage 5 (and 6, next steps): the learner's and the tutor's view, and the outcome."""
    outcome = data.outcome
    if sign_off and outcome is None:
        raise ServiceError(
            _("Choose whether the aims were fully, partly or not achieved before signing off."), field="outcome"
        )
    if sign_off and not plan.objectives:
        raise ServiceError(_("Add the learning objectives before signing off."))
    plan.learner_self_assessment, plan.tutor_judgement = data.learner_self_assessment, data.tutor_judgement
    plan.planned_outcomes, plan.unplanned_outcomes = data.planned_outcomes, data.unplanned_outcomes
    plan.next_steps = data.next_steps
    plan.end_ratings = _self_ratings(data)
    plan.outcome = outcome
    if sign_off:
        plan.signed_off_by_id, plan.signed_off_dt = actor.id, now_utc()
    db.session.flush()
    audit.record("plan.end", actor_id=actor.id, subject_type="learner", subject_id=plan.learner_id, signed_off=sign_off)


# --- results, outcomes, placements ---------------------------------------------------------------


def record_result(
    learner: Learner,
    qualification: Qualification | None,
    grade: str,
    reference: str,
    result_date: date | None,
    actor: User,
) -> QualificationResult:
    if qualification is None:
        raise ServiceError(_("Choose the qualification."), field="qualification_id")
    try:
        grade = ResultGrade(grade)
    except ValueError:
        raise ServiceError(_("Choose from the list."), field="grade")
    result = QualificationResult(
        learner_id=learner.id,
        qualification_id=qualification.id,
        grade=grade,
        awarding_body_reference=check_length(
            (reference or "").strip(), text_limit(QualificationResult.awarding_body_reference), "reference"
        ),
        result_date=_not_future(result_date, "result_date"),
        recorded_by_id=actor.id,
    )
    db.session.add(result)
    db.session.flush()
    return result


def record_outcome(learner: Learner, data: OutcomeInput, actor: User) -> Outcome:
    kind = data.kind
    if kind is None:
        raise ServiceError(_("Choose from the list."), field="kind")
    hours = data.hours_per_week
    if kind in (OutcomeKind.EMPLOYMENT, OutcomeKind.SELF_EMPLOYMENT) and not hours:
        raise ServiceError(_("Enter the hours a week."), field="hours_per_week")
    if hours is not None and not 0 < hours <= 80:
        raise ServiceError(_("Hours a week must be between 1 and 80."), field="hours_per_week")
    outcome = Outcome(
        learner_id=learner.id,
        kind=kind,
        outcome_date=_not_future(data.outcome_date, "outcome_date"),
        hours_per_week=hours,
        organisation_name=data.organisation_name,
        evidence_note=data.evidence_note,
        domains=sorted({domain.value for domain in data.domains}),
        recorded_by_id=actor.id,
    )
    db.session.add(outcome)
    db.session.flush()
    audit.record("learner.outcome.record", actor_id=actor.id, subject_type="learner", subject_id=learner.id)
    return outcome


def confirm_sustained(outcome: Outcome, weeks: int, still_there: bool, actor: User) -> None:
    due = outcome.outcome_date + relativedelta(weeks=weeks)
    if today_local() < due:
        raise ServiceError(_("This check is due on %(date)s.", date=due.isoformat()))
    setattr(outcome, f"sustained_{weeks}_weeks", still_there)
    db.session.flush()


def record_placement(learner: Learner, data: PlacementInput, actor: User) -> Placement:
    employer = db.session.get(Organisation, data.employer_id or 0)
    if employer is None or employer.kind is not OrganisationKind.EMPLOYER:
        raise ServiceError(_("Choose the host employer."), field="employer_id")
    start, end = data.start_date, data.end_date
    if not start or not end:
        raise ServiceError(_("Enter the start and end dates."), field="start_date")
    if end < start:
        raise ServiceError(_("The end date must be on or after the start date."), field="end_date")
    hours = data.hours_per_week or 0
    if not 1 <= hours <= 60:
        raise ServiceError(_("Hours a week must be between 1 and 60."), field="hours_per_week")
    placement = Placement(
        learner_id=learner.id,
        employer_id=employer.id,
        start_date=start,
        end_date=end,
        hours_per_week=hours,
        mentor_name=data.mentor_name,
        mentor_contact=data.mentor_contact,
        risk_assessment_date=data.risk_assessment_date,
        employer_feedback=data.employer_feedback,
        reference_given=data.reference_given,
        completed=data.completed,
    )
    db.session.add(placement)
    db.session.flush()
    return placement


# --- completion and certificates -----------------------------------------------------------------


def attendance_rates(cohort: Cohort) -> dict[int, float | None]:
    """Each learner's attendance so far (attended / sessions that count), from the places' attendance
    summaries (kept at write time by the attendance area): one indexed query."""
    rows = db.session.execute(
        sa.select(EnrolmentAttendance.learner_id, EnrolmentAttendance.attended, EnrolmentAttendance.counted).where(
            EnrolmentAttendance.cohort_id == cohort.id
        )
    )
    return {learner_id: (attended / counted if counted else None) for learner_id, attended, counted in rows}


@dataclass
class Eligibility:
    enrolment: Enrolment
    rate: float | None
    reasons: list[str] = field(default_factory=list)
    already_issued: bool = False

    @property
    def qualifies(self) -> bool:
        return not self.reasons


def completion_check(cohort: Cohort) -> list[Eligibility]:
    """Who meets the course's completion rules, and why not. A fixed number of queries."""
    course = cohort.course
    enrolments = db.session.scalars(
        sa.select(Enrolment)
        .where(
            Enrolment.cohort_id == cohort.id,
            Enrolment.status.in_(
                [EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.DID_NOT_COMPLETE]
            ),
        )
        .options(sa.orm.joinedload(Enrolment.learner))
        .order_by(Enrolment.id)
    ).all()
    learner_ids = [e.learner_id for e in enrolments] or [0]
    rates = attendance_rates(cohort)
    signed = set(
        db.session.scalars(
            sa.select(LearningPlan.enrolment_id).where(
                LearningPlan.enrolment_id.in_([e.id for e in enrolments] or [0]),
                LearningPlan.signed_off_dt.is_not(None),
            )
        )
    )
    passed = _passed(course.qualification_id, learner_ids) if course.qualification_id else set()
    holding = (
        _holding(course.required_certificate_type_id, learner_ids) if course.required_certificate_type_id else set()
    )
    results = []
    for enrolment in enrolments:
        check = Eligibility(enrolment, rates.get(enrolment.learner_id))
        _check_attendance(check, course.min_attendance_percent)
        _check_evidence(check, course, signed=enrolment.id in signed, passed=enrolment.learner_id in passed)
        if course.required_certificate_type is not None and enrolment.learner_id not in holding:
            check.reasons.append(_("%(certificate)s not recorded.", certificate=course.required_certificate_type.name))
        results.append(check)
    return results


def _check_evidence(check: Eligibility, course: Course, *, signed: bool, passed: bool) -> None:
    if course.requires_signoff and not signed:
        check.reasons.append(_("The learning plan is not signed off."))
    if course.requires_assessment_pass and not passed:
        check.reasons.append(_("No assessment passed yet."))


def _passed(qualification_id: int, learner_ids: list[int]) -> set[int]:
    """Learners with a passing result in the course's qualification."""
    return set(
        db.session.scalars(
            sa.select(QualificationResult.learner_id).where(
                QualificationResult.qualification_id == qualification_id,
                QualificationResult.learner_id.in_(learner_ids),
                QualificationResult.grade.in_([ResultGrade.PASS, ResultGrade.MERIT, ResultGrade.DISTINCTION]),
            )
        )
    )


def _holding(certificate_type_id: int, learner_ids: list[int]) -> set[int]:
    """Learners with the external certificate the course needs recorded."""
    return set(
        db.session.scalars(
            sa.select(ExternalCertificate.learner_id).where(
                ExternalCertificate.certificate_type_id == certificate_type_id,
                ExternalCertificate.learner_id.in_(learner_ids),
            )
        )
    )


def _check_attendance(check: Eligibility, minimum: int | None) -> None:
    rate = check.rate
    # Compared in whole hundredths so that exactly 80% passes an 80% rule.
    if minimum is not None and (rate is None or round(rate * 10000) < minimum * 100):
        shown = "0" if rate is None else f"{rate * 100:.0f}"
        check.reasons.append(_("Attendance %(rate)s%%, below %(minimum)d%%.", rate=shown, minimum=minimum))


def record_completion(enrolment: Enrolment, course_id: int, on: date, actor: User | None) -> None:
    """The course's completion rules were met: the place is completed on `on`, and the course counts on
    the learner's pathways. Funder returns count completions by this date."""
    enrolment.status = EnrolmentStatus.COMPLETED
    enrolment.completed_date = on
    enrolment.status_changed_dt = now_utc()
    exists = db.session.scalar(
        sa.select(CourseCompletion.id).where(
            CourseCompletion.learner_id == enrolment.learner_id, CourseCompletion.course_id == course_id
        )
    )
    if not exists:
        db.session.add(
            CourseCompletion(
                learner_id=enrolment.learner_id,
                course_id=course_id,
                completed_date=on,
                source=CompletionSource.ENROLMENT,
                recorded_by_id=actor.id if actor else None,
            )
        )


def complete_cohort(cohort: Cohort, actor: User, on: date | None = None) -> tuple[int, int]:
    """Mark each enrolled learner completed or not by the course's rules; completions count on pathways."""
    on = on or today_local()
    completed = not_completed = 0
    for check in completion_check(cohort):
        enrolment = check.enrolment
        if enrolment.status is not EnrolmentStatus.ENROLLED:
            continue
        if check.qualifies:
            record_completion(enrolment, cohort.course_id, on, actor)
            completed += 1
        else:
            enrolment.status = EnrolmentStatus.DID_NOT_COMPLETE
            enrolment.status_changed_dt = now_utc()
            not_completed += 1
    db.session.flush()
    audit.record(
        "cohort.complete",
        actor_id=actor.id,
        subject_type="cohort",
        subject_id=cohort.id,
        completed=completed,
        not_completed=not_completed,
    )
    return completed, not_completed


def complete_qualifying(cohort: Cohort, on: date) -> int:
    """After a class has ended: record as completed every place still open whose learner meets the
    course's rules (the others stay open, since a result may still come in). Returns how many."""
    completed = 0
    for check in completion_check(cohort):
        if check.enrolment.status is EnrolmentStatus.ENROLLED and check.qualifies:
            record_completion(check.enrolment, cohort.course_id, on, None)
            completed += 1
    db.session.flush()
    if completed:
        audit.record(
            "cohort.complete.rules_met", actor_id=None, subject_type="cohort", subject_id=cohort.id, completed=completed
        )
    return completed


def certificate_preview(cohort: Cohort, certificate_type: CertificateType) -> list[Eligibility]:
    """Who qualifies, and who already holds the certificate: a revoked one does not count, so it can be
    issued again (under a new code; the revoked one stays revoked on the verification page)."""
    issued = set(
        db.session.scalars(
            sa.select(Certificate.enrolment_id)
            .join(Enrolment)
            .where(
                Enrolment.cohort_id == cohort.id,
                Certificate.certificate_type_id == certificate_type.id,
                Certificate.revoked_dt.is_(None),
            )
        )
    )
    checks = completion_check(cohort)
    for check in checks:
        check.already_issued = check.enrolment.id in issued
    return checks


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _chosen_and_qualifying(
    cohort: Cohort, certificate_type: CertificateType, enrolment_ids: list[int]
) -> list[Eligibility]:
    checks = {c.enrolment.id: c for c in certificate_preview(cohort, certificate_type)}
    found = [checks.get(enrolment_id) for enrolment_id in enrolment_ids]
    chosen = [c for c in found if c is not None]
    if not chosen or len(chosen) != len(found):
        raise ServiceError(_("Choose learners from the list."))
    refused = [c for c in chosen if not c.qualifies]
    if refused:
        names = ", ".join(c.enrolment.learner.full_name for c in refused)
        raise ServiceError(_("Nothing was issued: these learners do not qualify yet: %(names)s.", names=names))
    return chosen


def issue_certificates(
    cohort: Cohort, certificate_type: CertificateType, enrolment_ids: list[int], actor: User, on: date | None = None
) -> list[Certificate]:
    """Issue to the chosen learners after the preview. If any of them does not qualify, nothing is issued.
    Nothing is e-mailed: learners download their certificate from their page."""
    on = on or today_local()
    if certificate_type.kind is not CertificateKind.PROVIDER:
        raise ServiceError(_("Only certificates we issue ourselves can be issued here."))
    if certificate_type not in cohort.course.certificate_types:
        raise ServiceError(_("This course does not lead to that certificate."))
    chosen = [
        check for check in _chosen_and_qualifying(cohort, certificate_type, enrolment_ids) if not check.already_issued
    ]
    if not chosen:
        raise ServiceError(_("Nothing was issued: the learners chosen already hold this certificate."))
    organisation = cohort.organisation
    expiry = (
        on + relativedelta(months=certificate_type.validity_months) - relativedelta(days=1)
        if certificate_type.validity_months
        else None
    )
    certificates = []
    for check in chosen:
        learner = check.enrolment.learner
        certificate = Certificate(
            code=_new_code(),
            learner_id=learner.id,
            enrolment_id=check.enrolment.id,
            certificate_type_id=certificate_type.id,
            holder_name=learner.full_name,
            holder_name_latin=learner.full_name_latin if learner.full_name_latin != learner.full_name else "",
            course_title=cohort.course.title,
            organisation_name=organisation.name,
            signatory_name=organisation.signatory_name,
            signatory_title=organisation.signatory_title,
            issued_date=on,
            expiry_date=expiry,
            issued_by_id=actor.id,
        )
        db.session.add(certificate)
        certificates.append(certificate)
        if check.enrolment.status is not EnrolmentStatus.COMPLETED and cohort.end_date <= on:
            # Issuing checked the course's completion rules: once the class has ended the place is
            # completed (before then the learner stays on the class, and the nightly job completes it).
            record_completion(check.enrolment, cohort.course_id, on, actor)
    db.session.flush()
    audit.record(
        "certificate.issue", actor_id=actor.id, subject_type="cohort", subject_id=cohort.id, count=len(certificates)
    )
    return certificates


def revoke_certificate(certificate: Certificate, reason: str, actor: User) -> None:
    reason = check_length((reason or "").strip(), text_limit(Certificate.revoked_reason), "reason")
    if not reason:
        raise ServiceError(_("Give the reason for revoking it."), field="reason")
    if certificate.revoked_dt is not None:
        raise ServiceError(_("This certificate is already revoked."))
    certificate.revoked_dt, certificate.revoked_reason = now_utc(), reason
    db.session.flush()
    audit.record("certificate.revoke", actor_id=actor.id, subject_type="certificate", subject_id=certificate.id)


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch in CODE_ALPHABET)


def certificate_status(certificate: Certificate, on: date | None = None) -> str:
    on = on or today_local()
    if certificate.revoked_dt is not None:
        return "revoked"
    if certificate.expiry_date is not None and certificate.expiry_date < on:
        return "expired"
    return "valid"


def find_certificate(code: str) -> Certificate | None:
    code = normalise_code(code)
    if len(code) != CODE_LENGTH:
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.code == code))


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"
