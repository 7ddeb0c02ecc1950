"""Learner achievements that pathways and eligibility read: ESOL levels, completions, certificates held."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import LimitedText, UTCDateTime, enum_type
from lms.core.enums import TitledEnum
from lms.core.esol import EsolLevel, EsolSkill
from lms.core.i18n import _l
from lms.core.time import now_utc
from lms.courses.models import CertificateType, Course
from lms.extensions import Model


class AssessmentKind(TitledEnum):
    INITIAL = "initial"
    DIAGNOSTIC = "diagnostic"
    PROGRESS = "progress"
    EXIT = "exit"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.INITIAL: _l("Initial"),
            cls.DIAGNOSTIC: _l("Diagnostic"),
            cls.PROGRESS: _l("Progress"),
            cls.EXIT: _l("Exit"),
        }


class EsolAssessment(Model):
    """A learner's ESOL level in one skill, as assessed on a date."""

    __tablename__ = "esol_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"))
    skill: Mapped[EsolSkill] = mapped_column(enum_type(EsolSkill, "esol_skill", length=16))
    level: Mapped[EsolLevel] = mapped_column(enum_type(EsolLevel, "esol_level", length=16))
    kind: Mapped[AssessmentKind] = mapped_column(enum_type(AssessmentKind, "assessment_kind", length=16))
    assessed_date: Mapped[date]
    assessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(LimitedText(2000), default="")
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (sa.Index("ix_esol_assessment_learner_skill_date", "learner_id", "skill", "assessed_date"),)


class CompletionSource(TitledEnum):
    PRIOR_LEARNING = "prior_learning"
    ENROLMENT = "enrolment"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.PRIOR_LEARNING: _l("Prior learning"), cls.ENROLMENT: _l("Completed with us")}


class CourseCompletion(Model):
    """A course the learner has completed: with us, or before (prior learning recorded by a coordinator)."""

    __tablename__ = "course_completion"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    completed_date: Mapped[date]
    source: Mapped[CompletionSource] = mapped_column(enum_type(CompletionSource, "completion_source"))
    note: Mapped[str] = mapped_column(LimitedText(2000), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    course: Mapped[Course] = relationship()

    __table_args__ = (sa.UniqueConstraint("learner_id", "course_id"),)


class ExternalCertificate(Model):
    """A certificate from another body that the learner holds (Food Hygiene, CSCS card, SIA licence...)."""

    __tablename__ = "external_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    certificate_type_id: Mapped[int] = mapped_column(sa.ForeignKey("certificate_type.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(100), default="")
    issued_date: Mapped[date]
    #: Computed from the type's validity rule unless entered from the certificate itself.
    expiry_date: Mapped[date | None]
    evidence_seen: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    certificate_type: Mapped[CertificateType] = relationship()

    __table_args__ = (sa.CheckConstraint("expiry_date IS NULL OR expiry_date >= issued_date", name="dates_in_order"),)


class RarpaOutcome(TitledEnum):
    FULLY = "fully"
    PARTLY = "partly"
    NOT = "not"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.FULLY: _l("Fully achieved"), cls.PARTLY: _l("Partly achieved"), cls.NOT: _l("Not achieved")}


#: What learners rate themselves on at the start and the end (1 to 5): "distance travelled".
SELF_RATINGS = ("confidence", "wellbeing", "english", "skills")


class LearningPlan(Model):
    """The Individual Learning Plan for one enrolment, following the five RARPA stages."""

    __tablename__ = "learning_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolment.id", ondelete="CASCADE"), unique=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    #: Stage 1 and 2: the learner's aims, starting point and support needs.
    aims: Mapped[str] = mapped_column(LimitedText(10000), default="")
    starting_point: Mapped[str] = mapped_column(LimitedText(10000), default="")
    support_needs: Mapped[str] = mapped_column(LimitedText(10000), default="")
    #: {"confidence": 2, "wellbeing": 3, ...} on a 1 to 5 scale.
    start_ratings: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    #: Stage 5: the end of the course.
    learner_self_assessment: Mapped[str] = mapped_column(LimitedText(10000), default="")
    tutor_judgement: Mapped[str] = mapped_column(LimitedText(10000), default="")
    planned_outcomes: Mapped[str] = mapped_column(LimitedText(10000), default="")
    unplanned_outcomes: Mapped[str] = mapped_column(LimitedText(10000), default="")
    outcome: Mapped[RarpaOutcome | None] = mapped_column(enum_type(RarpaOutcome, "rarpa_outcome", length=16))
    end_ratings: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    #: Stage 6: what comes next.
    next_steps: Mapped[str] = mapped_column(LimitedText(10000), default="")
    signed_off_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    signed_off_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    objectives: Mapped[list[LearningObjective]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by=lambda: LearningObjective.position
    )
    reviews: Mapped[list[ProgressReview]] = relationship(
        cascade="all, delete-orphan", order_by=lambda: ProgressReview.review_date
    )


