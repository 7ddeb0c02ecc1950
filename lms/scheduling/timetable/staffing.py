"""Assigning educators to cohorts and sessions, suggesting who is free and suitable, and cover."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from lms.core import audit
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.core.roles import Role
from lms.core.time import now_utc
from lms.courses.models import Course
from lms.extensions import db
from lms.people.models import EducatorProfile, Learner, User, UserRole
from lms.scheduling.clashes import ClashError, Slot, find_clashes
from lms.scheduling.models import (
    Cohort,
    CohortEducator,
    EducatorAbsence,
    EducatorAvailability,
    EducatorRole,
    Enrolment,
    Session,
    SessionEducator,
    SessionStatus,
)
from lms.scheduling.models.enrolments import HOLDS_PLACE


def _educator(user: User | None, cohort: Cohort) -> User:
    if user is None or user.organisation_id != cohort.organisation_id or not user.has_role(Role.EDUCATOR):
        raise ServiceError(_("Choose an educator of your organisation."), field="user_id")
    return user


def _future_sessions(cohort: Cohort) -> list[Session]:
    return list(
        db.session.scalars(
            sa.select(Session)
            .where(
                Session.cohort_id == cohort.id, Session.status == SessionStatus.SCHEDULED, Session.end_dt > now_utc()
            )
            .order_by(Session.start_dt)
        )
    )


def _refuse_clashes(slots: list[Slot]) -> None:
    report = find_clashes(slots, check_learners=False)
    if report.clashes:
        raise ClashError(report)


def assign_to_cohort(cohort: Cohort, user: User | None, role: EducatorRole | str, actor: User) -> int:
    """Assign to the cohort and to all its sessions still to come. Refused, with every clash, if busy."""
    user, role = _educator(user, cohort), EducatorRole(role)
    sessions = [s for s in _future_sessions(cohort) if all(link.user_id != user.id for link in s.educator_links)]
    _refuse_clashes([Slot(s.start_dt, s.end_dt, s.cohort_id, None, None, frozenset({user.id}), s.id) for s in sessions])
    link = db.session.get(CohortEducator, (cohort.id, user.id))
    if link is None:
        db.session.add(CohortEducator(cohort_id=cohort.id, user_id=user.id, role=role))
    else:
        link.role = role
    for session in sessions:
        session.educator_links.append(SessionEducator(user_id=user.id, role=role))
        session.touch()  # the educator's name is in the calendar event
    db.session.flush()
    audit.record(
        "cohort.educator.assign",
        actor_id=actor.id,
        subject_type="cohort",
        subject_id=cohort.id,
        user_id=user.id,
        role=role.value,
    )
    return len(sessions)


def unassign_from_cohort(cohort: Cohort, user: User, actor: User) -> int:
    link = db.session.get(CohortEducator, (cohort.id, user.id))
    if link is not None:
        db.session.delete(link)
    removed = 0
    for session in _future_sessions(cohort):
        for educator_link in list(session.educator_links):
            if educator_link.user_id == user.id:
                session.educator_links.remove(educator_link)
                session.touch()
                removed += 1
    db.session.flush()
    audit.record(
        "cohort.educator.unassign", actor_id=actor.id, subject_type="cohort", subject_id=cohort.id, user_id=user.id
    )
    return removed


def assign_to_session(session: Session, user: User | None, role: EducatorRole | str, actor: User) -> None:
    user, role = _educator(user, session.cohort), EducatorRole(role)
    if any(link.user_id == user.id for link in session.educator_links):
        raise ServiceError(_("This educator is already on this session."), field="user_id")
    _refuse_clashes(
        [Slot(session.start_dt, session.end_dt, session.cohort_id, None, None, frozenset({user.id}), session.id)]
    )
    session.educator_links.append(SessionEducator(user_id=user.id, role=role))
    session.touch()
    db.session.flush()
    audit.record(
        "session.educator.assign", actor_id=actor.id, subject_type="session", subject_id=session.id, user_id=user.id
    )


def cover(session: Session, absent: User, cover_user: User | None, actor: User) -> None:
    """Someone covers for an educator who cannot come: same role, and the link remembers who for."""
    link = next((link for link in session.educator_links if link.user_id == absent.id), None)
    if link is None:
        raise ServiceError(_("That educator is not on this session."))
    cover_user = _educator(cover_user, session.cohort)
    if any(other.user_id == cover_user.id for other in session.educator_links):
        raise ServiceError(_("This educator is already on this session."), field="user_id")
    _refuse_clashes(
        [Slot(session.start_dt, session.end_dt, session.cohort_id, None, None, frozenset({cover_user.id}), session.id)]
    )
    role = link.role
    session.educator_links.remove(link)
    db.session.flush()
    session.educator_links.append(SessionEducator(user_id=cover_user.id, role=role, covering_for_id=absent.id))
    session.touch()
    db.session.flush()
    audit.record(
        "session.educator.cover",
        actor_id=actor.id,
        subject_type="session",
        subject_id=session.id,
        absent_id=absent.id,
        cover_id=cover_user.id,
    )


@dataclass
class Suggestion:
    user: User
    free: bool
    reasons: list[str] = field(default_factory=list)
    #: Languages the educator shares with the cohort's learners.
    shared_languages: list[str] = field(default_factory=list)

    @property
    def suitable(self) -> bool:
        return self.free and not self.reasons


@dataclass(frozen=True)
class _Need:
    """What the sessions ask of an educator's profile."""

    course: Course
    first_day: date
    last_day: date
    #: The primary language subtags the cohort's learners prefer.
    languages: set[str]


