"""Attendance: the register, notices of absence, self check-in, alerts and rates.

A register is saved in one request and one transaction: every mark is checked first, then all are
written together, with a history row for every change. "All present except..." never overwrites an
absence the learner told us about unless the educator confirms it.

Marks are written so that requests at the same moment (a phone resending, two educators, a learner
checking in while the register is saved) never clash: new marks go in with INSERT ... ON CONFLICT DO
NOTHING, and every other mark is read again under a lock and compared before it is changed, so each
change gets exactly one history row with its real old status (`_write_marks`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from lms.assessments.attendance.models import (
    ATTENDED,
    NOT_IN_RATE,
    AbsenceNotice,
    AttendanceChange,
    AttendanceMark,
    AttendanceMonth,
    AttendanceStatus,
    CheckInTry,
    EnrolmentAttendance,
    MarkSource,
    NoticeChannel,
    NoticeReason,
    SessionAttendance,
)
from lms.core import audit
from lms.core.db import upsert_insert
from lms.core.errors import ServiceError
from lms.core.i18n import _, ngettext
from lms.core.inputs import check_length
from lms.core.roles import Role
from lms.core.time import DEFAULT_TZ_NAME, now_utc, today_local
from lms.extensions import db
from lms.people.models import Learner, Organisation, User
from lms.scheduling.cohorts.enrolment import link_drop_in
from lms.scheduling.models import Cohort, DropInAttendee, Enrolment, EnrolmentStatus, Session, SessionStatus

#: Learners on the register: everyone who holds or held a place (withdrawn learners keep past marks).
ON_REGISTER = (
    EnrolmentStatus.ENROLLED,
    EnrolmentStatus.COMPLETED,
    EnrolmentStatus.DID_NOT_COMPLETE,
    EnrolmentStatus.OFFERED,
)
OPENS_BEFORE = timedelta(minutes=15)
LATE_AFTER = timedelta(minutes=5)
CODE_STEP_SECONDS = 60
#: Wrong self check-in codes a learner may type for one session; then the educator marks them instead.
WRONG_CODES_ALLOWED = 5
#: At-risk lists keep a class for this many days after it ends (the last absences still matter).
RECENT_DAYS = 14


def session_minutes(session: Session) -> int:
    return int((session.end_dt - session.start_dt).total_seconds() // 60)


def minutes_attended(session: Session, status: AttendanceStatus, late: int, left_early: int) -> int:
    if not status.attended:
        return 0
    return max(0, session_minutes(session) - late - left_early)


@dataclass
class RegisterRow:
    learner: Learner | None
    attendee: DropInAttendee | None
    mark: AttendanceMark | None
    notice: AbsenceNotice | None

    @property
    def _attendee(self) -> DropInAttendee:
        assert self.attendee is not None  # a row without a learner is a drop-in attendee's
        return self.attendee

    @property
    def key(self) -> str:
        return f"l{self.learner.id}" if self.learner else f"a{self._attendee.id}"

    @property
    def name(self) -> str:
        return self.learner.full_name if self.learner else self._attendee.name

    @property
    def full_name(self) -> str:
        return self.name

    @property
    def full_name_latin(self) -> str:
        return self.learner.full_name_latin if self.learner else ""

    @property
    def both_names(self) -> str:
        return self.learner.both_names if self.learner else self._attendee.name

    @property
    def initials(self) -> str:
        parts = (self.learner.full_name_latin or self.learner.full_name) if self.learner else self._attendee.name
        return "".join(word[0] for word in parts.split()[:2]).upper()

    @property
    def status(self) -> AttendanceStatus | None:
        """What the register shows: the mark if there is one, else a notified absence, else nothing yet."""
        if self.mark is not None:
            return self.mark.status
        return AttendanceStatus.ABSENT_NOTIFIED if self.notice is not None else None


def register_rows(session: Session) -> list[RegisterRow]:
    """Everyone on the register, in four queries however many learners there are."""
    marks = db.session.scalars(sa.select(AttendanceMark).where(AttendanceMark.session_id == session.id)).all()
    by_learner = {m.learner_id: m for m in marks if m.learner_id}
    by_attendee = {m.attendee_id: m for m in marks if m.attendee_id}
    notices = {
        n.learner_id: n
        for n in db.session.scalars(sa.select(AbsenceNotice).where(AbsenceNotice.session_id == session.id))
    }
    if session.cohort.is_drop_in:
        attendees = db.session.scalars(
            sa.select(DropInAttendee).where(DropInAttendee.cohort_id == session.cohort_id).order_by(DropInAttendee.name)
        ).all()
        return [RegisterRow(None, a, by_attendee.get(a.id), None) for a in attendees]
    learners = db.session.scalars(
        sa.select(Learner)
        .join(Enrolment, Enrolment.learner_id == Learner.id)
        .where(
            Enrolment.cohort_id == session.cohort_id,
            sa.or_(Enrolment.status.in_(ON_REGISTER), Learner.id.in_(list(by_learner) or [0])),
        )
        .order_by(Learner.family_name_latin, Learner.given_name_latin, Learner.family_name, Learner.given_name)
    ).all()
    return [RegisterRow(learner, None, by_learner.get(learner.id), notices.get(learner.id)) for learner in learners]


@dataclass
class Entry:
    key: str
    status: str
    minutes_late: int = 0
    minutes_left_early: int = 0
    note: str = ""


@dataclass
class SaveResult:
    changed: int = 0
    kept_notices: list[str] = field(default_factory=list)


def check_register_open(session: Session, actor: User, now: datetime) -> None:
    if session.status is SessionStatus.CANCELLED:
        raise ServiceError(_("This session was cancelled: there is no register to take."))
    if now < session.start_dt - OPENS_BEFORE:
        raise ServiceError(_("This session has not started yet: the register opens 15 minutes before."))
    window = timedelta(hours=current_app.config["ATTENDANCE_EDIT_HOURS"])
    if now > session.end_dt + window and not (actor.is_admin or actor.has_role(Role.COORDINATOR)):
        raise ServiceError(
            _(
                "Registers can be changed for %(hours)d hours after the session. Ask a coordinator.",
                hours=int(window.total_seconds() // 3600),
            )
        )


def _checked_entries(entries: list[Entry], rows: dict[str, RegisterRow]) -> dict[str, Entry]:
    wanted: dict[str, Entry] = {}
    for entry in entries:
        if entry.key not in rows:
            raise ServiceError(_("Someone on this list is not in this cohort. Reload the register."))
        try:
            AttendanceStatus(entry.status)
        except ValueError:
            raise ServiceError(_("Choose a status from the list."))
        if not (0 <= entry.minutes_late <= 600 and 0 <= entry.minutes_left_early <= 600):
            raise ServiceError(_("Minutes late or left early must be between 0 and 600."))
        wanted[entry.key] = entry
    return wanted


def _mark_the_rest_present(
    rows: dict[str, RegisterRow], wanted: dict[str, Entry], override_notices: bool, result: SaveResult
) -> set[str]:
    """Everyone not yet marked is present, except those who sent a notice (unless it is overridden).
    Gives the keys it added: marks only to make, never to change if someone made them meanwhile."""
    added = set()
    for key, row in rows.items():
        if key in wanted or row.mark is not None:
            continue
        if row.notice is not None and not override_notices:
            result.kept_notices.append(row.both_names)
            wanted[key] = Entry(key, AttendanceStatus.ABSENT_NOTIFIED.value)
        else:
            wanted[key] = Entry(key, AttendanceStatus.PRESENT.value)
        added.add(key)
    return added


def _mark_values(session: Session, row: RegisterRow, entry: Entry) -> dict[str, Any]:
    """What a mark would say: minutes late or early only count for the statuses they belong to."""
    status = AttendanceStatus(entry.status)
    late = entry.minutes_late if status in (AttendanceStatus.LATE, AttendanceStatus.PRESENT) else 0
    early = entry.minutes_left_early if status in (AttendanceStatus.LEFT_EARLY, AttendanceStatus.PRESENT) else 0
    return {
        "session_id": session.id,
        "learner_id": row.learner.id if row.learner else None,
        "attendee_id": row.attendee.id if row.attendee else None,
        "status": status,
        "minutes_late": late,
        "minutes_left_early": early,
        "minutes_attended": minutes_attended(session, status, late, early),
        "note": entry.note[:500],
    }


def _unchanged(mark: AttendanceMark, values: dict[str, Any]) -> bool:
    return (mark.status, mark.minutes_late, mark.minutes_left_early, mark.note) == (
        values["status"],
        values["minutes_late"],
        values["minutes_left_early"],
        values["note"],
    )


#: Who a mark is for; the rest of its values are what a change may set.
PERSON = ("session_id", "learner_id", "attendee_id")
#: A learner's marks and a drop-in attendee's are each unique per session on their own partial index,
#: and an upsert names the one it means (its columns and its WHERE).
MARK_INDEXES = {
    "learner_id": (["session_id", "learner_id"], AttendanceMark.learner_id.is_not(None)),
    "attendee_id": (["session_id", "attendee_id"], AttendanceMark.attendee_id.is_not(None)),
}

#: `keep(key, mark, values)`: whether to leave a mark that is already there as it is.
Keep = Callable[[str, AttendanceMark, dict[str, Any]], bool]


def _person_key(learner_id: int | None, attendee_id: int | None) -> str:
    return f"l{learner_id}" if learner_id else f"a{attendee_id}"


def _insert_new_marks(new_marks: list[dict[str, Any]]) -> dict[str, int]:
    """INSERT ... ON CONFLICT DO NOTHING, one statement per kind of person: gives the new marks' ids by key.
    A mark another request made a moment before is not an error; it is simply not in the answer. Rows go
    in in one order (by person), so two requests inserting the same people never wait on each other."""
    inserted = {}
    for column, (elements, where) in MARK_INDEXES.items():
        batch = sorted((values for values in new_marks if values[column] is not None), key=lambda v: v[column])
        if not batch:
            continue
        statement = (
            upsert_insert(db.session.get_bind(), AttendanceMark)
            .on_conflict_do_nothing(index_elements=elements, index_where=where)
            .returning(AttendanceMark.id, AttendanceMark.learner_id, AttendanceMark.attendee_id)
        )
        for row in db.session.execute(statement, batch):
            inserted[_person_key(row.learner_id, row.attendee_id)] = row.id
    return inserted


def _locked_marks(session_id: int, wanted: list[dict[str, Any]]) -> dict[str, AttendanceMark]:
    """The marks of these people as they stand now, locked to the end of the transaction (FOR UPDATE on
    PostgreSQL, where another request may be changing them; SQLite's writers already take turns). Locked
    in id order, so two requests never wait on each other in a circle."""
    marks = db.session.scalars(
        sa.select(AttendanceMark)
        .where(
            AttendanceMark.session_id == session_id,
            sa.or_(
                AttendanceMark.learner_id.in_([v["learner_id"] for v in wanted if v["learner_id"] is not None]),
                AttendanceMark.attendee_id.in_([v["attendee_id"] for v in wanted if v["attendee_id"] is not None]),
            ),
        )
        .order_by(AttendanceMark.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {_person_key(mark.learner_id, mark.attendee_id): mark for mark in marks}


def _record_changes(
    changes: list[tuple[int, str | None, str]], actor: User, now: datetime, source: MarkSource, reason: str = ""
) -> None:
    db.session.execute(
        sa.insert(AttendanceChange),
        [
            {
                "mark_id": mark_id,
                "old_status": old,
                "new_status": new,
                "changed_by_id": actor.id,
                "changed_dt": now,
                "source": source.value,
                "reason": reason,
            }
            for mark_id, old, new in changes
        ],
    )


def _changed_marks(
    session: Session,
    wanted: dict[str, dict[str, Any]],
    inserted: dict[str, int],
    keep: Keep,
    changes: list[tuple[int, str | None, str]],
) -> list[dict[str, Any]]:
    """The updates for wanted marks already there, read again under a lock; adds their history to `changes`."""
    updates = []
    others = [values for key, values in wanted.items() if key not in inserted]
    for key, mark in (_locked_marks(session.id, others) if others else {}).items():
        values = wanted[key]
        if keep(key, mark, values):
            continue
        updates.append({"id": mark.id, **{name: value for name, value in values.items() if name not in PERSON}})
        changes.append((mark.id, mark.status.value, values["status"].value))
    return updates


def _write_marks(
    session: Session,
    wanted: dict[str, dict[str, Any]],
    known: set[str],
    keep: Keep,
    actor: User,
    now: datetime,
    source: MarkSource,
    correction: str | None = None,
) -> int:
    """Write the wanted marks (by person key) and their history; give how many changed.

    `correction` is given (maybe empty) from the day after the session: changing a mark already there
    is then a correction, refused without a reason, and the reason goes in every history row of it.

    Marks not `known` to exist go in first, with one INSERT that skips any another request has just made.
    Every other wanted mark (known, or just made by someone else) is then read again under a lock and
    compared: one `keep` says to leave (unchanged, say) gets no statement and no history; a changed one is
    updated, with a history row from its real old status. So whatever runs at the same moment, a person
    has one mark, and its history is one row per change, each starting where the one before ended.
    """
    inserted = _insert_new_marks([values for key, values in wanted.items() if key not in known])
    changes: list[tuple[int, str | None, str]] = [
        (mark_id, None, wanted[key]["status"].value) for key, mark_id in inserted.items()
    ]
    updates = _changed_marks(session, wanted, inserted, keep, changes)
    if correction is not None and updates:
        _check_correction(session, correction, actor, [update["id"] for update in updates])
    if updates:
        db.session.execute(sa.update(AttendanceMark), updates)
    if changes:
        _record_changes(changes, actor, now, source, (correction or "").strip())
        refresh_summaries(session.cohort_id, _learners_of(wanted.values()))
        refresh_session_totals([session.id])
    db.session.expire_all()  # the bulk statements bypassed the objects this session holds
    return len(changes)


def is_past_register(session: Session, now: datetime) -> bool:
    """From the day after the session (in its own zone), changing a mark already made is a correction."""
    zone = ZoneInfo(session.timezone)
    return now.astimezone(zone).date() > session.start_dt.astimezone(zone).date()


#: The longest reason a correction takes (its column's limit).
REASON_LIMIT = 500


def _check_correction(session: Session, reason: str, actor: User, mark_ids: list[int]) -> None:
    """A change to a mark of a session that is over needs a reason; it is audited with the marks it changed."""
    reason = reason.strip()
    if not reason:
        raise ServiceError(
            _("This register is from an earlier day: say why you are changing marks already on it."), field="reason"
        )
    check_length(reason, REASON_LIMIT, "reason")
    audit.record("attendance.correct", actor_id=actor.id, subject_type="session", subject_id=session.id, marks=mark_ids)


def _learners_of(marks: Iterable[dict[str, Any]]) -> list[int]:
    return [values["learner_id"] for values in marks if values["learner_id"]]


def save_register(
    session: Session,
    entries: list[Entry],
    actor: User,
    *,
    all_present: bool = False,
    override_notices: bool = False,
    source: MarkSource = MarkSource.REGISTER,
    now: datetime | None = None,
    reason: str = "",
) -> SaveResult:
    """Check every entry, then write all of them at once. A bad entry changes nothing.
    In bulk: one INSERT for new marks, one UPDATE for changed ones, one INSERT for the history.
    From the day after the session, changing a mark already made is a correction and needs a `reason`;
    marks made for the first time (a register typed in from paper) do not."""
    now = now or now_utc()
    check_register_open(session, actor, now)
    rows = {row.key: row for row in register_rows(session)}
    wanted = _checked_entries(entries, rows)
    result = SaveResult()
    only_to_make = _mark_the_rest_present(rows, wanted, override_notices, result) if all_present else set()
    marks = {
        key: _mark_values(session, rows[key], entry) | {"source": source, "marked_by_id": actor.id, "marked_dt": now}
        for key, entry in wanted.items()
    }

    def keep(key: str, mark: AttendanceMark, values: dict[str, Any]) -> bool:
        return key in only_to_make or _unchanged(mark, values)

    if marks:
        known = {key for key, row in rows.items() if row.mark is not None}
        correction = reason if is_past_register(session, now) else None
        result.changed = _write_marks(session, marks, known, keep, actor, now, source, correction)
    return result


# --- notices of absence --------------------------------------------------------------------------


def _notice_channel(learner: Learner, actor: User, channel: NoticeChannel | str | None) -> NoticeChannel:
    """The learner's own notice came through Pathways; one staff took for them says how it reached them."""
    if learner.user_id is not None and actor.id == learner.user_id:
        return NoticeChannel.LEARNER
    chosen = NoticeChannel._value2member_map_.get(str(channel or ""))
    if not isinstance(chosen, NoticeChannel) or chosen is NoticeChannel.LEARNER:
        raise ServiceError(_("Choose how the learner told us: phone, in person, text or e-mail."), field="channel")
    return chosen


def record_notice(
    learner: Learner,
    session: Session,
    reason: NoticeReason | str,
    note: str,
    actor: User,
    now: datetime | None = None,
    channel: NoticeChannel | str | None = None,
) -> AbsenceNotice:
    """A notice of absence: from the learner before the session, or taken by staff for them (by phone, in
    person, by text or e-mail; at any time), recording who took it and how."""
    now = now or now_utc()
    try:
        reason = NoticeReason(reason)
    except ValueError:
        raise ServiceError(_("Choose a reason from the list."), field="reason")
    if session.is_cancelled:
        raise ServiceError(_("This session was cancelled: there is nothing to miss."))
    how = _notice_channel(learner, actor, channel)
    if how is NoticeChannel.LEARNER and session.start_dt <= now:
        raise ServiceError(_("Tell us before the session starts. For a session that has passed, ask your tutor."))
    enrolled = db.session.scalar(
        sa.select(Enrolment.id).where(
            Enrolment.cohort_id == session.cohort_id,
            Enrolment.learner_id == learner.id,
            Enrolment.status.in_(ON_REGISTER),
        )
    )
    if not enrolled:
        raise ServiceError(_("This learner is not in this class."))
    notice = db.session.scalar(
        sa.select(AbsenceNotice).where(AbsenceNotice.learner_id == learner.id, AbsenceNotice.session_id == session.id)
    )
    values = {
        "reason": reason,
        "note": (note or "").strip()[:500],
        "recorded_by_id": actor.id,
        "recorded_dt": now,
        "channel": how,
    }
    if notice is None:
        notice = AbsenceNotice(learner_id=learner.id, session_id=session.id, **values)
        db.session.add(notice)
    else:
        for name, value in values.items():
            setattr(notice, name, value)
    db.session.flush()
    if how is not NoticeChannel.LEARNER:
        audit.record(
            "attendance.notice_taken",
            actor_id=actor.id,
            subject_type="learner",
            subject_id=learner.id,
            session_id=session.id,
            channel=how.value,
        )
    return notice


# --- self check-in -------------------------------------------------------------------------------


def check_in_code(session: Session, at: datetime | None = None) -> str:
    """A six-digit code that changes every minute, derived from the app's secret and the session."""
    at = at or now_utc()
    step = int(at.timestamp()) // CODE_STEP_SECONDS
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), f"check-in:{session.id}:{step}".encode(), hashlib.sha256
    ).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"


