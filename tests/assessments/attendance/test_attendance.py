"""Registers: quick, safe from the known attacks, honest about notified absences; check-in, alerts, figures."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from lms.assessments.attendance import services as attendance
from lms.assessments.attendance.models import AbsenceNotice, AttendanceChange, AttendanceMark, AttendanceStatus
from lms.core.roles import Role
from lms.extensions import db as _db
from lms.people import services as people_services
from lms.scheduling.timetable import services as timetable
from lms.scheduling.timetable import staffing
from tests.conftest import log_in
from tests.factories import make_cohort, make_enrolment, make_learner, make_session, make_user

# The fixed clock is 2026-11-25 10:00 UTC (a Wednesday); sessions below are that morning.
SESSION_DAY = date(2026, 11, 25)


@pytest.fixture()
def setup(db, frozen_clock):
    coordinator = make_user()
    tutor = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation, display_name="Samir")
    cohort = make_cohort(
        coordinator,
        name="ESOL",
        start_date=date(2026, 11, 1),
        end_date=date(2027, 3, 1),
        capacity=80,
        allow_late_joiners=True,
    )
    staffing.assign_to_cohort(cohort, tutor, "lead", coordinator)
    session = make_session(cohort, coordinator, day=SESSION_DAY, start=time(9, 30), end=time(12, 0))  # 09:30 GMT
    db.commit()
    return {"coordinator": coordinator, "tutor": tutor, "cohort": cohort, "session": session}


def add_learners(setup, n: int, **overrides) -> list:
    coordinator, cohort = setup["coordinator"], setup["cohort"]
    learners = []
    for _ in range(n):
        learner = make_learner(organisation=coordinator.organisation, **overrides)
        make_enrolment(cohort, learner, actor=coordinator)
        learners.append(learner)
    _db.session.commit()
    return learners


def marks(db, session) -> dict[int, str]:
    return {
        m.learner_id: m.status.value
        for m in db.scalars(sa.select(AttendanceMark).where(AttendanceMark.session_id == session.id))
    }


def test_all_present_except_two_keeps_the_notified_absence(client, db, setup):
    a, b, c, d = add_learners(setup, 4)
    session = setup["session"]
    attendance.record_notice(
        c,
        session,
        "home_office",
        "Interview in Croydon",
        setup["coordinator"],
        now=datetime(2026, 11, 24, 9, tzinfo=UTC),
        channel="phone",
    )
    db.commit()
    log_in(client, setup["tutor"])
    page = client.get(f"/sessions/{session.id}/register").get_data(as_text=True)
    assert re.search(rf'name="status-l{c.id}" value="absent_notified" checked', page)
    response = client.post(
        f"/sessions/{session.id}/register", data={"action": "all_present", f"status-l{d.id}": "absent"}
    )
    assert response.status_code == 200
    assert "told us they could not come" in response.get_data(as_text=True)
    assert marks(db, session) == {a.id: "present", b.id: "present", c.id: "absent_notified", d.id: "absent"}


def test_the_educator_can_confirm_a_notified_learner_came_after_all(client, db, setup):
    [learner] = add_learners(setup, 1)
    attendance.record_notice(learner, setup["session"], "childcare", "", setup["coordinator"], channel="text")
    db.commit()
    log_in(client, setup["tutor"])
    client.post(f"/sessions/{setup['session'].id}/register", data={"action": "all_present", "override_notices": "1"})
    assert marks(db, setup["session"]) == {learner.id: "present"}


def test_minutes_attended_give_contact_hours(client, db, setup):
    late, early, on_time = add_learners(setup, 3)
    session = setup["session"]
    log_in(client, setup["tutor"])
    client.post(
        f"/sessions/{session.id}/register",
        data={
            f"status-l{late.id}": "late",
            f"late-l{late.id}": "20",
            f"status-l{early.id}": "left_early",
            f"early-l{early.id}": "30",
            f"status-l{on_time.id}": "present",
        },
    )
    minutes = {m.learner_id: m.minutes_attended for m in db.scalars(sa.select(AttendanceMark))}
    assert minutes == {late.id: 130, early.id: 120, on_time.id: 150}
    [figures] = attendance.attendance_figures(
        setup["coordinator"].organisation_id, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    )
    assert (figures.attended, figures.counted, figures.contact_minutes) == (3, 3, 400)


def test_every_change_is_kept_with_who_and_when(client, db, setup, frozen_clock):
    [learner] = add_learners(setup, 1)
    session = setup["session"]
    log_in(client, setup["tutor"])
    client.post(f"/sessions/{session.id}/register", data={f"status-l{learner.id}": "absent"})
    frozen_clock.advance(minutes=10)
    client.post(f"/sessions/{session.id}/register", data={f"status-l{learner.id}": "late", f"late-l{learner.id}": "10"})
    changes = db.scalars(sa.select(AttendanceChange).order_by(AttendanceChange.id)).all()
    assert [(c.old_status, c.new_status, c.changed_by_id) for c in changes] == [
        (None, "absent", setup["tutor"].id),
        ("absent", "late", setup["tutor"].id),
    ]
    assert changes[1].changed_dt - changes[0].changed_dt == timedelta(minutes=10)


# --- the known attacks ---------------------------------------------------------------------------


def test_an_educator_not_on_the_session_cannot_see_or_mark_it(client, db, setup):
    [learner] = add_learners(setup, 1)
    other = make_user(roles=(Role.EDUCATOR,), organisation=setup["coordinator"].organisation)
    db.commit()
    log_in(client, other)
    session = setup["session"]
    assert client.get(f"/sessions/{session.id}/register").status_code == 404
    assert client.post(f"/sessions/{session.id}/register", data={f"status-l{learner.id}": "absent"}).status_code == 404
    assert marks(db, session) == {}


def test_marking_through_a_get_changes_nothing(client, db, setup):
    [learner] = add_learners(setup, 1)
    log_in(client, setup["tutor"])
    client.get(f"/sessions/{setup['session'].id}/register?status-l{learner.id}=absent&action=all_present")
    assert marks(db, setup["session"]) == {}


def test_a_learner_of_another_cohort_cannot_be_marked_by_editing_ids(client, db, setup):
    [learner] = add_learners(setup, 1)
    stranger = make_learner(organisation=setup["coordinator"].organisation)
    db.commit()
    log_in(client, setup["tutor"])
    response = client.post(
        f"/sessions/{setup['session'].id}/register",
        data={f"status-l{learner.id}": "present", f"status-l{stranger.id}": "absent"},
    )
    assert response.status_code == 400
    assert "not in this cohort" in response.get_data(as_text=True)
    assert marks(db, setup["session"]) == {}


def test_a_session_of_another_cohort_is_not_found(client, db, setup):
    coordinator = setup["coordinator"]
    other_cohort = make_cohort(
        coordinator, name="Other", start_date=date(2026, 11, 1), end_date=date(2027, 3, 1), capacity=5
    )
    other_session = make_session(other_cohort, coordinator, day=SESSION_DAY, start=time(13), end=time(14))
    db.commit()
    log_in(client, setup["tutor"])
    assert client.post(f"/sessions/{other_session.id}/register", data={"action": "all_present"}).status_code == 404


def test_a_learner_cannot_take_a_register(client, db, setup):
    [learner] = add_learners(setup, 1, phone="07700 900321")
    people_services.create_learner_login(learner, "2468", setup["coordinator"])
    db.commit()
    log_in(client, learner.user)
    assert client.post(f"/sessions/{setup['session'].id}/register", data={"action": "all_present"}).status_code == 403
    assert marks(db, setup["session"]) == {}


# --- bad input -----------------------------------------------------------------------------------


def test_unknown_status_cancelled_and_future_sessions_change_nothing(client, db, setup, frozen_clock):
    [learner] = add_learners(setup, 1)
    coordinator, cohort, session = setup["coordinator"], setup["cohort"], setup["session"]
    future = make_session(cohort, coordinator, day=date(2026, 11, 27), start=time(9, 30), end=time(12))
    cancelled = make_session(cohort, coordinator, day=date(2026, 11, 23), start=time(9, 30), end=time(12))
    timetable.cancel_session(cancelled, "Tutor ill", coordinator)
    db.commit()
    log_in(client, setup["tutor"])
    cases = [
        (session, {f"status-l{learner.id}": "on_holiday"}, "Choose a status from the list."),
        (session, {f"status-l{learner.id}": "late", f"late-l{learner.id}": "-5"}, "between 0 and 600"),
        (future, {"action": "all_present"}, "has not started yet"),
        (cancelled, {"action": "all_present"}, "was cancelled"),
    ]
    for target, data, message in cases:
        response = client.post(f"/sessions/{target.id}/register", data=data, headers={"Accept": "application/json"})
        assert response.status_code == 400
        assert message in response.json["detail"]
    assert db.scalar(sa.select(sa.func.count()).select_from(AttendanceMark)) == 0


def test_educators_can_change_a_register_for_48_hours_then_only_coordinators(client, db, setup, frozen_clock):
    [learner] = add_learners(setup, 1)
    session = setup["session"]
    log_in(client, setup["tutor"])
    client.post(f"/sessions/{session.id}/register", data={f"status-l{learner.id}": "present"})
    frozen_clock.advance(hours=51)  # 49 hours after the end
    refused = client.post(f"/sessions/{session.id}/register", data={f"status-l{learner.id}": "absent"})
    assert refused.status_code == 400 and "Ask a coordinator" in refused.get_data(as_text=True)
    client.post("/logout")
    log_in(client, setup["coordinator"])
    # From the day after, a change is a correction: refused without a reason, kept with it.
    unsaid = client.post(f"/sessions/{session.id}/register", data={f"status-l{learner.id}": "excused"})
    assert unsaid.status_code == 400 and "say why you are changing marks" in unsaid.get_data(as_text=True)
    assert marks(db, session) == {learner.id: "present"}
    fixed = client.post(
        f"/sessions/{session.id}/register", data={f"status-l{learner.id}": "excused", "reason": "Hospital letter"}
    )
    assert fixed.status_code == 302
    assert marks(db, session) == {learner.id: "excused"}
    history = client.get(f"/sessions/{session.id}/register/history").get_data(as_text=True)
    assert "Hospital letter" in history


# --- a register of 60 ----------------------------------------------------------------------------


def test_a_register_of_60_loads_and_saves_in_constant_queries_and_one_transaction(client, db, setup, count_queries):
    session = setup["session"]
    url = f"/sessions/{session.id}/register"
    log_in(client, setup["tutor"])
    few = add_learners(setup, 5)
    few_first_id = few[0].id
    db.commit()
    with count_queries() as load_few:
        client.get(url)
    with count_queries() as save_few:
        client.post(url, data={"action": "all_present", f"status-l{few_first_id}": "absent"})
    many = few + add_learners(setup, 55)
    db.execute(sa.delete(AttendanceChange))
    db.execute(sa.delete(AttendanceMark))
    db.commit()
    with count_queries() as load_many:
        page = client.get(url).get_data(as_text=True)
    assert page.count('class="mark-row"') == 60
    first_id = many[0].id
    db.commit()  # the test's own session holds nothing open: only the request's commits are counted
    commits = []

    def on_commit(connection) -> None:
        commits.append(connection)

    sa.event.listen(_db.engine, "commit", on_commit)
    try:
        with count_queries() as save_many:
            response = client.post(url, data={"action": "all_present", f"status-l{first_id}": "absent"})
    finally:
        sa.event.remove(_db.engine, "commit", on_commit)
    assert response.status_code == 302
    assert len(marks(db, session)) == 60
    assert load_many.count == load_few.count
    assert save_many.count == save_few.count, [s[:60] for s in save_many.statements]
    assert len(commits) == 1


# --- notices and check-in ------------------------------------------------------------------------


def test_learner_tells_us_in_advance_but_not_after_the_start(client, db, setup, frozen_clock):
    [learner] = add_learners(setup, 1, phone="07700 900322")
    people_services.create_learner_login(learner, "2468", setup["coordinator"])
    tomorrow = make_session(
        setup["cohort"], setup["coordinator"], day=date(2026, 11, 26), start=time(9, 30), end=time(12)
    )
    db.commit()
    log_in(client, learner.user)
    client.post(f"/sessions/{tomorrow.id}/notice", data={"reason": "medical", "note": "Hospital"})
    assert db.scalar(sa.select(AbsenceNotice.reason).where(AbsenceNotice.session_id == tomorrow.id)).value == "medical"
    late = client.post(f"/sessions/{setup['session'].id}/notice", data={"reason": "medical"}, follow_redirects=True)
    assert "Tell us before the session starts" in late.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(AbsenceNotice)) == 1


def test_self_check_in_only_with_the_right_code_while_open(client, db, setup, frozen_clock):
    [learner] = add_learners(setup, 1, phone="07700 900323")
    people_services.create_learner_login(learner, "2468", setup["coordinator"])
    db.commit()
    session = setup["session"]  # 09:30 to 12:00; the clock says 10:00
    log_in(client, learner.user)
    wrong = client.post("/check-in", data={"code": "000000"})
    assert "That code is not right" in wrong.get_data(as_text=True)
    code = attendance.check_in_code(session)
    frozen_clock.advance(seconds=61)  # the screen moved on a minute: the code just shown still works
    assert client.post("/check-in", data={"code": code}).status_code == 302
    mark = db.scalar(sa.select(AttendanceMark))
    assert (mark.learner_id, mark.status, mark.minutes_late) == (learner.id, AttendanceStatus.LATE, 31)
    frozen_clock.advance(hours=3)
    closed = client.post("/check-in", data={"code": attendance.check_in_code(session)})
    assert "no class open for check-in" in closed.get_data(as_text=True)


def test_an_old_code_is_refused(client, db, setup, frozen_clock):
    [learner] = add_learners(setup, 1, phone="07700 900324")
    people_services.create_learner_login(learner, "2468", setup["coordinator"])
    db.commit()
    code = attendance.check_in_code(setup["session"])
    frozen_clock.advance(minutes=3)
    log_in(client, learner.user)
    client.post("/check-in", data={"code": code})
    assert marks(db, setup["session"]) == {}


def test_drop_in_attendee_added_in_two_taps(client, db, setup):
    coordinator = setup["coordinator"]
    club = make_cohort(
        coordinator,
        course=setup["cohort"].course,
        name="Conversation club",
        start_date=date(2026, 11, 1),
        end_date=date(2027, 3, 1),
        is_drop_in=True,
        capacity=0,
    )
    session = make_session(club, coordinator, day=SESSION_DAY, start=time(7, 30), end=time(9, 15))
    staffing.assign_to_session(session, setup["tutor"], "lead", coordinator)
    db.commit()
    log_in(client, setup["tutor"])
    client.post(f"/sessions/{session.id}/register/drop-in", data={"name": "Hamid from the hub"})
    mark = db.scalar(sa.select(AttendanceMark).where(AttendanceMark.session_id == session.id))
    assert mark.status is AttendanceStatus.PRESENT and mark.attendee_id is not None


# --- alerts --------------------------------------------------------------------------------------


def test_three_absences_without_notice_flag_a_learner_but_notified_ones_do_not(db, setup, frozen_clock):
    absent, notified = add_learners(setup, 2)
    coordinator, cohort = setup["coordinator"], setup["cohort"]
    for day in (2, 4, 6):  # three earlier sessions
        held = make_session(cohort, coordinator, day=date(2026, 11, 10 + day), start=time(9, 30), end=time(12))
        attendance.save_register(
            held,
            [attendance.Entry(f"l{absent.id}", "absent"), attendance.Entry(f"l{notified.id}", "absent_notified")],
            coordinator,
        )
    at_risk = attendance.learners_at_risk(coordinator.organisation_id)
    assert [(r.learner_id, r.consecutive_absences) for r in at_risk] == [(absent.id, 3)]
    not_taken = attendance.registers_not_taken(
        coordinator.organisation_id, date(2026, 11, 1), now=datetime(2026, 11, 25, 13, tzinfo=UTC)
    )
    assert [s.id for s, _names in not_taken] == [setup["session"].id]
    assert not_taken[0][1] == ["Samir"]


def test_the_paper_register_is_printed_by_those_who_may_mark_the_cohort(client, db, setup):
    """The same circle as the registers: the cohort's educators (assigned to it, or covering one of its
    sessions), the organisation's coordinators; an educator who does not teach it gets 404."""
    [learner] = add_learners(setup, 1)
    organisation = setup["coordinator"].organisation
    stranger = make_user(roles=(Role.EDUCATOR,), organisation=organisation)
    cover = make_user(roles=(Role.EDUCATOR,), organisation=organisation)
    staffing.cover(setup["session"], setup["tutor"], cover, setup["coordinator"])
    other_coordinator = make_user()  # another organisation's
    db.commit()
    url = f"/cohorts/{setup['cohort'].id}/paper-register"

    for user in (stranger, other_coordinator):
        log_in(client, user)
        assert client.get(url).status_code == 404
    for user in (setup["tutor"], cover, setup["coordinator"]):
        log_in(client, user)
        response = client.get(url)
        assert response.status_code == 200
        assert learner.given_name in response.get_data(as_text=True)
