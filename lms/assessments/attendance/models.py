"""Registers: marks, their history, self check-in tries, and each place's attendance summary."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import LimitedText, UTCDateTime, enum_type
from lms.core.enums import TitledEnum
from lms.core.i18n import _l
from lms.core.time import now_utc
from lms.extensions import Model
from lms.people.models import User


class AttendanceStatus(TitledEnum):
    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    ABSENT_NOTIFIED = "absent_notified"
    ABSENT = "absent"
    EXCUSED = "excused"
    CANCELLED_BY_PROVIDER = "cancelled_by_provider"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.PRESENT: _l("Present"),
            cls.LATE: _l("Late"),
            cls.LEFT_EARLY: _l("Left early"),
            cls.ABSENT_NOTIFIED: _l("Absent, told us"),
            cls.ABSENT: _l("Absent, did not tell us"),
            cls.EXCUSED: _l("Excused"),
            cls.CANCELLED_BY_PROVIDER: _l("Cancelled by us"),
        }

    @property
    def attended(self) -> bool:
        """Whether the learner was there: counts for attendance rates and contact hours."""
        return self in (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)

    @property
    def counts_in_rate(self) -> bool:
        """Whether the session counts as one the learner should have come to (excused ones do not)."""
        return self not in (AttendanceStatus.EXCUSED, AttendanceStatus.CANCELLED_BY_PROVIDER)


#: The statuses that mean the learner came, and those that do not count in a rate (SQL filters).
ATTENDED = tuple(status for status in AttendanceStatus if status.attended)
NOT_IN_RATE = tuple(status for status in AttendanceStatus if not status.counts_in_rate)


class MarkSource(TitledEnum):
    REGISTER = "register"
    CHECK_IN = "check_in"
    PAPER = "paper"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.REGISTER: _l("Register"), cls.CHECK_IN: _l("Self check-in"), cls.PAPER: _l("Paper register")}


class AttendanceMark(Model):
    """One learner's (or drop-in attendee's) attendance at one session. Minutes give contact hours."""

    __tablename__ = "attendance_mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("session.id", ondelete="CASCADE"))
    learner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    attendee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("drop_in_attendee.id", ondelete="CASCADE"))
    status: Mapped[AttendanceStatus] = mapped_column(enum_type(AttendanceStatus, "attendance_status"))
    minutes_late: Mapped[int] = mapped_column(default=0)
    minutes_left_early: Mapped[int] = mapped_column(default=0)
    #: Minutes actually attended: the session's length less late arrival and early leaving.
    minutes_attended: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    source: Mapped[MarkSource] = mapped_column(enum_type(MarkSource, "mark_source", length=16))
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    marked_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (
        sa.Index(
            "uq_attendance_mark_session_learner",
            "session_id",
            "learner_id",
            unique=True,
            postgresql_where=sa.text("learner_id IS NOT NULL"),
            sqlite_where=sa.text("learner_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_attendance_mark_session_attendee",
            "session_id",
            "attendee_id",
            unique=True,
            postgresql_where=sa.text("attendee_id IS NOT NULL"),
            sqlite_where=sa.text("attendee_id IS NOT NULL"),
        ),
        # Whole-register reads (`WHERE session_id = ?`) cannot use the partial indexes above.
        sa.Index("ix_attendance_mark_session", "session_id"),
        sa.CheckConstraint("(learner_id IS NULL) <> (attendee_id IS NULL)", name="one_person"),
        sa.CheckConstraint(
            "minutes_late >= 0 AND minutes_left_early >= 0 AND minutes_attended >= 0", name="minutes_not_negative"
        ),
    )


class AttendanceChange(Model):
    """The audit trail of a register: every mark made or changed, by whom and when."""

    __tablename__ = "attendance_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    mark_id: Mapped[int] = mapped_column(sa.ForeignKey("attendance_mark.id", ondelete="CASCADE"), index=True)
    old_status: Mapped[str | None] = mapped_column(sa.String(32))
    new_status: Mapped[str] = mapped_column(sa.String(32))
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    changed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    source: Mapped[str] = mapped_column(sa.String(16))
    #: Why a past register was corrected; required then, empty for marks taken at the time.
    reason: Mapped[str] = mapped_column(LimitedText(500), default="", server_default="")


class CheckInTry(Model):
    """Self check-in codes a learner has tried for one session. A try is taken before the code is compared
    and given back when the code was right, so `used` counts the wrong codes (and any being checked at this
    moment); once it reaches the limit, no code is compared for that learner and session any more."""

    __tablename__ = "check_in_try"

    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("session.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    used: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("used >= 0", name="used_not_negative"),)


class NoticeReason(TitledEnum):
    MEDICAL = "medical"
    HOME_OFFICE = "home_office"
    CHILDCARE = "childcare"
    WORK = "work"
    OTHER = "other"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.MEDICAL: _l("Hospital or doctor"),
            cls.HOME_OFFICE: _l("Home Office interview or appointment"),
            cls.CHILDCARE: _l("Childcare"),
            cls.WORK: _l("Work or a job interview"),
            cls.OTHER: _l("Something else"),
        }


class NoticeChannel(TitledEnum):
    """How a notice of absence reached us: from the learner's own phone, or through the office."""

    LEARNER = "learner"
    PHONE = "phone"
    IN_PERSON = "in_person"
    TEXT = "text"
    EMAIL = "email"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.LEARNER: _l("By the learner in Pathways"),
            cls.PHONE: _l("Phone call"),
            cls.IN_PERSON: _l("In person"),
            cls.TEXT: _l("Text message"),
            cls.EMAIL: _l("E-mail"),
        }


