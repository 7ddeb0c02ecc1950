"""Venues and cohorts: a run of a course for a programme, with its places."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import LimitedText, UTCDateTime, enum_type
from lms.core.enums import TitledEnum
from lms.core.i18n import _l
from lms.core.time import now_utc
from lms.courses.models import Course, DeliveryMode, DeliverySetting, Programme
from lms.extensions import Model
from lms.people.models import Organisation

if TYPE_CHECKING:
    from lms.scheduling.models.sessions import Room


class Venue(Model):
    __tablename__ = "venue"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(LimitedText(1000), default="")
    postcode: Mapped[str] = mapped_column(sa.String(10), default="")
    capacity: Mapped[int | None]
    step_free: Mapped[bool] = mapped_column(default=False)
    has_creche: Mapped[bool] = mapped_column(default=False)
    accessibility_notes: Mapped[str] = mapped_column(LimitedText(2000), default="")
    is_virtual: Mapped[bool] = mapped_column(default=False)
    #: For virtual rooms; shown only to the people in the session.
    meeting_url: Mapped[str] = mapped_column(sa.String(500), default="")
    is_archived: Mapped[bool] = mapped_column(default=False)
    #: Whose bank holidays apply here when not the organisation's (a Glasgow venue of an English charity).
    holiday_region: Mapped[str | None] = mapped_column(sa.String(3))

    rooms: Mapped[list[Room]] = relationship(back_populates="venue", order_by="Room.name")

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "name"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )


class CohortStatus(TitledEnum):
    PLANNED = "planned"
    OPEN = "open"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.PLANNED: _l("Planned"),
            cls.OPEN: _l("Open for enrolment"),
            cls.RUNNING: _l("Running"),
            cls.FINISHED: _l("Finished"),
            cls.CANCELLED: _l("Cancelled"),
        }


#: Statuses in which people can still join.
JOINABLE_STATUSES = (CohortStatus.PLANNED, CohortStatus.OPEN, CohortStatus.RUNNING)


class Cohort(Model):
    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    programme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programme.id"), index=True)
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venue.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    start_date: Mapped[date]
    end_date: Mapped[date]
    capacity: Mapped[int]
    creche_capacity: Mapped[int] = mapped_column(default=0)
    interpreter_capacity: Mapped[int] = mapped_column(default=0)
    #: Learner places held by enrolled learners and open offers. Changed only by a conditional
    #: UPDATE (`places_taken < capacity`), so concurrent enrolments can never overfill the cohort.
    places_taken: Mapped[int] = mapped_column(default=0)
    creche_places_taken: Mapped[int] = mapped_column(default=0)
    interpreter_places_taken: Mapped[int] = mapped_column(default=0)
    delivery_mode: Mapped[DeliveryMode] = mapped_column(
        enum_type(DeliveryMode, "delivery_mode"), default=DeliveryMode.GROUP
    )
    delivery_setting: Mapped[DeliverySetting] = mapped_column(
        enum_type(DeliverySetting, "delivery_setting"), default=DeliverySetting.IN_PERSON
    )
    status: Mapped[CohortStatus] = mapped_column(enum_type(CohortStatus, "cohort_status"), default=CohortStatus.PLANNED)
    #: Drop-in groups (conversation clubs) have no fixed roster: name-only attendees join on the day.
    is_drop_in: Mapped[bool] = mapped_column(default=False)
    #: Whether waitlisted people may still be offered a place once the cohort has started.
    allow_late_joiners: Mapped[bool] = mapped_column(default=False)
    #: How long a waitlist offer stays open.
    offer_hours: Mapped[int] = mapped_column(default=72)
    #: Shown to learners on their timetable and in their calendar ("a pen and the Food Hygiene workbook").
    what_to_bring: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    organisation: Mapped[Organisation] = relationship()
    course: Mapped[Course] = relationship()
    programme: Mapped[Programme | None] = relationship()
    venue: Mapped[Venue | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "name"),
        sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),
        sa.CheckConstraint("capacity >= 0 AND places_taken >= 0 AND places_taken <= capacity", name="places"),
        sa.CheckConstraint("creche_places_taken >= 0 AND creche_places_taken <= creche_capacity", name="creche_places"),
        sa.CheckConstraint(
            "interpreter_places_taken >= 0 AND interpreter_places_taken <= interpreter_capacity",
            name="interpreter_places",
        ),
        sa.CheckConstraint("offer_hours BETWEEN 1 AND 720", name="offer_hours_range"),
    )

    @property
    def places_left(self) -> int:
        return self.capacity - self.places_taken

    @property
    def organisation_timezone(self) -> str:
        return self.organisation.timezone

    @property
    def holiday_region(self) -> str:
        """The bank holidays at the cohort's venue: the venue's region, else the organisation's."""
        return holiday_region_at(self.organisation, self.venue)


def holiday_region_at(organisation: Organisation, venue: Venue | None) -> str:
    """The one rule for whose bank holidays apply at a place: the venue's region when it has one."""
    if venue is not None and venue.holiday_region:
        return venue.holiday_region
    return organisation.holiday_region


class DropInAttendee(Model):
    """Someone who came to a drop-in group, known by name only until merged into a learner record."""

    __tablename__ = "drop_in_attendee"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    first_seen_date: Mapped[date]
    learner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("learner.id", ondelete="SET NULL"), index=True)
    merged_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    cohort: Mapped[Cohort] = relationship()

    @property
    def full_name(self) -> str:
        """The name as it was given on the day (the `person_name` macro shows learners and attendees alike)."""
        return self.name

    @property
    def full_name_latin(self) -> str:
        return ""
