"""Double-booking checks for educators, rooms, cohorts and learners, in bulk, before anything is saved.

Two times clash when each starts before the other ends (`a.start < b.end and b.start < a.end`), so a
class ending at 12:30 and one starting at 12:30 do not. Cancelled sessions never clash. Each kind of
check is one indexed range query for the whole batch, however many sessions are proposed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from lms.core.errors import ServiceError
from lms.core.i18n import _, format_datetime
from lms.extensions import db
from lms.people.models import Learner, User
from lms.scheduling.models import Cohort, Enrolment, Room, Session, SessionEducator, SessionStatus, Venue
from lms.scheduling.models.enrolments import HOLDS_PLACE


@dataclass(frozen=True)
class Slot:
    """A session as proposed: new, or an existing one (`session_id`) at a new time or place."""

    start_dt: datetime
    end_dt: datetime
    cohort_id: int
    room_id: int | None = None
    venue_id: int | None = None
    educator_ids: frozenset[int] = frozenset()
    session_id: int | None = None


@dataclass(frozen=True)
class Clash:
    kind: str  # "educator", "room", "cohort" or "learner"
    slot: Slot
    other_start: datetime
    other_end: datetime
    other_cohort_id: int
    #: The educator, room or learner concerned.
    subject_id: int


@dataclass
class ClashReport:
    clashes: list[Clash] = field(default_factory=list)

    @property
    def blocking(self) -> list[Clash]:
        return [clash for clash in self.clashes if clash.kind != "learner"]

    @property
    def learner_clashes(self) -> list[Clash]:
        return [clash for clash in self.clashes if clash.kind == "learner"]


class ClashError(ServiceError):
    """Raised with every clash found; nothing has been saved."""

    def __init__(self, report: ClashReport):
        super().__init__(_("Nothing was saved: there are %(count)d clashes.", count=len(report.clashes)))
        self.report = report


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def _live_sessions_in(window_start: datetime, window_end: datetime, exclude: set[int]) -> sa.Select:
    query = sa.select(
        Session.id, Session.cohort_id, Session.room_id, Session.venue_id, Session.start_dt, Session.end_dt
    ).where(Session.status != SessionStatus.CANCELLED, Session.start_dt < window_end, Session.end_dt > window_start)
    if exclude:
        query = query.where(Session.id.not_in(exclude))
    return query


def find_clashes(slots: list[Slot], *, check_learners: bool = True) -> ClashReport:
    report = ClashReport()
    if not slots:
        return report
    window_start = min(slot.start_dt for slot in slots)
    window_end = max(slot.end_dt for slot in slots)
    exclude = {slot.session_id for slot in slots if slot.session_id}
    base = _live_sessions_in(window_start, window_end, exclude)
    _room_clashes(slots, base, report)
    _venue_clashes(slots, base, report)
    cohorts = {slot.cohort_id for slot in slots}
    _check(
        report,
        "cohort",
        slots,
        lambda s: [s.cohort_id],
        db.session.execute(base.where(Session.cohort_id.in_(cohorts))),
        lambda row: row.cohort_id,
    )
    _educator_clashes(slots, base, report)
    if check_learners:
        _learner_clashes(slots, cohorts, base, report)
    return report


def _check(report: ClashReport, kind: str, slots: list[Slot], key_of_slot, rows: Iterable, key_of_row) -> None:  # noqa: ANN001
    """Clashes of one kind: each slot against the booked rows sharing its key, and against the other slots."""
    by_key: dict[int, list] = defaultdict(list)
    for row in rows:
        by_key[key_of_row(row)].append(row)
    for index, slot in enumerate(slots):
        for key in key_of_slot(slot):
            for row in by_key.get(key, ()):
                if overlaps(slot.start_dt, slot.end_dt, row.start_dt, row.end_dt):
                    report.clashes.append(Clash(kind, slot, row.start_dt, row.end_dt, row.cohort_id, key))
            # The batch against itself: two proposed sessions cannot share a room, educator or cohort.
            for other in slots[index + 1 :]:
                if key in key_of_slot(other) and overlaps(slot.start_dt, slot.end_dt, other.start_dt, other.end_dt):
                    report.clashes.append(Clash(kind, slot, other.start_dt, other.end_dt, other.cohort_id, key))


def _room_clashes(slots: list[Slot], base: sa.Select, report: ClashReport) -> None:
    rooms = {slot.room_id for slot in slots if slot.room_id}
    if rooms:
        _check(
            report,
            "room",
            slots,
            lambda s: [s.room_id] if s.room_id else [],
            db.session.execute(base.where(Session.room_id.in_(rooms))),
            lambda row: row.room_id,
        )


def _venue_clashes(slots: list[Slot], base: sa.Select, report: ClashReport) -> None:
    """A venue without rooms is one room; virtual venues hold any number of sessions."""
    venues = {slot.venue_id for slot in slots if slot.venue_id and not slot.room_id}
    if not venues:
        return
    physical = set(db.session.scalars(sa.select(Venue.id).where(Venue.id.in_(venues), Venue.is_virtual.is_(False))))
    if physical:
        _check(
            report,
            "venue",
            slots,
            lambda s: [s.venue_id] if s.venue_id in physical and not s.room_id else [],
            db.session.execute(base.where(Session.venue_id.in_(physical), Session.room_id.is_(None))),
            lambda row: row.venue_id,
        )


def _educator_clashes(slots: list[Slot], base: sa.Select, report: ClashReport) -> None:
    educators = set().union(*(slot.educator_ids for slot in slots))
    if educators:
        educator_rows = db.session.execute(
            base.add_columns(SessionEducator.user_id)
            .join(SessionEducator, SessionEducator.session_id == Session.id)
            .where(SessionEducator.user_id.in_(educators))
        )
        _check(report, "educator", slots, lambda s: sorted(s.educator_ids), educator_rows, lambda row: row.user_id)


def _learner_clashes(slots: list[Slot], cohorts: set[int], base: sa.Select, report: ClashReport) -> None:
    """Learners of these cohorts who are also in another cohort meeting at the same time."""
    learners_by_cohort: dict[int, set[int]] = defaultdict(set)
    for cohort_id, learner_id in db.session.execute(
        sa.select(Enrolment.cohort_id, Enrolment.learner_id).where(
            Enrolment.cohort_id.in_(cohorts), Enrolment.status.in_(HOLDS_PLACE)
        )
    ):
        learners_by_cohort[cohort_id].add(learner_id)
    learner_ids = set().union(*learners_by_cohort.values()) if learners_by_cohort else set()
    if not learner_ids:
        return
    other_cohorts: dict[int, set[int]] = defaultdict(set)
    for cohort_id, learner_id in db.session.execute(
        sa.select(Enrolment.cohort_id, Enrolment.learner_id).where(
            Enrolment.learner_id.in_(learner_ids),
            Enrolment.status.in_(HOLDS_PLACE),
            Enrolment.cohort_id.not_in(cohorts),
        )
    ):
        other_cohorts[cohort_id].add(learner_id)
    if not other_cohorts:
        return
    rows = db.session.execute(base.where(Session.cohort_id.in_(other_cohorts)))
    for row in rows:
        for slot in slots:
            if overlaps(slot.start_dt, slot.end_dt, row.start_dt, row.end_dt):
                for learner_id in sorted(learners_by_cohort[slot.cohort_id] & other_cohorts[row.cohort_id]):
                    report.clashes.append(Clash("learner", slot, row.start_dt, row.end_dt, row.cohort_id, learner_id))


def _names_by_id(model, name_column, ids: set[int]) -> dict[int, str]:  # noqa: ANN001
    return dict(db.session.execute(sa.select(model.id, name_column).where(model.id.in_(ids))).all())


def describe(report: ClashReport, tz: str = "Europe/London") -> list[str]:
    """Every clash as a sentence, looking up names in five queries."""
    zone = ZoneInfo(tz)

    def subjects(kind: str) -> set[int]:
        return {c.subject_id for c in report.clashes if c.kind == kind}

    cohorts = _names_by_id(Cohort, Cohort.name, {c.other_cohort_id for c in report.clashes})
    names = {
        "educator": _names_by_id(User, User.display_name, subjects("educator")),
        "room": _names_by_id(Room, Room.name, subjects("room")),
        "venue": _names_by_id(Venue, Venue.name, subjects("venue")),
        "learner": {
            learner.id: learner.both_names
            for learner in db.session.scalars(sa.select(Learner).where(Learner.id.in_(subjects("learner"))))
        },
    }
    return [
        _sentence(
            clash,
            when=format_datetime(clash.slot.start_dt.astimezone(zone), "EEE d MMM yyyy HH:mm"),
            subject=names.get(clash.kind, {}).get(clash.subject_id, "?"),
            other=cohorts.get(clash.other_cohort_id, "?"),
        )
        for clash in report.clashes
    ]


def _sentence(clash: Clash, *, when: str, subject: str, other: str) -> str:
    if clash.kind == "educator":
        return _("%(when)s: %(person)s already teaches %(cohort)s then.", when=when, person=subject, cohort=other)
    if clash.kind == "room":
        return _("%(when)s: room %(room)s is booked for %(cohort)s.", when=when, room=subject, cohort=other)
    if clash.kind == "venue":
        return _("%(when)s: %(venue)s is booked for %(cohort)s.", when=when, venue=subject, cohort=other)
    if clash.kind == "cohort":
        return _("%(when)s: this cohort already meets then.", when=when)
    return _("%(when)s: %(learner)s is in %(cohort)s at the same time.", when=when, learner=subject, cohort=other)


def learner_timetable_clashes(learner_id: int, cohort_id: int) -> list[str]:
    """Names of the learner's other cohorts that meet at the same time as this one (two queries)."""
    other_cohorts = sa.select(Enrolment.cohort_id).where(
        Enrolment.learner_id == learner_id, Enrolment.status.in_(HOLDS_PLACE), Enrolment.cohort_id != cohort_id
    )
    mine = db.session.execute(
        sa.select(Session.start_dt, Session.end_dt).where(
            Session.cohort_id == cohort_id, Session.status != SessionStatus.CANCELLED
        )
    ).all()
    if not mine:
        return []
    theirs = db.session.execute(
        sa.select(Session.start_dt, Session.end_dt, Cohort.name)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(
            Session.cohort_id.in_(other_cohorts),
            Session.status != SessionStatus.CANCELLED,
            Session.start_dt < max(row.end_dt for row in mine),
            Session.end_dt > min(row.start_dt for row in mine),
        )
    ).all()
    return sorted(
        {name for start, end, name in theirs if any(overlaps(start, end, row.start_dt, row.end_dt) for row in mine)}
    )