def suggest_educators(cohort: Cohort, sessions: list[Session]) -> list[Suggestion]:
    """Every educator of the organisation, the suitable first: free for these sessions, available on
    those days and times, not away, with a DBS check current for their dates and of the level the
    course needs, teaching its kind of course, sector and ESOL level (where her profile says), and
    sharing the most languages with the learners."""
    if not sessions:
        return []
    educators = _educators_of(cohort.organisation_id)
    ids = [e.id for e in educators]
    slots = [Slot(s.start_dt, s.end_dt, s.cohort_id, None, None, frozenset(ids), s.id) for s in sessions]
    busy = {clash.subject_id for clash in find_clashes(slots, check_learners=False).clashes}
    availability: dict[int, list[EducatorAvailability]] = {}
    for row in db.session.scalars(sa.select(EducatorAvailability).where(EducatorAvailability.user_id.in_(ids))):
        availability.setdefault(row.user_id, []).append(row)
    away = _away(ids, sessions)
    need = _Need(
        course=cohort.course,
        first_day=min(s.start_dt for s in sessions).astimezone(ZoneInfo(cohort.organisation_timezone)).date(),
        last_day=max(s.end_dt for s in sessions).astimezone(ZoneInfo(cohort.organisation_timezone)).date(),
        languages=_learner_languages(cohort),
    )
    suggestions = []
    for educator in educators:
        suggestion = Suggestion(educator, free=educator.id not in busy)
        if not suggestion.free:
            suggestion.reasons.append(_("Teaching elsewhere at one of these times."))
        if educator.id in away:
            suggestion.reasons.append(_("Away on some of these dates."))
        pattern = availability.get(educator.id)
        if pattern and not all(_within(pattern, s) for s in sessions):
            suggestion.reasons.append(_("Not usually available at these times."))
        _check_profile(suggestion, educator.educator_profile, need)
        suggestions.append(suggestion)
    return sorted(
        suggestions, key=lambda s: (not s.suitable, not s.free, -len(s.shared_languages), s.user.display_name)
    )


def _educators_of(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.organisation_id == organisation_id, UserRole.role == Role.EDUCATOR, User.is_active.is_(True))
            .options(sa.orm.selectinload(User.educator_profile))
            .order_by(User.display_name)
        )
    )


def _away(user_ids: list[int], sessions: list[Session]) -> set[int]:
    """Educators with an absence overlapping the sessions' dates (a day either side, for time zones)."""
    first_day = min(s.start_dt for s in sessions).date() - timedelta(days=1)
    last_day = max(s.end_dt for s in sessions).date() + timedelta(days=1)
    return set(
        db.session.scalars(
            sa.select(EducatorAbsence.user_id).where(
                EducatorAbsence.user_id.in_(user_ids),
                EducatorAbsence.start_date <= last_day,
                EducatorAbsence.end_date >= first_day,
            )
        )
    )