def _code_matches(session: Session, code: str, now: datetime) -> bool:
    # The code on the screen may have just changed: accept this minute's and the last minute's.
    return any(
        hmac.compare_digest(code, check_in_code(session, now - timedelta(seconds=CODE_STEP_SECONDS * back)))
        for back in (0, 1)
    )


def open_sessions_for(learner: Learner, now: datetime | None = None) -> list[Session]:
    now = now or now_utc()
    return list(
        db.session.scalars(
            sa.select(Session)
            .join(Enrolment, Enrolment.cohort_id == Session.cohort_id)
            .where(
                Enrolment.learner_id == learner.id,
                Enrolment.status.in_(ON_REGISTER),
                Session.status == SessionStatus.SCHEDULED,
                Session.start_dt <= now + OPENS_BEFORE,
                Session.end_dt >= now,
            )
            .options(joinedload(Session.cohort))
            .order_by(Session.start_dt)
        )
    )


def _take_a_try(learner: Learner, session: Session) -> int | None:
    """Take one of the learner's tries at this session's code: how many are now used, or None when none was
    left. The conditional UPDATE is the count, exact however many requests come at once: they queue on the
    row (PostgreSQL's row lock, held to the commit; SQLite's one writer at a time), and each sees the count
    the one before it left."""
    db.session.execute(
        upsert_insert(db.session.get_bind(), CheckInTry)
        .values(learner_id=learner.id, session_id=session.id, used=0)
        .on_conflict_do_nothing(index_elements=["learner_id", "session_id"])
    )
    return db.session.scalar(
        sa.update(CheckInTry)
        .where(
            CheckInTry.learner_id == learner.id,
            CheckInTry.session_id == session.id,
            CheckInTry.used < WRONG_CODES_ALLOWED,
        )
        .values(used=CheckInTry.used + 1)
        .returning(CheckInTry.used)
        .execution_options(synchronize_session=False)
    )