class LearningObjective(Model):
    """Stage 3: a challenging objective; revisions keep their history."""

    __tablename__ = "learning_objective"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("learning_plan.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(LimitedText(1000))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    plan: Mapped[LearningPlan] = relationship(back_populates="objectives")
    revisions: Mapped[list[ObjectiveRevision]] = relationship(
        cascade="all, delete-orphan", order_by=lambda: ObjectiveRevision.changed_dt
    )


class ObjectiveRevision(Model):
    __tablename__ = "objective_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(sa.ForeignKey("learning_objective.id", ondelete="CASCADE"), index=True)
    old_text: Mapped[str] = mapped_column(LimitedText(1000))
    new_text: Mapped[str] = mapped_column(LimitedText(1000))
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    changed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class ProgressReview(Model):
    """Stage 4: a review during the course, with a rating (1 to 5) per objective."""

    __tablename__ = "progress_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("learning_plan.id", ondelete="CASCADE"), index=True)
    review_date: Mapped[date]
    educator_comment: Mapped[str] = mapped_column(LimitedText(10000), default="")
    #: In whatever language the learner writes.
    learner_comment: Mapped[str] = mapped_column(LimitedText(10000), default="")
    attendance_review: Mapped[str] = mapped_column(LimitedText(10000), default="")
    #: {"<objective id>": rating}
    ratings: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))


class ResultGrade(TitledEnum):
    PASS = "pass"  # noqa: S105 - an exam grade
    MERIT = "merit"
    DISTINCTION = "distinction"
    FAIL = "fail"
    WITHDRAWN = "withdrawn"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.PASS: _l("Pass"),
            cls.MERIT: _l("Merit"),
            cls.DISTINCTION: _l("Distinction"),
            cls.FAIL: _l("Not yet passed"),
            cls.WITHDRAWN: _l("Withdrawn from the exam"),
        }

    @property
    def passed(self) -> bool:
        return self in (ResultGrade.PASS, ResultGrade.MERIT, ResultGrade.DISTINCTION)


class QualificationResult(Model):
    __tablename__ = "qualification_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrolment.id", ondelete="SET NULL"))
    qualification_id: Mapped[int] = mapped_column(sa.ForeignKey("qualification.id"))
    grade: Mapped[ResultGrade] = mapped_column(enum_type(ResultGrade, "result_grade", length=16))
    awarding_body_reference: Mapped[str] = mapped_column(sa.String(100), default="")
    result_date: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))


class OutcomeKind(TitledEnum):
    EMPLOYMENT = "employment"
    SELF_EMPLOYMENT = "self_employment"
    EDUCATION = "education"
    VOLUNTEERING = "volunteering"
    PLACEMENT = "placement"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.EMPLOYMENT: _l("Into work"),
            cls.SELF_EMPLOYMENT: _l("Self-employed"),
            cls.EDUCATION: _l("Into education or training"),
            cls.VOLUNTEERING: _l("Volunteering"),
            cls.PLACEMENT: _l("Work placement completed"),
        }


class Outcome(Model):
    """Where a learner went next, with evidence, tagged with Indicators of Integration domains."""

    __tablename__ = "outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    kind: Mapped[OutcomeKind] = mapped_column(enum_type(OutcomeKind, "outcome_kind", length=20))
    outcome_date: Mapped[date]
    #: For work: hours a week (16 or more counts as full employment for many funders).
    hours_per_week: Mapped[int | None]
    organisation_name: Mapped[str] = mapped_column(sa.String(200), default="")
    evidence_note: Mapped[str] = mapped_column(LimitedText(2000), default="")
    domains: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Checked still in work 13 and 26 weeks later.
    sustained_13_weeks: Mapped[bool | None]
    sustained_26_weeks: Mapped[bool | None]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Placement(Model):
    """A mentored work placement with a host employer."""

    __tablename__ = "placement"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrolment.id", ondelete="SET NULL"))
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    start_date: Mapped[date]
    end_date: Mapped[date]
    hours_per_week: Mapped[int]
    mentor_name: Mapped[str] = mapped_column(sa.String(200), default="")
    mentor_contact: Mapped[str] = mapped_column(sa.String(200), default="")
    risk_assessment_date: Mapped[date | None]
    employer_feedback: Mapped[str] = mapped_column(LimitedText(10000), default="")
    reference_given: Mapped[bool] = mapped_column(default=False)
    completed: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),)


class Certificate(Model):
    """A certificate we issued, verifiable by anyone with its code. It stores the name as printed."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short, unambiguous, random: what a verifier types in.
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolment.id", ondelete="CASCADE"))
    certificate_type_id: Mapped[int] = mapped_column(sa.ForeignKey("certificate_type.id"))
    holder_name: Mapped[str] = mapped_column(sa.String(200))
    holder_name_latin: Mapped[str] = mapped_column(sa.String(200), default="")
    course_title: Mapped[str] = mapped_column(sa.String(200))
    organisation_name: Mapped[str] = mapped_column(sa.String(200))
    issued_date: Mapped[date]
    expiry_date: Mapped[date | None]
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(LimitedText(2000), default="")
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: The organisation's signatory when it was issued, as printed.
    signatory_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    signatory_title: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    certificate_type: Mapped[CertificateType] = relationship()

    __table_args__ = (
        # One valid certificate of a kind per place; a revoked one may be reissued under a new code.
        sa.Index(
            "uq_certificate_current",
            "enrolment_id",
            "certificate_type_id",
            unique=True,
            postgresql_where=sa.text("revoked_dt IS NULL"),
            sqlite_where=sa.text("revoked_dt IS NULL"),
        ),
    )