class AbsenceNotice(Model):
    """ "I can't come": told in advance, by the learner or through the office. It pre-fills the register."""

    __tablename__ = "absence_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("session.id", ondelete="CASCADE"), index=True)
    reason: Mapped[NoticeReason] = mapped_column(enum_type(NoticeReason, "notice_reason", length=16))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Who recorded it: the learner themself, or the member of staff who took it.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    channel: Mapped[NoticeChannel] = mapped_column(
        enum_type(NoticeChannel, "notice_channel", length=16), default=NoticeChannel.LEARNER, server_default="learner"
    )

    recorded_by: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("learner_id", "session_id"),)


class EnrolmentAttendance(Model):
    """One place's attendance so far, kept at write time so that pages read one row instead of every
    mark: by `services.refresh_summaries`, from every change of marks and of sessions (cancelled,
    reinstated, moved). Counts marks at sessions that are not cancelled. Completion rules read their rates from it."""

    __tablename__ = "enrolment_attendance"

    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolment.id", ondelete="CASCADE"), primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    #: Marks that count in the rate (not excused, not cancelled by us), and of those, attended.
    counted: Mapped[int] = mapped_column(default=0)
    attended: Mapped[int] = mapped_column(default=0)
    minutes_attended: Mapped[int] = mapped_column(default=0)
    #: The latest sessions in a row missed without telling us.
    absences_in_a_row: Mapped[int] = mapped_column(default=0)
    first_attended_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attended_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("attended <= counted AND attended >= 0 AND absences_in_a_row >= 0", name="counts_sane"),
    )


class AttendanceMonth(Model):
    """A learner's marks at one cohort's sessions in one calendar month (in the organisation's time
    zone), kept at write time with `EnrolmentAttendance` by `services.refresh_summaries`, so that funder
    returns count participants, starts and first attendance from a row per learner and month instead of
    every mark. Counts learners' marks (not drop-in attendees') at sessions that are not cancelled,
    places or none."""

    __tablename__ = "attendance_month"

    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), primary_key=True)
    #: The first day of the month.
    month: Mapped[date] = mapped_column(primary_key=True)
    counted: Mapped[int] = mapped_column(default=0)
    attended: Mapped[int] = mapped_column(default=0)
    minutes_attended: Mapped[int] = mapped_column(default=0)
    #: The start of the month's first session the learner attended, if any.
    first_attended_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_attendance_month_learner", "learner_id", "month"),)


class SessionAttendance(Model):
    """A session's totals over its learners' marks (drop-in attendees' apart), kept by
    `services.refresh_session_totals` whenever its marks change, so that returns sum attendance and
    contact hours per session instead of per mark. Kept whatever the session's status: readers choose
    the sessions that count."""

    __tablename__ = "session_attendance"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("session.id", ondelete="CASCADE"), primary_key=True)
    counted: Mapped[int] = mapped_column(default=0)
    attended: Mapped[int] = mapped_column(default=0)
    minutes_attended: Mapped[int] = mapped_column(default=0)
