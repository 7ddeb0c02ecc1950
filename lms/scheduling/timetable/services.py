"""Timetable rules, generating sessions from them, closures, and changes to single sessions.

A rule is wall-clock time in a named zone. Each occurrence is turned into instants on its own date
with zoneinfo, so a weekly 18:00 class is at 18:00 in London in both summer and winter. Regenerating
is idempotent: sessions are matched by (rule, date), updated in place (their revision goes up), and
never deleted: a session that is no longer in the timetable is cancelled, so attendance taken at it is
kept and calendar feeds show it as cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import sqlalchemy as sa
from dateutil.rrule import WEEKLY, rrule

from lms.core import audit
from lms.core.db import text_limit
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.core.inputs import check_length
from lms.extensions import db
from lms.people.models import Organisation, User
from lms.scheduling.clashes import ClashError, ClashReport, Slot, find_clashes
from lms.scheduling.hooks import sessions_changed
from lms.scheduling.models import (
    Closure,
    Cohort,
    CohortEducator,
    Room,
    Session,
    SessionEducator,
    SessionStatus,
    TimetableRule,
    Venue,
    holiday_region_at,
)
from lms.scheduling.timetable.inputs import TimetableRuleInput

MAX_SESSION_HOURS = 12


def local_instant(day: date, wall: time, tz: str) -> datetime:
    """The UTC instant of a wall-clock time on a date in a zone (never a fixed offset)."""
    return datetime.combine(day, wall, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def local_date(instant: datetime, tz: str) -> date:
    return instant.astimezone(ZoneInfo(tz)).date()


# --- closures ------------------------------------------------------------------------------------


def bank_holidays(region: str, start: date, end: date) -> dict[date, str]:
    """Bank holidays with substitute days (Boxing Day 2026 is a Saturday, so Monday 28 December is off)."""
    found = holidays.country_holidays("GB", subdiv=region, years=range(start.year, end.year + 1))
    return {day: name for day, name in found.items() if start <= day <= end}


def closed_days(organisation: Organisation, venue: Venue | None, start: date, end: date) -> dict[date, str]:
    """Every closed day at a place in a range with its reason: the bank holidays of the place's region
    (`holiday_region_at`: the venue's, else the organisation's), then organisation and venue closures."""
    region = holiday_region_at(organisation, venue)
    closed = {day: _("Bank holiday: %(name)s", name=name) for day, name in bank_holidays(region, start, end).items()}
    venue_id = venue.id if venue is not None else None
    query = sa.select(Closure).where(
        Closure.organisation_id == organisation.id, Closure.start_date <= end, Closure.end_date >= start
    )
    query = (
        query.where(sa.or_(Closure.venue_id.is_(None), Closure.venue_id == venue_id))
        if venue_id
        else query.where(Closure.venue_id.is_(None))
    )
    for closure in db.session.scalars(query):
        day = max(closure.start_date, start)
        while day <= min(closure.end_date, end):
            closed.setdefault(day, _("Closed: %(reason)s", reason=closure.reason))
            day += timedelta(days=1)
    return closed


def add_closure(
    organisation_id: int, venue: Venue | None, start: date | None, end: date | None, reason: str, actor: User
) -> tuple[Closure, list[Session]]:
    """Add a closure and flag the sessions already scheduled in it: a coordinator cancels or moves each."""
    reason = (reason or "").strip()
    if not start or not end:
        raise ServiceError(_("Enter the first and last closed days."), field="start_date")
    if end < start:
        raise ServiceError(_("The end date must be on or after the start date."), field="end_date")
    if (end - start).days > 366:
        raise ServiceError(_("A closure can last at most a year."), field="end_date")
    if not reason:
        raise ServiceError(_("Say why it is closed."), field="reason")
    closure = Closure(
        organisation_id=organisation_id,
        venue_id=venue.id if venue else None,
        start_date=start,
        end_date=end,
        reason=reason,
    )
    db.session.add(closure)
    # Look a day either side in UTC, then compare local dates: a session's date is where it happens.
    window_start = datetime.combine(start - timedelta(days=1), time.min, tzinfo=UTC)
    window_end = datetime.combine(end + timedelta(days=2), time.min, tzinfo=UTC)
    query = (
        sa.select(Session)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(
            Cohort.organisation_id == organisation_id,
            Session.status == SessionStatus.SCHEDULED,
            Session.start_dt >= window_start,
            Session.start_dt < window_end,
        )
    )
    if venue is not None:
        query = query.where(Session.venue_id == venue.id)
    flagged = [s for s in db.session.scalars(query) if start <= local_date(s.start_dt, s.timezone) <= end]
    for session in flagged:
        session.needs_decision, session.decision_note = True, reason[:200]
    db.session.flush()
    audit.record("closure.add", actor_id=actor.id, subject_type="closure", subject_id=closure.id, flagged=len(flagged))
    return closure, flagged


# --- rules ---------------------------------------------------------------------------------------


def _check_zone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ServiceError(_("Choose a time zone from the list."), field="timezone")
    return tz


def _check_place(cohort: Cohort, venue_id: Any, room_id: Any) -> tuple[Venue | None, Room | None]:
    venue = db.session.get(Venue, int(venue_id)) if venue_id else cohort.venue
    if venue is not None and venue.organisation_id != cohort.organisation_id:
        raise ServiceError(_("Choose from the list."), field="venue_id")
    room = db.session.get(Room, int(room_id)) if room_id else None
    if room is not None:
        if venue is None or room.venue_id != venue.id:
            raise ServiceError(_("Choose a room in the chosen venue."), field="room_id")
        if room.capacity is not None and room.capacity < cohort.capacity:
            raise ServiceError(
                _(
                    "Room %(room)s holds %(count)d people but the cohort has %(places)d places.",
                    room=room.name,
                    count=room.capacity,
                    places=cohort.capacity,
                ),
                field="room_id",
            )
    elif venue is not None and venue.capacity is not None and venue.capacity < cohort.capacity:
        raise ServiceError(
            _(
                "%(venue)s holds %(count)d people: reduce the places or choose a bigger room.",
                venue=venue.name,
                count=venue.capacity,
            ),
            field="venue_id",
        )
    return venue, room


def _check_times(start: time | None, end: time | None) -> tuple[time, time]:
    if start is None or end is None:
        raise ServiceError(_("Enter the start and end times."), field="start_time")
    if end <= start:
        raise ServiceError(_("The session must end after it starts."), field="end_time")
    if (datetime.combine(date.min, end) - datetime.combine(date.min, start)) > timedelta(hours=MAX_SESSION_HOURS):
        raise ServiceError(_("A session can last at most %(hours)d hours.", hours=MAX_SESSION_HOURS), field="end_time")
    return start, end


def _rule_dates(cohort: Cohort, data: TimetableRuleInput) -> tuple[date, date]:
    start, end = data.start_date or cohort.start_date, data.end_date or cohort.end_date
    if end < start:
        raise ServiceError(_("The end date must be on or after the start date."), field="end_date")
    if start < cohort.start_date or end > cohort.end_date:
        raise ServiceError(
            _(
                "The timetable must fall within the cohort's dates (%(start)s to %(end)s).",
                start=cohort.start_date.isoformat(),
                end=cohort.end_date.isoformat(),
            ),
            field="start_date",
        )
    return start, end


def save_rule(
    cohort: Cohort, data: TimetableRuleInput, actor: User, rule: TimetableRule | None = None
) -> TimetableRule:
    weekdays = sorted(set(data.weekdays))
    if not weekdays:
        raise ServiceError(_("Choose at least one day of the week."), field="weekdays")
    if any(day not in range(7) for day in weekdays):
        raise ServiceError(_("Choose from the list."), field="weekdays")
    start_time, end_time = _check_times(data.start_time, data.end_time)
    start, end = _rule_dates(cohort, data)
    tz = _check_zone(data.timezone or cohort.organisation_timezone)
    venue, room = _check_place(cohort, data.venue_id, data.room_id)
    rule = rule or TimetableRule(cohort_id=cohort.id)
    rule.weekdays, rule.start_time, rule.end_time = weekdays, start_time, end_time
    rule.start_date, rule.end_date, rule.timezone = start, end, tz
    rule.venue, rule.room = venue, room
    db.session.add(rule)
    db.session.flush()
    audit.record("timetable.rule.save", actor_id=actor.id, subject_type="cohort", subject_id=cohort.id)
    return rule


# --- generating ----------------------------------------------------------------------------------


@dataclass
class GenerationPlan:
    rule: TimetableRule
    create: list[tuple[date, datetime, datetime]] = field(default_factory=list)
    update: list[tuple[Session, datetime, datetime]] = field(default_factory=list)
    reinstate: list[tuple[Session, datetime, datetime]] = field(default_factory=list)
    cancel: list[Session] = field(default_factory=list)
    unchanged: list[Session] = field(default_factory=list)
    #: (date, reason) for every occurrence skipped for a closure
    skipped: list[tuple[date, str]] = field(default_factory=list)
    clashes: ClashReport = field(default_factory=ClashReport)


def occurrences(rule: TimetableRule) -> list[date]:
    start = datetime.combine(rule.start_date, time.min)
    until = datetime.combine(rule.end_date, time.min)
    return [moment.date() for moment in rrule(WEEKLY, byweekday=rule.weekdays, dtstart=start, until=until)]


def plan_generation(rule: TimetableRule) -> GenerationPlan:
    """Work out what generating would change, and every clash it would cause, without saving anything."""
    cohort = rule.cohort
    plan = GenerationPlan(rule)
    closed = closed_days(cohort.organisation, rule.venue, rule.start_date, rule.end_date)
    existing = {s.occurrence_date: s for s in db.session.scalars(sa.select(Session).where(Session.rule_id == rule.id))}
    wanted: set[date] = set()
    for day in occurrences(rule):
        if day in closed:
            plan.skipped.append((day, closed[day]))
            continue
        wanted.add(day)
        _plan_occurrence(plan, day, existing.get(day))
    plan.cancel = [s for day, s in existing.items() if day not in wanted and not s.is_cancelled]
    plan.clashes = find_clashes(_planned_slots(plan))
    return plan


def _plan_occurrence(plan: GenerationPlan, day: date, session: Session | None) -> None:
    """Create, update, reinstate or leave the session of one wanted day."""
    rule = plan.rule
    start, end = local_instant(day, rule.start_time, rule.timezone), local_instant(day, rule.end_time, rule.timezone)
    if session is None:
        plan.create.append((day, start, end))
    elif session.is_cancelled and not session.cancel_reason.startswith("timetable:"):
        plan.unchanged.append(session)  # cancelled by hand: stays cancelled
    elif session.is_cancelled:
        plan.reinstate.append((session, start, end))
    elif session.is_moved:
        plan.unchanged.append(session)
    elif (session.start_dt, session.end_dt, session.room_id, session.venue_id) != (
        start,
        end,
        rule.room_id,
        rule.venue_id,
    ):
        plan.update.append((session, start, end))
    else:
        plan.unchanged.append(session)


def _planned_slots(plan: GenerationPlan) -> list[Slot]:
    """The sessions to create (with the cohort's educators) and those to change (with their own)."""
    rule, cohort = plan.rule, plan.rule.cohort
    educators = frozenset(
        db.session.scalars(sa.select(CohortEducator.user_id).where(CohortEducator.cohort_id == cohort.id))
    )
    slots = [Slot(start, end, cohort.id, rule.room_id, rule.venue_id, educators) for _day, start, end in plan.create]
    slots += [
        Slot(
            start,
            end,
            cohort.id,
            rule.room_id,
            rule.venue_id,
            frozenset(link.user_id for link in session.educator_links),
            session.id,
        )
        for session, start, end in plan.update + plan.reinstate
    ]
    return slots


def generate(rule: TimetableRule, actor: User, *, accept_learner_clashes: bool = False) -> GenerationPlan:
    """Apply a plan. Any educator, room or cohort clash (or learner clash not accepted) saves nothing."""
    plan = plan_generation(rule)
    if plan.clashes.blocking or (plan.clashes.learner_clashes and not accept_learner_clashes):
        raise ClashError(plan.clashes)
    cohort = rule.cohort
    educators = db.session.scalars(sa.select(CohortEducator).where(CohortEducator.cohort_id == cohort.id)).all()
    for day, start, end in plan.create:
        session = Session(
            cohort_id=cohort.id,
            rule_id=rule.id,
            occurrence_date=day,
            start_dt=start,
            end_dt=end,
            timezone=rule.timezone,
            venue_id=rule.venue_id,
            room_id=rule.room_id,
        )
        session.educator_links = [SessionEducator(user_id=e.user_id, role=e.role) for e in educators]
        db.session.add(session)
    for session, start, end in plan.update + plan.reinstate:
        session.start_dt, session.end_dt, session.timezone = start, end, rule.timezone
        session.venue_id, session.room_id = rule.venue_id, rule.room_id
        session.status, session.cancel_reason = SessionStatus.SCHEDULED, ""
        session.touch()
    for session in plan.cancel:
        session.status, session.cancel_reason = (
            SessionStatus.CANCELLED,
            "timetable: " + _("Removed from the timetable."),
        )
        session.touch()
    db.session.flush()
    if plan.update or plan.reinstate or plan.cancel:
        sessions_changed({cohort.id})
    audit.record(
        "timetable.generate",
        actor_id=actor.id,
        subject_type="cohort",
        subject_id=cohort.id,
        created=len(plan.create),
        updated=len(plan.update) + len(plan.reinstate),
        cancelled=len(plan.cancel),
    )
    return plan


# --- single sessions -----------------------------------------------------------------------------


def _session_slot(session: Session, start: datetime, end: datetime, room_id: int | None, venue_id: int | None) -> Slot:
    return Slot(
        start,
        end,
        session.cohort_id,
        room_id,
        venue_id,
        frozenset(link.user_id for link in session.educator_links),
        session.id,
    )


def _check_clashes(slots: list[Slot], accept_learner_clashes: bool) -> None:
    report = find_clashes(slots)
    if report.blocking or (report.learner_clashes and not accept_learner_clashes):
        raise ClashError(report)


def add_session(
    cohort: Cohort,
    day: date | None,
    start: time | None,
    end: time | None,
    actor: User,
    *,
    venue_id: Any = None,
    room_id: Any = None,
    accept_learner_clashes: bool = False,
) -> Session:
    """An extra session outside the weekly pattern (a catch-up, an exam, a trip)."""
    if day is None:
        raise ServiceError(_("Enter the date."), field="day")
    start, end = _check_times(start, end)
    venue, room = _check_place(cohort, venue_id, room_id)
    tz = cohort.organisation_timezone
    start_dt, end_dt = local_instant(day, start, tz), local_instant(day, end, tz)
    slot = Slot(
        start_dt,
        end_dt,
        cohort.id,
        room.id if room else None,
        venue.id if venue else None,
        frozenset(db.session.scalars(sa.select(CohortEducator.user_id).where(CohortEducator.cohort_id == cohort.id))),
    )
    _check_clashes([slot], accept_learner_clashes)
    session = Session(cohort_id=cohort.id, start_dt=start_dt, end_dt=end_dt, timezone=tz, venue=venue, room=room)
    educators = db.session.scalars(sa.select(CohortEducator).where(CohortEducator.cohort_id == cohort.id)).all()
    session.educator_links = [SessionEducator(user_id=e.user_id, role=e.role) for e in educators]
    db.session.add(session)
    db.session.flush()
    audit.record("session.add", actor_id=actor.id, subject_type="session", subject_id=session.id)
    return session


def move_session(
    session: Session,
    day: date | None,
    start: time | None,
    end: time | None,
    actor: User,
    *,
    venue_id: Any = None,
    room_id: Any = None,
    accept_learner_clashes: bool = False,
) -> Session:
    if session.is_cancelled:
        raise ServiceError(_("A cancelled session cannot be moved. Add a new session instead."))
    if day is None:
        raise ServiceError(_("Enter the date."), field="day")
    start, end = _check_times(start, end)
    venue, room = _check_place(session.cohort, venue_id or session.venue_id, room_id)
    start_dt, end_dt = local_instant(day, start, session.timezone), local_instant(day, end, session.timezone)
    _check_clashes(
        [_session_slot(session, start_dt, end_dt, room.id if room else None, venue.id if venue else None)],
        accept_learner_clashes,
    )
    session.start_dt, session.end_dt, session.venue, session.room = start_dt, end_dt, venue, room
    session.is_moved, session.needs_decision, session.decision_note = True, False, ""
    session.touch()
    db.session.flush()
    sessions_changed({session.cohort_id})
    audit.record("session.move", actor_id=actor.id, subject_type="session", subject_id=session.id)
    return session


def cancel_session(session: Session, reason: str, actor: User) -> Session:
    reason = check_length((reason or "").strip(), text_limit(Session.cancel_reason), "reason")
    if not reason:
        raise ServiceError(_("Give a reason: learners see it."), field="reason")
    if session.is_cancelled:
        raise ServiceError(_("This session is already cancelled."))
    session.status, session.cancel_reason = SessionStatus.CANCELLED, reason
    session.needs_decision, session.decision_note = False, ""
    session.touch()
    db.session.flush()
    sessions_changed({session.cohort_id})
    audit.record("session.cancel", actor_id=actor.id, subject_type="session", subject_id=session.id)
    return session


def keep_session(session: Session, actor: User) -> None:
    """Decide that a session flagged by a closure goes ahead after all (e.g. the closure is elsewhere)."""
    session.needs_decision, session.decision_note = False, ""
    audit.record("session.keep", actor_id=actor.id, subject_type="session", subject_id=session.id)
