"""Registers saved at once by many requests, and self check-in codes that cannot be guessed.

Registers: a phone that resends, two educators on one session, a check-in while the register is saved.
Each save either makes a mark or changes one, never a second mark for a learner and never a server
error, and the history tells the marks' story exactly: one row per real change, none for a save that
changed nothing, each one's old status the one before it.

Check-in codes: six digits, two valid at a time. A learner has a few tries per session; after them even
the right code is refused, and the educator marks them on the register instead.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from lms.assessments.attendance import services as attendance
from lms.assessments.attendance.models import AttendanceChange, AttendanceMark
from lms.core.roles import Role
from lms.core.time import now_utc
from lms.people import services as people_services
from lms.scheduling.timetable import staffing
from tests.conftest import log_in
from tests.factories import make_cohort, make_enrolment, make_learner, make_session, make_user

# The fixed clock is 2026-11-25 10:00 UTC; the session runs 09:30 to 12:00 that morning.
SESSION_DAY = date(2026, 11, 25)
STATUSES = ["present", "absent", "late", "excused", "left_early"]


@pytest.fixture()
def register(db, frozen_clock):
    coordinator = make_user()
    tutor = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation)
    cohort = make_cohort(
        coordinator, start_date=date(2026, 11, 1), end_date=date(2027, 3, 1), capacity=30, allow_late_joiners=True
    )
    staffing.assign_to_cohort(cohort, tutor, "lead", coordinator)
    session = make_session(cohort, coordinator, day=SESSION_DAY, start=time(9, 30), end=time(12, 0))
    learners = []
    for n in range(6):
        learner = make_learner(organisation=coordinator.organisation, phone=f"07700 9005{n:02d}")
        make_enrolment(cohort, learner, actor=coordinator)
        people_services.create_learner_login(learner, "2468", coordinator)
        learners.append(learner)
    db.commit()
    return {"coordinator": coordinator, "tutor": tutor, "cohort": cohort, "session": session, "learners": learners}


def run_together(app, cookie: str, requests: list[tuple[str, dict]]) -> list[tuple[int, str]]:
    """Send the requests at the same moment, each from its own client (its own context and connection)."""
    answers: list[tuple[int, str]] = []
    barrier = threading.Barrier(len(requests))

    def send(url: str, data: dict) -> None:
        own = app.test_client()
        own.set_cookie("session", cookie, domain="pathways.test")
        barrier.wait()
        try:
            response = own.post(url, data=data)
        except Exception as error:  # the test client raises what a server would answer with a 500
            answers.append((500, repr(error)))
        else:
            answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == len(requests), "a request did not finish"
    return answers


def cookie_of(client, user) -> str:  # noqa: ANN001
    log_in(client, user)
    return client.get_cookie("session", domain="pathways.test").value


def history(db, session_id: int) -> dict[int, list[tuple[str | None, str]]]:
    """Each mark's changes, oldest first."""
    rows = db.execute(
        sa.select(AttendanceChange.mark_id, AttendanceChange.old_status, AttendanceChange.new_status)
        .join(AttendanceMark, AttendanceMark.id == AttendanceChange.mark_id)
        .where(AttendanceMark.session_id == session_id)
        .order_by(AttendanceChange.id)
    ).all()
    found: dict[int, list[tuple[str | None, str]]] = defaultdict(list)
    for mark_id, old, new in rows:
        found[mark_id].append((old, new))
    return found


def assert_history_tells_the_story(db, session_id: int) -> dict[int, str]:
    """One mark per learner; each mark's history starts from nothing, each change starts where the one
    before ended, no change leaves the status as it was, and the last one is the mark's status."""
    marks = db.execute(
        sa.select(AttendanceMark.id, AttendanceMark.learner_id, AttendanceMark.status).where(
            AttendanceMark.session_id == session_id
        )
    ).all()
    learners = [learner_id for _id, learner_id, _status in marks]
    assert len(learners) == len(set(learners)), "two marks for one learner"
    changes = history(db, session_id)
    assert set(changes) == {mark_id for mark_id, _learner, _status in marks}
    for mark_id, _learner_id, status in marks:
        story = changes[mark_id]
        assert story[0][0] is None, story
        assert all(before[1] == after[0] for before, after in zip(story, story[1:], strict=False)), story
        assert all(old != new for old, new in story), story
        assert story[-1][1] == status.value, story
    return {learner_id: status.value for _id, learner_id, status in marks}


