"""Learner achievements that pathways and eligibility read: ESOL levels, completions, certificates held."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import UTCDateTime, enum_type
from lms.core.enums import TitledEnum
from lms.core.esol import EsolLevel, EsolSkill
from lms.core.i18n import _l
from lms.core.time import now_utc
from lms.courses.models import CertificateType, Course
from lms.extensions import db


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


class EsolAssessment(db.Model):
    """A learner's ESOL level in one skill, as assessed on a date."""

    __tablename__ = "esol_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"))
    skill: Mapped[EsolSkill] = mapped_column(enum_type(EsolSkill, "esol_skill", length=16))
    level: Mapped[EsolLevel] = mapped_column(enum_type(EsolLevel, "esol_level", length=16))
    kind: Mapped[AssessmentKind] = mapped_column(enum_type(AssessmentKind, "assessment_kind", length=16))
    assessed_date: Mapped[date]
    assessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (sa.Index("ix_esol_assessment_learner_skill_date", "learner_id", "skill", "assessed_date"),)


class CompletionSource(TitledEnum):
    PRIOR_LEARNING = "prior_learning"
    ENROLMENT = "enrolment"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.PRIOR_LEARNING: _l("Prior learning"), cls.ENROLMENT: _l("Completed with us")}


class CourseCompletion(db.Model):
    """A course the learner has completed: with us, or before (prior learning recorded by a coordinator)."""

    __tablename__ = "course_completion"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    completed_date: Mapped[date]
    source: Mapped[CompletionSource] = mapped_column(enum_type(CompletionSource, "completion_source"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    course: Mapped[Course] = relationship()

    __table_args__ = (sa.UniqueConstraint("learner_id", "course_id"),)


class ExternalCertificate(db.Model):
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
