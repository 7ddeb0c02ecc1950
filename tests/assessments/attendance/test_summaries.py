"""Attendance summaries kept at write time agree with a count from scratch, whatever happens in between;
and the dashboard reads them in the same statements however long the history."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.assessments.attendance import services as attendance
from lms.assessments.attendance.models import (
    AttendanceMark,
    AttendanceMonth,
    AttendanceStatus,
    EnrolmentAttendance,
    SessionAttendance,
)
from lms.scheduling.models import Enrolment, Session, SessionStatus
from lms.scheduling.timetable import services as timetable
from tests.conftest import log_in
from tests.factories import make_cohort, make_enrolment, make_learner, make_session, make_user

STATUSES = [status.value for status in AttendanceStatus]
operation = st.one_of(
    st.tuples(st.just("mark"), st.integers(0, 4), st.integers(0, 2), st.sampled_from(STATUSES)),
    st.tuples(st.just("cancel"), st.integers(0, 4)),
    # Moves cross the end of November, so a session changes month (and the learners' month rows).
    st.tuples(st.just("move"), st.integers(0, 4), st.dates(date(2026, 11, 1), date(2026, 12, 20))),
)
LONDON = ZoneInfo("Europe/London")


def from_scratch(db, cohort_id: int) -> dict[int, tuple]:  # noqa: ANN001
    """Each place's figures counted from its marks in plain Python (places with no marks left out)."""
    sessions = {s.id: s for s in db.scalars(sa.select(Session).where(Session.cohort_id == cohort_id))}
    found = {}
    for enrolment in db.scalars(sa.select(Enrolment).where(Enrolment.cohort_id == cohort_id)):
        marks = [
            mark
            for mark in db.scalars(sa.select(AttendanceMark).where(AttendanceMark.learner_id == enrolment.learner_id))
            if mark.session_id in sessions and sessions[mark.session_id].status is SessionStatus.SCHEDULED
        ]
        if not marks:
            continue
        marks.sort(key=lambda m: (sessions[m.session_id].start_dt, m.session_id), reverse=True)
        came = [m for m in marks if m.status.value in ("present", "late", "left_early")]
        streak = 0
        for mark in marks:
            if mark.status.value != "absent":
                break
            streak += 1
        found[enrolment.id] = (
            sum(1 for m in marks if m.status.value not in ("excused", "cancelled_by_provider")),
            len(came),
            sum(m.minutes_attended for m in came),
            streak,
            sessions[came[-1].session_id].start_dt if came else None,
            sessions[came[0].session_id].start_dt if came else None,
        )
    return found


def months_from_scratch(db, cohort_id: int) -> dict[tuple, tuple]:  # noqa: ANN001
    """Each learner's marks per local month at the cohort's sessions that run, counted in plain Python."""
    sessions = {s.id: s for s in db.scalars(sa.select(Session).where(Session.cohort_id == cohort_id))}
    months: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, None])
    marks = db.scalars(sa.select(AttendanceMark).where(AttendanceMark.session_id.in_(sessions)))
    for mark in sorted(marks, key=lambda m: sessions[m.session_id].start_dt):
        session = sessions[mark.session_id]
        if session.status is not SessionStatus.SCHEDULED or mark.learner_id is None:
            continue
        counts = months[(mark.learner_id, session.start_dt.astimezone(LONDON).date().replace(day=1))]
        counts[0] += mark.status.value not in ("excused", "cancelled_by_provider")
        if mark.status.value in ("present", "late", "left_early"):
            counts[1] += 1
            counts[2] += mark.minutes_attended
            counts[3] = counts[3] or session.start_dt
    return {key: tuple(counts) for key, counts in months.items()}


def sessions_from_scratch(db, cohort_id: int) -> dict[int, tuple]:  # noqa: ANN001
    """Each session's learners' marks, whatever its status (sessions with none left out)."""
    found: dict[int, list] = defaultdict(lambda: [0, 0, 0])
    for mark in db.scalars(
        sa.select(AttendanceMark)
        .join(Session)
        .where(Session.cohort_id == cohort_id, AttendanceMark.learner_id.is_not(None))
    ):
        totals = found[mark.session_id]
        totals[0] += mark.status.value not in ("excused", "cancelled_by_provider")
        totals[1] += mark.status.value in ("present", "late", "left_early")
        totals[2] += mark.minutes_attended
    return {session_id: tuple(totals) for session_id, totals in found.items()}