# --- registers saved at once -----------------------------------------------------------------------


@pytest.mark.slow
def test_twenty_concurrent_saves_of_one_register_give_one_mark_each_with_the_last_status(app, client, db, register):
    session_id, learner_ids = register["session"].id, [learner.id for learner in register["learners"]]
    cookie = cookie_of(client, register["tutor"])
    url = f"/sessions/{session_id}/register"
    saves = [
        {f"status-l{learner_id}": STATUSES[(n + k) % len(STATUSES)] for k, learner_id in enumerate(learner_ids)}
        for n in range(20)
    ]
    db.close()  # hold no transaction (and so no SQLite lock) in the test while the requests run
    answers = run_together(app, cookie, [(url, data) for data in saves])
    assert sorted({status for status, _page in answers}) == [302]
    final = assert_history_tells_the_story(db, session_id)
    assert sorted(final) == sorted(learner_ids)
    assert all(status in STATUSES for status in final.values())


@pytest.mark.slow
def test_the_same_register_sent_twenty_times_at_once_records_each_mark_once(app, client, db, register):
    """A phone resending the same register on a weak signal: one mark and one history row per learner."""
    session_id, learner_ids = register["session"].id, [learner.id for learner in register["learners"]]
    cookie = cookie_of(client, register["tutor"])
    data = {"action": "all_present", f"status-l{learner_ids[0]}": "absent"}
    db.close()
    answers = run_together(app, cookie, [(f"/sessions/{session_id}/register", data)] * 20)
    assert sorted({status for status, _page in answers}) == [302]
    final = assert_history_tells_the_story(db, session_id)
    assert final == {learner_ids[0]: "absent"} | dict.fromkeys(learner_ids[1:], "present")
    assert sum(len(story) for story in history(db, session_id).values()) == len(learner_ids)


@pytest.mark.slow
def test_check_ins_during_concurrent_register_saves_keep_one_mark_each(app, client, db, register):
    session, learners = register["session"], register["learners"]
    session_id, learner_ids = session.id, [learner.id for learner in learners]
    code = attendance.check_in_code(session)
    requests = [(f"/sessions/{session_id}/register", {"action": "all_present"}) for _ in range(10)]
    tutor_cookie = cookie_of(client, register["tutor"])
    learner_cookies = [cookie_of(app.test_client(), learner.user) for learner in learners]
    db.close()
    answers: list[int] = []
    barrier = threading.Barrier(len(requests) + len(learners))

    def send(cookie: str, url: str, data: dict) -> None:
        own = app.test_client()
        own.set_cookie("session", cookie, domain="pathways.test")
        barrier.wait()
        try:
            answers.append(own.post(url, data=data).status_code)
        except Exception:  # the test client raises what a server would answer with a 500
            answers.append(500)

    threads = [threading.Thread(target=send, args=(tutor_cookie, *request)) for request in requests]
    threads += [threading.Thread(target=send, args=(c, "/check-in", {"code": code})) for c in learner_cookies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == len(threads)
    assert sorted(set(answers)) == [302]
    final = assert_history_tells_the_story(db, session_id)
    # Whoever came first, each learner was there once: present by the register, or late by checking in.
    assert sorted(final) == learner_ids
    assert set(final.values()) <= {"present", "late"}


def test_a_save_that_changes_nothing_adds_no_history(client, db, register):
    session, [learner, *_] = register["session"], register["learners"]
    log_in(client, register["tutor"])
    for _ in range(3):
        client.post(
            f"/sessions/{session.id}/register", data={f"status-l{learner.id}": "late", f"late-l{learner.id}": "7"}
        )
    assert history(db, session.id) == {
        db.scalar(sa.select(AttendanceMark.id).where(AttendanceMark.learner_id == learner.id)): [(None, "late")]
    }


def test_checking_in_twice_keeps_one_mark_and_one_change(client, db, register):
    session, [learner, *_] = register["session"], register["learners"]
    log_in(client, learner.user)
    for _ in range(2):
        assert client.post("/check-in", data={"code": attendance.check_in_code(session)}).status_code == 302
    assert assert_history_tells_the_story(db, session.id) == {learner.id: "late"}
    assert sum(len(story) for story in history(db, session.id).values()) == 1


# --- self check-in: a few tries per session ------------------------------------------------------------


def wrong_code(session) -> str:  # noqa: ANN001
    """A code that is neither this minute's nor the last minute's."""
    now = now_utc()
    right = {attendance.check_in_code(session, now), attendance.check_in_code(session, now - timedelta(minutes=1))}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in right)