def _learner_languages(cohort: Cohort) -> set[str]:
    """The primary language subtags the cohort's learners prefer."""
    languages: set[str] = set()
    for tags in db.session.scalars(
        sa.select(Learner.preferred_languages)
        .join(Enrolment, Enrolment.learner_id == Learner.id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status.in_(HOLDS_PLACE))
    ):
        languages.update(tag.split("-")[0] for tag in tags.split())
    return languages


def _check_profile(suggestion: Suggestion, profile: EducatorProfile | None, need: _Need) -> None:
    """The profile's part of suitability: a DBS check current for the sessions' dates and of the level
    the course needs, and the course's subject and level among those she may teach (when recorded)."""
    _check_dbs(suggestion, profile, need)
    if profile is None:
        return
    course = need.course
    if profile.subjects and course.kind.value not in profile.subjects:
        suggestion.reasons.append(_("Does not teach this kind of course."))
    elif course.sector is not None and profile.sectors and course.sector.value not in profile.sectors:
        suggestion.reasons.append(_("Does not teach this sector."))
    if course.esol_level is not None and profile.esol_levels and course.esol_level.value not in profile.esol_levels:
        suggestion.reasons.append(_("Does not teach this ESOL level."))
    suggestion.shared_languages = sorted({tag.split("-")[0] for tag in profile.languages.split()} & need.languages)


def _check_dbs(suggestion: Suggestion, profile: EducatorProfile | None, need: _Need) -> None:
    if profile is None or profile.dbs_issue_date is None:
        suggestion.reasons.append(_("No DBS check recorded."))
        return
    if not profile.dbs_current_on(need.first_day, need.last_day):
        if profile.dbs_issue_date > need.first_day:
            suggestion.reasons.append(_("DBS check issued after the first of these sessions."))
        else:
            suggestion.reasons.append(_("DBS check due for renewal."))
    required = need.course.required_dbs_level
    if required is not None and (profile.dbs_level is None or profile.dbs_level.rank < required.rank):
        suggestion.reasons.append(_("This course needs a DBS check of at least: %(level)s.", level=required.title))


def _within(pattern: list[EducatorAvailability], session: Session) -> bool:
    zone = ZoneInfo(session.timezone)
    start, end = session.start_dt.astimezone(zone), session.end_dt.astimezone(zone)
    return any(
        slot.weekday == start.weekday() and slot.start_time <= start.time() and end.time() <= slot.end_time
        for slot in pattern
    )


def save_availability(user: User, weekday: int, start, end, actor: User) -> EducatorAvailability:  # noqa: ANN001
    if weekday not in range(7):
        raise ServiceError(_("Choose from the list."), field="weekday")
    if start is None or end is None or end <= start:
        raise ServiceError(_("The session must end after it starts."), field="end_time")
    row = EducatorAvailability(user_id=user.id, weekday=weekday, start_time=start, end_time=end)
    db.session.add(row)
    db.session.flush()
    audit.record("educator.availability.add", actor_id=actor.id, subject_type="user", subject_id=user.id)
    return row


def add_absence(user: User, start: date | None, end: date | None, reason: str, actor: User) -> EducatorAbsence:
    if start is None or end is None:
        raise ServiceError(_("Enter the first and last days away."), field="start_date")
    if end < start:
        raise ServiceError(_("The end date must be on or after the start date."), field="end_date")
    absence = EducatorAbsence(user_id=user.id, start_date=start, end_date=end, reason=(reason or "").strip())
    db.session.add(absence)
    db.session.flush()
    audit.record("educator.absence.add", actor_id=actor.id, subject_type="user", subject_id=user.id)
    return absence


def remove_absence(absence: EducatorAbsence, actor: User) -> None:
    db.session.delete(absence)
    db.session.flush()
    audit.record("educator.absence.remove", actor_id=actor.id, subject_type="user", subject_id=absence.user_id)