def kept_months(db, cohort_id: int) -> dict[tuple, tuple]:  # noqa: ANN001
    return {
        (row.learner_id, row.month): (row.counted, row.attended, row.minutes_attended, row.first_attended_dt)
        for row in db.scalars(sa.select(AttendanceMonth).where(AttendanceMonth.cohort_id == cohort_id))
    }


def kept_sessions(db, cohort_id: int) -> dict[int, tuple]:  # noqa: ANN001
    return {
        row.session_id: (row.counted, row.attended, row.minutes_attended)
        for row in db.scalars(sa.select(SessionAttendance).join(Session).where(Session.cohort_id == cohort_id))
    }


def kept(db, cohort_id: int) -> dict[int, tuple]:  # noqa: ANN001
    return {
        row.enrolment_id: (
            row.counted,
            row.attended,
            row.minutes_attended,
            row.absences_in_a_row,
            row.first_attended_dt,
            row.last_attended_dt,
        )
        for row in db.scalars(sa.select(EnrolmentAttendance).where(EnrolmentAttendance.cohort_id == cohort_id))
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=14))
def test_summaries_kept_at_write_time_match_a_count_from_scratch(db, frozen_clock, operations):
    coordinator = make_user()
    cohort = make_cohort(
        coordinator, start_date=date(2026, 11, 1), end_date=date(2026, 12, 20), capacity=10, allow_late_joiners=True
    )
    learners = [make_learner(organisation=coordinator.organisation) for _ in range(3)]
    for learner in learners:
        make_enrolment(cohort, learner, actor=coordinator)
    sessions = [
        make_session(cohort, coordinator, day=date(2026, 11, 2 + 4 * i), start=time(10), end=time(12)) for i in range(5)
    ]
    db.commit()
    for op in operations:
        session = sessions[op[1]]
        db.refresh(session)
        try:
            if op[0] == "mark":
                entry = attendance.Entry(f"l{learners[op[2]].id}", op[3], minutes_late=10 if op[3] == "late" else 0)
                attendance.save_register(session, [entry], coordinator)
            elif op[0] == "cancel":
                timetable.cancel_session(session, "Tutor ill", coordinator)
            else:
                timetable.move_session(session, op[2], time(14), time(16), coordinator)
        except attendance.ServiceError:
            db.rollback()  # a refused change (a cancelled session, a clash) changes nothing
            continue
        db.commit()
    assert kept(db, cohort.id) == from_scratch(db, cohort.id)
    assert kept_months(db, cohort.id) == months_from_scratch(db, cohort.id)
    assert kept_sessions(db, cohort.id) == sessions_from_scratch(db, cohort.id)


def test_the_dashboard_reads_summaries_in_the_same_statements_for_any_history(client, db, frozen_clock, count_queries):
    coordinator = make_user()
    old = make_cohort(
        coordinator, name="Last year", start_date=date(2025, 9, 1), end_date=date(2025, 12, 1), capacity=20
    )
    now_running = make_cohort(
        coordinator, name="Now", start_date=date(2026, 11, 1), end_date=date(2027, 1, 31), allow_late_joiners=True
    )
    missing = make_learner(organisation=coordinator.organisation, given_name="Hawa")
    make_enrolment(now_running, missing, actor=coordinator)
    for day in (10, 12, 17):
        held = make_session(now_running, coordinator, day=date(2026, 11, day), start=time(9), end=time(11))
        attendance.save_register(held, [attendance.Entry(f"l{missing.id}", "absent")], coordinator)
    db.commit()
    log_in(client, coordinator)
    with count_queries() as few:
        page = client.get("/dashboard").get_data(as_text=True)
    assert "Hawa" in page

    # A past class, its places still open, with a long history of absences: not on today's list.
    now = frozen_clock.now
    frozen_clock.now = now.replace(year=2025, month=8, day=1)
    former = [make_learner(organisation=coordinator.organisation, given_name=f"Former{n}") for n in range(15)]
    for learner in former:
        make_enrolment(old, learner, actor=coordinator)
    frozen_clock.now = now.replace(year=2025, month=12, day=2)
    for i in range(10):
        held = make_session(old, coordinator, day=date(2025, 9, 1 + 3 * i), start=time(9), end=time(11))
        attendance.save_register(held, [attendance.Entry(f"l{p.id}", "absent") for p in former], coordinator)
    frozen_clock.now = now
    db.commit()
    with count_queries() as many:
        page = client.get("/dashboard").get_data(as_text=True)
    assert "Hawa" in page and "Former1" not in page
    assert len(many.statements) == len(few.statements)