def _give_back_tries(learner: Learner, sessions: list[Session]) -> None:
    db.session.execute(
        sa.update(CheckInTry)
        .where(CheckInTry.learner_id == learner.id, CheckInTry.session_id.in_([s.id for s in sessions]))
        .values(used=CheckInTry.used - 1)
        .execution_options(synchronize_session=False)
    )


def _session_for_code(learner: Learner, sessions: list[Session], code: str, now: datetime) -> Session:
    """The open session whose code this is, counting a try at each: a code is only compared with the code
    of a session the learner has a try left for, so guessing gets no further than the limit. The tries are
    given back when the code is right; a refusal keeps them (the view commits it despite the refusal)."""
    used = {s.id: _take_a_try(learner, s) for s in sorted(sessions, key=lambda s: s.id)}  # rows in one order
    trying = [s for s in sessions if used[s.id] is not None]
    if not trying:
        raise ServiceError(_("Too many wrong codes for this class. Ask your tutor to mark you on the register."))
    session = next((s for s in trying if _code_matches(s, code, now)), None)
    if session is not None:
        _give_back_tries(learner, trying)
        return session
    left = WRONG_CODES_ALLOWED - max(used[s.id] or 0 for s in trying)
    if not left:
        raise ServiceError(
            _("That code is not right, and that was your last try. Ask your tutor to mark you on the register.")
        )
    raise ServiceError(
        _("That code is not right. Check the code on the screen and try again.")
        + " "
        + ngettext("You can try %(num)d more time.", "You can try %(num)d more times.", left)
    )