def test_after_five_wrong_codes_even_the_right_one_is_refused_and_the_educator_marks_them(client, db, register):
    session, [learner, other, *_] = register["session"], register["learners"]
    log_in(client, learner.user)
    for tries_left in (4, 3, 2, 1):
        page = client.post("/check-in", data={"code": wrong_code(session)}).get_data(as_text=True)
        assert "That code is not right" in page
        assert f"You can try {tries_left} more time" in page
    fifth = client.post("/check-in", data={"code": wrong_code(session)}).get_data(as_text=True)
    assert "That code is not right" in fifth and "Ask your tutor to mark you on the register" in fifth
    sixth = client.post("/check-in", data={"code": attendance.check_in_code(session)})
    assert sixth.status_code == 200
    assert "Too many wrong codes" in sixth.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(AttendanceMark)) == 0
    # Another learner still has their own tries.
    log_in(client, other.user)
    assert client.post("/check-in", data={"code": attendance.check_in_code(session)}).status_code == 302
    # The educator marks the first learner on the register, as the message says.
    log_in(client, register["tutor"])
    client.post(f"/sessions/{session.id}/register", data={f"status-l{learner.id}": "present"})
    assert assert_history_tells_the_story(db, session.id) == {learner.id: "present", other.id: "late"}


def test_the_tries_are_per_session(client, db, register, frozen_clock):
    session, [learner, *_] = register["session"], register["learners"]
    log_in(client, learner.user)
    for _ in range(5):
        client.post("/check-in", data={"code": wrong_code(session)})
    afternoon = make_session(register["cohort"], register["coordinator"], day=SESSION_DAY, start=time(13), end=time(15))
    db.commit()
    frozen_clock.advance(hours=3)  # 13:00: the morning session is over, the afternoon one open
    assert client.post("/check-in", data={"code": attendance.check_in_code(afternoon)}).status_code == 302
    assert db.scalar(sa.select(AttendanceMark.session_id)) == afternoon.id


def test_a_right_code_does_not_use_up_a_try(client, db, register):
    session, [learner, *_] = register["session"], register["learners"]
    log_in(client, learner.user)
    for _ in range(4):
        client.post("/check-in", data={"code": wrong_code(session)})
    for _ in range(3):  # pressed again and again after checking in
        assert client.post("/check-in", data={"code": attendance.check_in_code(session)}).status_code == 302
    page = client.post("/check-in", data={"code": wrong_code(session)}).get_data(as_text=True)
    assert "That code is not right" in page and "Too many wrong codes" not in page


@pytest.mark.slow
def test_forty_concurrent_wrong_codes_are_checked_five_times_at_most(app, client, db, register):
    session, [learner, *_] = register["session"], register["learners"]
    cookie = cookie_of(client, learner.user)
    code = wrong_code(session)
    db.close()
    answers = run_together(app, cookie, [("/check-in", {"code": code})] * 40)
    assert sorted({status for status, _page in answers}) == [200]
    assert sum("That code is not right" in page for _status, page in answers) == 5
    assert sum("Too many wrong codes" in page for _status, page in answers) == 35
    assert client.post("/check-in", data={"code": attendance.check_in_code(session)}).status_code == 200
    assert db.scalar(sa.select(sa.func.count()).select_from(AttendanceMark)) == 0
