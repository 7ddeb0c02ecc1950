"""Rooms, timetable rules, the sessions generated from them, closures and educator assignment."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import LimitedText, UTCDateTime, enum_type
from lms.core.enums import TitledEnum
from lms.core.i18n import _l
from lms.core.time import DEFAULT_TZ_NAME, now_utc
from lms.extensions import Model
from lms.people.models import User
from lms.scheduling.models.cohorts import Cohort, Venue


class Room(Model):
    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venue.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    capacity: Mapped[int | None]
    step_free: Mapped[bool] = mapped_column(default=False)
    is_archived: Mapped[bool] = mapped_column(default=False)

    venue: Mapped[Venue] = relationship(back_populates="rooms")

    __table_args__ = (
        sa.UniqueConstraint("venue_id", "name"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )


class TimetableRule(Model):
    """A cohort's weekly pattern in wall-clock time: weekdays, start and end, in a named time zone."""

    __tablename__ = "timetable_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    #: ISO weekday numbers, Monday = 0 ... Sunday = 6.
    weekdays: Mapped[list[int]] = mapped_column(sa.JSON)
    start_time: Mapped[time]
    end_time: Mapped[time]
    start_date: Mapped[date]
    end_date: Mapped[date]
    timezone: Mapped[str] = mapped_column(sa.String(64), default=DEFAULT_TZ_NAME)
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venue.id"))
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room.id"))
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    cohort: Mapped[Cohort] = relationship(backref=sa.orm.backref("timetable_rules", order_by="TimetableRule.id"))
    venue: Mapped[Venue | None] = relationship()
    room: Mapped[Room | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),
        sa.CheckConstraint("end_time > start_time", name="times_in_order"),
    )


class SessionStatus(TitledEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.SCHEDULED: _l("Scheduled"), cls.CANCELLED: _l("Cancelled")}


class Session(Model):
    """One meeting of a cohort. Start and end are instants (UTC); `timezone` says how to show them."""

    __tablename__ = "session"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"))
    #: The rule that generated it and the local date it was generated for; None for extra sessions.
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("timetable_rule.id", ondelete="SET NULL"))
    occurrence_date: Mapped[date | None]
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(sa.String(64), default=DEFAULT_TZ_NAME)
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venue.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room.id"))
    status: Mapped[SessionStatus] = mapped_column(
        enum_type(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    cancel_reason: Mapped[str] = mapped_column(LimitedText(500), default="")
    #: Moved by hand: regenerating the timetable leaves its time and room alone.
    is_moved: Mapped[bool] = mapped_column(default=False)
    #: A closure was added over it after it was scheduled: a coordinator must cancel or move it.
    needs_decision: Mapped[bool] = mapped_column(default=False)
    decision_note: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Counts every change; calendar feeds use it as SEQUENCE.
    revision: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    cohort: Mapped[Cohort] = relationship()
    venue: Mapped[Venue | None] = relationship()
    room: Mapped[Room | None] = relationship()
    educator_links: Mapped[list[SessionEducator]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by=lambda: SessionEducator.role
    )

    __table_args__ = (
        sa.CheckConstraint("end_dt > start_dt", name="times_in_order"),
        sa.UniqueConstraint("rule_id", "occurrence_date"),
        sa.Index("ix_session_cohort_start", "cohort_id", "start_dt"),
        sa.Index("ix_session_room_start", "room_id", "start_dt"),
        sa.Index("ix_session_start_end", "start_dt", "end_dt"),
    )

    @property
    def is_cancelled(self) -> bool:
        return self.status is SessionStatus.CANCELLED

    def touch(self) -> None:
        """Record a change: the revision goes up and feeds see a new LAST-MODIFIED."""
        self.revision += 1
        self.updated_dt = now_utc()


class EducatorRole(TitledEnum):
    LEAD = "lead"
    SUPPORT = "support"
    VOLUNTEER = "volunteer"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.LEAD: _l("Lead educator"), cls.SUPPORT: _l("Support educator"), cls.VOLUNTEER: _l("Volunteer")}


class SessionEducator(Model):
    __tablename__ = "session_educator"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("session.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[EducatorRole] = mapped_column(enum_type(EducatorRole, "educator_role", length=16))
    #: Set when this educator covers for someone who could not come.
    covering_for_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    session: Mapped[Session] = relationship(back_populates="educator_links")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (sa.Index("ix_session_educator_user", "user_id", "session_id"),)


class CohortEducator(Model):
    """An educator assigned to a whole cohort: every session generated later gets them too."""

    __tablename__ = "cohort_educator"

    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[EducatorRole] = mapped_column(enum_type(EducatorRole, "educator_role", length=16))

    user: Mapped[User] = relationship()


class Closure(Model):
    """Days an organisation (or one venue) is closed: Christmas shutdown, venue repairs."""

    __tablename__ = "closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    #: Only this venue is closed; None closes everything the organisation runs.
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venue.id", ondelete="CASCADE"))
    start_date: Mapped[date]
    end_date: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.String(200))

    venue: Mapped[Venue | None] = relationship()

    __table_args__ = (sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),)


class EducatorAvailability(Model):
    """When an educator can usually teach, as a weekly pattern."""

    __tablename__ = "educator_availability"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    start_time: Mapped[time]
    end_time: Mapped[time]

    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("end_time > start_time", name="times_in_order"),
    )


class EducatorAbsence(Model):
    __tablename__ = "educator_absence"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.String(200), default="")

    __table_args__ = (sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),)