def check_in(learner: Learner, code: str, actor: User, now: datetime | None = None) -> AttendanceMark:
    """A learner checks themselves in with the code the educator shows, only while the session is on, with
    a few tries per session (`WRONG_CODES_ALLOWED`). A mark the learner already has that says they came
    (checked in before, or marked on the register) is kept as it is."""
    now = now or now_utc()
    code = (code or "").strip().replace(" ", "")
    sessions = open_sessions_for(learner, now)
    if not sessions:
        raise ServiceError(_("You have no class open for check-in now."))
    session = _session_for_code(learner, sessions, code, now)
    status = AttendanceStatus.LATE if now - session.start_dt > LATE_AFTER else AttendanceStatus.PRESENT
    late = int((now - session.start_dt).total_seconds() // 60) if status is AttendanceStatus.LATE else 0
    values = {
        "session_id": session.id,
        "learner_id": learner.id,
        "attendee_id": None,
        "status": status,
        "minutes_late": late,
        "minutes_left_early": 0,
        "minutes_attended": minutes_attended(session, status, late, 0),
        "source": MarkSource.CHECK_IN,
        "marked_by_id": actor.id,
        "marked_dt": now,
    }
    key = _person_key(learner.id, None)
    _write_marks(
        session, {key: values}, set(), lambda _key, mark, _values: mark.status.attended, actor, now, MarkSource.CHECK_IN
    )
    return db.session.scalars(
        sa.select(AttendanceMark).where(
            AttendanceMark.session_id == session.id, AttendanceMark.learner_id == learner.id
        )
    ).one()


# --- alerts --------------------------------------------------------------------------------------


@dataclass
class AtRisk:
    learner_id: int
    learner_name: str
    cohort_id: int
    cohort_name: str
    consecutive_absences: int
    rate: float
    sessions: int
    learner_name_latin: str = ""

    @property
    def full_name(self) -> str:
        return self.learner_name

    @property
    def full_name_latin(self) -> str:
        return self.learner_name_latin


def learners_at_risk(
    organisation_id: int,
    *,
    consecutive: int = 3,
    threshold: float = 0.75,
    minimum_sessions: int = 4,
    today: date | None = None,
) -> list[AtRisk]:
    """Learners on classes running now (or ended in the last two weeks) with N absences without notice in
    a row, or a rate under the threshold. For coordinators only: nobody e-mails the learner about it.
    One indexed query over the places' attendance summaries, however long the organisation's history."""
    today = today or today_local()
    summary = EnrolmentAttendance
    rows = db.session.execute(
        sa.select(
            Learner.id,
            Learner.given_name,
            Learner.family_name,
            Learner.given_name_latin,
            Learner.family_name_latin,
            Cohort.id,
            Cohort.name,
            summary,
        )
        .join(Enrolment, Enrolment.id == summary.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Learner, Learner.id == Enrolment.learner_id)
        .where(
            Cohort.organisation_id == organisation_id,
            Cohort.start_date <= today,
            Cohort.end_date >= today - timedelta(days=RECENT_DAYS),
            Enrolment.status == EnrolmentStatus.ENROLLED,
            sa.or_(
                summary.absences_in_a_row >= consecutive,
                sa.and_(summary.counted >= minimum_sessions, summary.attended < summary.counted * threshold),
            ),
        )
    ).all()
    found = [
        AtRisk(
            learner_id,
            " ".join(part for part in (given, family) if part),
            cohort_id,
            cohort_name,
            row.absences_in_a_row,
            row.attended / row.counted if row.counted else 1.0,
            row.counted,
            " ".join(part for part in (given_latin, family_latin) if part),
        )
        for learner_id, given, family, given_latin, family_latin, cohort_id, cohort_name, row in rows
    ]
    return sorted(found, key=lambda r: (-r.consecutive_absences, r.rate, r.learner_id))


# --- attendance summaries, kept at write time ---------------------------------------------------


def refresh_cohort_summaries(cohort_ids: set[int]) -> None:
    """Sessions of these cohorts changed when or whether they run: recount every place on them."""
    for cohort_id in sorted(cohort_ids):
        refresh_summaries(cohort_id)


def refresh_summaries(cohort_id: int, learner_ids: Iterable[int] | None = None) -> None:
    """Recount these learners' attendance summaries on a cohort (everyone's if None) from their marks:
    each place's (`EnrolmentAttendance`) and each learner's per month (`AttendanceMonth`, places or
    none), in eight statements at most. The places (or a drop-in learner's own row) are locked first
    (PostgreSQL), so two registers of one cohort saved at once recount one after the other and the
    second sees the first's marks."""
    wanted = sorted(set(learner_ids)) if learner_ids is not None else None
    if wanted == []:
        return
    enrolments = _locked_places(cohort_id, wanted)
    marks = (
        sa.select(AttendanceMark.learner_id, AttendanceMark.status, AttendanceMark.minutes_attended, Session.start_dt)
        .join(Session, Session.id == AttendanceMark.session_id)
        .where(
            Session.cohort_id == cohort_id,
            Session.status == SessionStatus.SCHEDULED,
            AttendanceMark.learner_id.is_not(None),
        )
    )
    if wanted is not None:
        marks = marks.where(AttendanceMark.learner_id.in_(wanted))
    by_learner: dict[int, list[Any]] = defaultdict(list)
    for row in db.session.execute(marks.order_by(Session.start_dt.desc(), Session.id.desc())):
        by_learner[row.learner_id].append(row)
    _replace_place_summaries(cohort_id, enrolments, by_learner)
    _replace_months(cohort_id, wanted, by_learner)


def _locked_places(cohort_id: int, wanted: list[int] | None) -> list[Any]:
    """The cohort's places of these learners (all if None), locked, with the rows of those who have none."""
    places = sa.select(Enrolment.id, Enrolment.learner_id).where(Enrolment.cohort_id == cohort_id)
    if wanted is not None:
        places = places.where(Enrolment.learner_id.in_(wanted))
    enrolments = list(db.session.execute(places.order_by(Enrolment.id).with_for_update()).all())
    placeless = sorted(set(wanted or []) - {learner_id for _id, learner_id in enrolments})
    if placeless:  # drop-in learners: their own rows are the lock instead
        db.session.execute(
            sa.select(Learner.id).where(Learner.id.in_(placeless)).order_by(Learner.id).with_for_update()
        )
    return enrolments


def _replace_place_summaries(cohort_id: int, enrolments: list[Any], by_learner: dict[int, list[Any]]) -> None:
    if not enrolments:
        return
    db.session.execute(
        sa.delete(EnrolmentAttendance).where(EnrolmentAttendance.enrolment_id.in_([e for e, _l in enrolments]))
    )
    summaries = [
        summarise(enrolment_id, cohort_id, learner_id, by_learner[learner_id])
        for enrolment_id, learner_id in enrolments
        if by_learner[learner_id]  # a place with no marks has no summary
    ]
    if summaries:
        db.session.execute(sa.insert(EnrolmentAttendance), summaries)


def _replace_months(cohort_id: int, wanted: list[int] | None, by_learner: dict[int, list[Any]]) -> None:
    months = sa.delete(AttendanceMonth).where(AttendanceMonth.cohort_id == cohort_id)
    if wanted is not None:
        months = months.where(AttendanceMonth.learner_id.in_(wanted))
    db.session.execute(months)
    zone = ZoneInfo(
        db.session.scalar(
            sa.select(Organisation.timezone)
            .join(Cohort, Cohort.organisation_id == Organisation.id)
            .where(Cohort.id == cohort_id)
        )
        or DEFAULT_TZ_NAME
    )
    rows = [row for learner, marks_of in by_learner.items() for row in by_month(cohort_id, learner, marks_of, zone)]
    if rows:
        db.session.execute(sa.insert(AttendanceMonth), rows)


def by_month(cohort_id: int, learner_id: int, marks_latest_first: list[Any], zone: ZoneInfo) -> list[dict[str, Any]]:
    """A learner's `AttendanceMonth` rows on a cohort from their marks at sessions that run."""
    months: dict[date, dict[str, Any]] = {}
    for row in reversed(marks_latest_first):  # earliest first, so the first attended is set first
        month = row.start_dt.astimezone(zone).date().replace(day=1)
        counts = months.setdefault(
            month,
            {
                "cohort_id": cohort_id,
                "learner_id": learner_id,
                "month": month,
                "counted": 0,
                "attended": 0,
                "minutes_attended": 0,
                "first_attended_dt": None,
            },
        )
        counts["counted"] += row.status.counts_in_rate
        if row.status.attended:
            counts["attended"] += 1
            counts["minutes_attended"] += row.minutes_attended
            counts["first_attended_dt"] = counts["first_attended_dt"] or row.start_dt
    return list(months.values())


def refresh_session_totals(session_ids: Iterable[int]) -> None:
    """Recount these sessions' totals (`SessionAttendance`) from their learners' marks, in four
    statements. Each session's row is made if missing and locked first, so two writes of one
    session's marks at once (a register saved while learners check in) recount one after the other,
    the second seeing the first's marks; a session left with no learners' marks keeps no row."""
    ids = sorted(set(session_ids))
    if not ids:
        return
    db.session.execute(
        upsert_insert(db.session.get_bind(), SessionAttendance).on_conflict_do_nothing(
            index_elements=[SessionAttendance.session_id]
        ),
        [{"session_id": session_id, "counted": 0, "attended": 0, "minutes_attended": 0} for session_id in ids],
    )
    db.session.execute(
        sa.select(SessionAttendance.session_id)
        .where(SessionAttendance.session_id.in_(ids))
        .order_by(SessionAttendance.session_id)
        .with_for_update()
    )
    learner_marks = sa.and_(
        AttendanceMark.session_id == SessionAttendance.session_id, AttendanceMark.learner_id.is_not(None)
    )

    def total(value: Any) -> Any:
        return sa.select(value).where(learner_marks).scalar_subquery()

    db.session.execute(
        sa.update(SessionAttendance)
        .where(SessionAttendance.session_id.in_(ids))
        .values(
            counted=total(sa.func.count().filter(AttendanceMark.status.not_in(NOT_IN_RATE))),
            attended=total(sa.func.count().filter(AttendanceMark.status.in_(ATTENDED))),
            minutes_attended=total(sa.func.coalesce(sa.func.sum(AttendanceMark.minutes_attended), 0)),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(SessionAttendance)
        .where(SessionAttendance.session_id.in_(ids), ~sa.exists(sa.select(AttendanceMark.id).where(learner_marks)))
        .execution_options(synchronize_session=False)
    )


def summarise(enrolment_id: int, cohort_id: int, learner_id: int, marks_latest_first: list[Any]) -> dict[str, Any]:
    """One place's summary from its marks at sessions that run, latest first."""
    statuses = [row.status for row in marks_latest_first]
    attended = [row for row in marks_latest_first if row.status.attended]
    return {
        "enrolment_id": enrolment_id,
        "cohort_id": cohort_id,
        "learner_id": learner_id,
        "counted": sum(1 for status in statuses if status.counts_in_rate),
        "attended": len(attended),
        "minutes_attended": sum(row.minutes_attended for row in attended),
        "absences_in_a_row": _absences_in_a_row(statuses),
        "first_attended_dt": attended[-1].start_dt if attended else None,
        "last_attended_dt": attended[0].start_dt if attended else None,
    }


def _absences_in_a_row(statuses_latest_first: list[AttendanceStatus]) -> int:
    """How many of the latest sessions in a row were missed without notice."""
    streak = 0
    for status in statuses_latest_first:
        if status is not AttendanceStatus.ABSENT:
            break
        streak += 1
    return streak


def registers_not_taken(
    organisation_id: int, since: date, now: datetime | None = None
) -> list[tuple[Session, list[str]]]:
    """Sessions that have ended with no mark at all, with their educators' names."""
    now = now or now_utc()
    has_marks = sa.select(AttendanceMark.id).where(AttendanceMark.session_id == Session.id).exists()
    sessions = db.session.scalars(
        sa.select(Session)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(
            Cohort.organisation_id == organisation_id,
            Cohort.is_drop_in.is_(False),
            Session.status == SessionStatus.SCHEDULED,
            Session.end_dt < now,
            Session.start_dt >= datetime.combine(since, datetime.min.time()).replace(tzinfo=now.tzinfo),
            ~has_marks,
        )
        .options(joinedload(Session.cohort), sa.orm.selectinload(Session.educator_links))
        .order_by(Session.start_dt)
    ).all()
    return [(s, [link.user.display_name for link in s.educator_links]) for s in sessions]


# --- rates and contact hours ---------------------------------------------------------------------


@dataclass
class AttendanceFigures:
    label: str
    marked: int
    attended: int
    counted: int
    contact_minutes: int

    @property
    def rate(self) -> float | None:
        return self.attended / self.counted if self.counted else None

    @property
    def contact_hours(self) -> float:
        return round(self.contact_minutes / 60, 1)


def attendance_figures(
    organisation_id: int, start: datetime, end: datetime, by: str = "cohort"
) -> list[AttendanceFigures]:
    """Attendance rate and contact hours (minutes attended) per learner, cohort, course or programme,
    for sessions starting in [start, end). One aggregate query."""
    from lms.courses.models import Course, Programme

    attended = sa.func.sum(
        sa.case(
            (
                AttendanceMark.status.in_(
                    [AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY]
                ),
                1,
            ),
            else_=0,
        )
    )
    counted = sa.func.sum(
        sa.case(
            (AttendanceMark.status.in_([AttendanceStatus.EXCUSED, AttendanceStatus.CANCELLED_BY_PROVIDER]), 0), else_=1
        )
    )
    groups = {
        "cohort": (Cohort.id, Cohort.name),
        "course": (Course.id, Course.title),
        "programme": (Programme.id, Programme.name),
        "learner": (
            Learner.id,
            sa.case(
                (
                    Learner.given_name_latin + Learner.family_name_latin != "",
                    Learner.given_name
                    + " "
                    + Learner.family_name
                    + " ("
                    + Learner.given_name_latin
                    + " "
                    + Learner.family_name_latin
                    + ")",
                ),
                else_=Learner.given_name + " " + Learner.family_name,
            ),
        ),
    }
    key, label = groups[by]
    query = (
        sa.select(
            key,
            label,
            sa.func.count(AttendanceMark.id),
            attended,
            counted,
            sa.func.sum(AttendanceMark.minutes_attended),
        )
        .join(Session, Session.id == AttendanceMark.session_id)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .outerjoin(Programme, Programme.id == Cohort.programme_id)
        .outerjoin(Learner, Learner.id == AttendanceMark.learner_id)
        .where(
            Cohort.organisation_id == organisation_id,
            Session.start_dt >= start,
            Session.start_dt < end,
            Session.status == SessionStatus.SCHEDULED,
        )
        .group_by(key, label)
        .order_by(label)
    )
    return [
        AttendanceFigures(
            str(row[1] or _("No programme")), row[2], int(row[3] or 0), int(row[4] or 0), int(row[5] or 0)
        )
        for row in db.session.execute(query)
    ]


def merge_drop_in(attendee: DropInAttendee, learner: Learner, actor: User) -> int:
    """Link a name-only drop-in attendee to a learner record and move their marks to the learner, so
    that their attendance counts (participants, contact hours, funder returns). Where the learner
    already has a mark for the same session, the learner's own mark is kept. Returns marks moved."""
    link_drop_in(attendee, learner, actor)
    marks = db.session.scalars(sa.select(AttendanceMark).where(AttendanceMark.attendee_id == attendee.id)).all()
    already = set(
        db.session.scalars(
            sa.select(AttendanceMark.session_id).where(
                AttendanceMark.learner_id == learner.id,
                AttendanceMark.session_id.in_([mark.session_id for mark in marks] or [0]),
            )
        )
    )
    moved = 0
    for mark in marks:
        if mark.session_id in already:
            db.session.delete(mark)
        else:
            mark.attendee_id, mark.learner_id = None, learner.id
            moved += 1
    db.session.flush()
    sessions = db.session.execute(
        sa.select(Session.id, Session.cohort_id).where(Session.id.in_([mark.session_id for mark in marks] or [0]))
    ).all()
    for cohort_id in sorted({cohort_id for _id, cohort_id in sessions}):
        refresh_summaries(cohort_id, [learner.id])
    refresh_session_totals(session_id for session_id, _cohort in sessions)
    audit.record(
        "attendance.dropin.move",
        actor_id=actor.id,
        subject_type="learner",
        subject_id=learner.id,
        attendee_id=attendee.id,
        moved=moved,
        kept_learners=len(marks) - moved,
    )
    return moved
