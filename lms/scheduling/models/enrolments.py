"""Referrals in, and enrolments with their waitlist and offers."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import LimitedText, UTCDateTime, enum_type
from lms.core.enums import TitledEnum
from lms.core.i18n import _l
from lms.core.time import now_utc
from lms.courses.models import Course, EligibilityCheck, Programme
from lms.extensions import Model
from lms.people.models import Learner, Organisation
from lms.scheduling.models.cohorts import Cohort


class ReferralSource(TitledEnum):
    PARTNER = "partner"
    SELF = "self"
    ANOTHER_COURSE = "another_course"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.PARTNER: _l("A partner agency"),
            cls.SELF: _l("Self-referral"),
            cls.ANOTHER_COURSE: _l("Another course"),
        }


class ReferralStatus(TitledEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.NEW: _l("Waiting for review"),
            cls.ACCEPTED: _l("Accepted"),
            cls.DECLINED: _l("Declined"),
            cls.WITHDRAWN: _l("Withdrawn"),
        }


class Referral(Model):
    """A referral in, or a learner's own request for a place, for a coordinator to review."""

    __tablename__ = "referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    source: Mapped[ReferralSource] = mapped_column(enum_type(ReferralSource, "referral_source"))
    referrer_organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    referrer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    referrer_email: Mapped[str] = mapped_column(sa.String(254), default="")
    referrer_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    #: The learner agreed that we may tell the referrer how they are getting on.
    consent_to_share_progress: Mapped[bool] = mapped_column(default=False)
    programme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programme.id"))
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course.id"))
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohort.id", ondelete="SET NULL"), index=True)
    notes: Mapped[str] = mapped_column(LimitedText(4000), default="")
    status: Mapped[ReferralStatus] = mapped_column(
        enum_type(ReferralStatus, "referral_status"), default=ReferralStatus.NEW
    )
    received_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(LimitedText(2000), default="")

    learner: Mapped[Learner] = relationship()
    referrer_organisation: Mapped[Organisation | None] = relationship(foreign_keys=[referrer_organisation_id])
    programme: Mapped[Programme | None] = relationship()
    course: Mapped[Course | None] = relationship()
    cohort: Mapped[Cohort | None] = relationship()

    __table_args__ = (
        sa.Index(
            "ix_referral_open",
            "organisation_id",
            "received_dt",
            postgresql_where=sa.text("status = 'new'"),
            sqlite_where=sa.text("status = 'new'"),
        ),
    )


class EnrolmentStatus(TitledEnum):
    OFFERED = "offered"
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"
    DID_NOT_COMPLETE = "did_not_complete"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.OFFERED: _l("Offered a place"),
            cls.ENROLLED: _l("Enrolled"),
            cls.WAITLISTED: _l("On the waitlist"),
            cls.WITHDRAWN: _l("Withdrawn"),
            cls.COMPLETED: _l("Completed"),
            cls.DID_NOT_COMPLETE: _l("Did not complete"),
        }


#: Statuses that hold one of the cohort's places.
HOLDS_PLACE = (EnrolmentStatus.OFFERED, EnrolmentStatus.ENROLLED)


class Enrolment(Model):
    __tablename__ = "enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(enum_type(EnrolmentStatus, "enrolment_status"))
    needs_creche: Mapped[bool] = mapped_column(default=False)
    needs_interpreter: Mapped[bool] = mapped_column(default=False)
    #: When the learner asked: the waitlist is first come, first served.
    requested_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    status_changed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: The local day the course's completion rules were met and recorded (funder returns count by it).
    completed_date: Mapped[date | None]
    offer_expires_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str] = mapped_column(LimitedText(500), default="")
    #: Why the learner is waiting, when it is not simply a full cohort (e.g. no crèche place).
    waiting_note: Mapped[str] = mapped_column(sa.String(200), default="")
    referral_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referral.id", ondelete="SET NULL"))
    eligibility_check_id: Mapped[int | None] = mapped_column(sa.ForeignKey("eligibility_check.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    cohort: Mapped[Cohort] = relationship()
    learner: Mapped[Learner] = relationship()
    eligibility_check: Mapped[EligibilityCheck | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "learner_id"),
        sa.Index(
            "ix_enrolment_waitlist",
            "cohort_id",
            "requested_dt",
            postgresql_where=sa.text("status = 'waitlisted'"),
            sqlite_where=sa.text("status = 'waitlisted'"),
        ),
        sa.Index(
            "ix_enrolment_offers_due",
            "offer_expires_dt",
            postgresql_where=sa.text("status = 'offered'"),
            sqlite_where=sa.text("status = 'offered'"),
        ),
    )
