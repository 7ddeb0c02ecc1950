"""The office's work on registers: notices taken for learners, drop-in attendees, corrections with a reason;
and names shown as written and in Latin letters wherever staff see learners."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
import sqlalchemy as sa

from lms.assessments.attendance.models import (
    AbsenceNotice,
    AttendanceChange,
    AttendanceMark,
    AttendanceStatus,
    NoticeChannel,
)
from lms.core.audit import AuditEvent
from lms.core.roles import Role
from lms.extensions import db as _db
from lms.scheduling.timetable import staffing
from tests.conftest import log_in
from tests.factories import make_cohort, make_enrolment, make_learner, make_session, make_user

SESSION_DAY = date(2026, 11, 25)  # the fixed clock is 2026-11-25 10:00 UTC
NAME = '<bdi>زينب حسين</bdi> <bdi class="name-latin" dir="ltr" lang="und-Latn">Zainab Hussein</bdi>'
#: The same, where the name links to the learner.
LINKED = re.compile(
    r'<bdi>زينب حسين</bdi>(</a>)? <bdi class="name-latin" dir="ltr" lang="und-Latn">Zainab Hussein</bdi>'
)


@pytest.fixture()
def world(db, frozen_clock):
    coordinator = make_user(display_name="Sam Office")
    tutor = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation, display_name="Tutor One")
    other_tutor = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation, display_name="Tutor Two")
    cohort = make_cohort(
        coordinator,
        name="ESOL",
        start_date=date(2026, 11, 1),
        end_date=date(2027, 3, 1),
        capacity=20,
        allow_late_joiners=True,
    )
    other = make_cohort(
        coordinator,
        course=cohort.course,
        name="Other",
        start_date=date(2026, 11, 1),
        end_date=date(2027, 3, 1),
        allow_late_joiners=True,
    )
    staffing.assign_to_cohort(cohort, tutor, "lead", coordinator)
    staffing.assign_to_cohort(other, other_tutor, "lead", coordinator)
    session = make_session(cohort, coordinator, day=date(2026, 11, 26), start=time(9, 30), end=time(12))
    today = make_session(cohort, coordinator, day=SESSION_DAY, start=time(9, 30), end=time(12))
    zainab = make_learner(
        organisation=coordinator.organisation,
        given_name="زينب",
        family_name="حسين",
        given_name_latin="Zainab",
        family_name_latin="Hussein",
    )
    outsider = make_learner(organisation=coordinator.organisation, given_name="Omar")
    make_enrolment(cohort, zainab, actor=coordinator)
    make_enrolment(other, outsider, actor=coordinator)
    db.commit()
    return {
        "coordinator": coordinator,
        "tutor": tutor,
        "other_tutor": other_tutor,
        "cohort": cohort,
        "session": session,
        "today": today,
        "zainab": zainab,
        "outsider": outsider,
    }


def _notices(db) -> list[AbsenceNotice]:
    return db.scalars(sa.select(AbsenceNotice)).all()


# --- notices of absence taken by the office ------------------------------------------------------


def test_the_office_records_a_notice_taken_by_phone_and_the_register_shows_it(client, db, world):
    log_in(client, world["coordinator"])
    session, zainab = world["session"], world["zainab"]
    page = client.get(f"/sessions/{session.id}/register").get_data(as_text=True)
    assert "Record a notice of absence for a learner" in page
    response = client.post(
        f"/sessions/{session.id}/notice",
        data={"learner_id": zainab.id, "reason": "home_office", "channel": "phone", "note": "Rang at 9"},
    )
    assert response.status_code == 302
    [notice] = _notices(db)
    assert (notice.learner_id, notice.channel, notice.recorded_by_id, notice.note) == (
        zainab.id,
        NoticeChannel.PHONE,
        world["coordinator"].id,
        "Rang at 9",
    )
    page = client.get(f"/sessions/{session.id}/register").get_data(as_text=True)
    assert "Phone call, taken by Sam Office" in page
    assert db.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "attendance.notice_taken"))


def test_a_notice_taken_during_the_session_is_kept_by_everyone_else_present(client, db, world):
    log_in(client, world["tutor"])
    today, zainab = world["today"], world["zainab"]
    client.post(
        f"/sessions/{today.id}/notice", data={"learner_id": zainab.id, "reason": "childcare", "channel": "text"}
    )
    assert _notices(db)[0].channel is NoticeChannel.TEXT
    client.post(f"/sessions/{today.id}/register", data={"action": "all_present"})
    mark = db.scalar(sa.select(AttendanceMark).where(AttendanceMark.session_id == today.id))
    assert mark.status is AttendanceStatus.ABSENT_NOTIFIED


def test_staff_must_say_how_the_learner_told_us(client, db, world):
    log_in(client, world["coordinator"])
    session, zainab = world["session"], world["zainab"]
    for channel in ("", "learner", "carrier pigeon"):
        response = client.post(
            f"/sessions/{session.id}/notice",
            data={"learner_id": zainab.id, "reason": "medical", "channel": channel},
            follow_redirects=True,
        )
        assert "Choose how the learner told us" in response.get_data(as_text=True) or channel == "carrier pigeon"
    assert _notices(db) == []


def test_a_learner_of_another_cohort_or_an_educator_of_another_cohort_is_refused(client, db, world):
    session = world["session"]
    log_in(client, world["coordinator"])
    response = client.post(
        f"/sessions/{session.id}/notice",
        data={"learner_id": world["outsider"].id, "reason": "medical", "channel": "phone"},
    )
    assert response.status_code == 404
    client.post("/logout")
    log_in(client, world["other_tutor"])
    response = client.post(
        f"/sessions/{session.id}/notice",
        data={"learner_id": world["zainab"].id, "reason": "medical", "channel": "phone"},
    )
    assert response.status_code == 404
    assert _notices(db) == []


def test_a_learner_cannot_give_notice_for_someone_else(client, db, world):
    from lms.people import services as people_services

    outsider = world["outsider"]
    outsider.phone = "+447700900111"
    people_services.create_learner_login(outsider, "2468", world["coordinator"])
    db.commit()
    log_in(client, outsider.user)
    response = client.post(
        f"/sessions/{world['session'].id}/notice",
        data={"learner_id": world["zainab"].id, "reason": "medical", "channel": "phone"},
    )
    assert response.status_code == 404
    assert _notices(db) == []


# --- drop-in attendees ---------------------------------------------------------------------------


def test_the_office_adds_a_drop_in_attendee_to_an_earlier_days_register(client, db, world, frozen_clock):
    coordinator = world["coordinator"]
    club = make_cohort(
        coordinator,
        course=world["cohort"].course,
        name="Conversation club",
        start_date=date(2026, 11, 1),
        end_date=date(2027, 3, 1),
        is_drop_in=True,
        capacity=0,
    )
    held = make_session(club, coordinator, day=date(2026, 11, 18), start=time(14), end=time(15))
    db.commit()
    log_in(client, coordinator)
    client.post(f"/sessions/{held.id}/register/drop-in", data={"name": "Hamid from the hub"})
    mark = db.scalar(sa.select(AttendanceMark).where(AttendanceMark.session_id == held.id))
    assert mark.status is AttendanceStatus.PRESENT and mark.attendee_id is not None
    assert "Hamid from the hub" in client.get(f"/sessions/{held.id}/register").get_data(as_text=True)


# --- corrections ---------------------------------------------------------------------------------


def test_correcting_an_earlier_register_needs_a_reason_kept_in_its_history(client, db, world, frozen_clock):
    today, zainab = world["today"], world["zainab"]
    log_in(client, world["tutor"])
    client.post(f"/sessions/{today.id}/register", data={f"status-l{zainab.id}": "absent"})
    # The same day, a change is an ordinary change.
    assert client.post(f"/sessions/{today.id}/register", data={f"status-l{zainab.id}": "late"}).status_code == 302
    frozen_clock.advance(hours=24)
    page = client.get(f"/sessions/{today.id}/register").get_data(as_text=True)
    assert 'name="reason"' in page
    refused = client.post(f"/sessions/{today.id}/register", data={f"status-l{zainab.id}": "present", "reason": "  "})
    assert refused.status_code == 400
    assert "say why you are changing marks" in refused.get_data(as_text=True)
    too_long = client.post(
        f"/sessions/{today.id}/register", data={f"status-l{zainab.id}": "present", "reason": "x" * 501}
    )
    assert too_long.status_code == 400
    mark = db.scalar(sa.select(AttendanceMark).where(AttendanceMark.session_id == today.id))
    assert mark.status is AttendanceStatus.LATE
    saved = client.post(
        f"/sessions/{today.id}/register",
        data={f"status-l{zainab.id}": "present", "reason": "Bus was late: she came at 9:31"},
    )
    assert saved.status_code == 302
    changes = db.scalars(sa.select(AttendanceChange).order_by(AttendanceChange.id)).all()
    assert [(c.old_status, c.new_status, c.reason) for c in changes] == [
        (None, "absent", ""),
        ("absent", "late", ""),
        ("late", "present", "Bus was late: she came at 9:31"),
    ]
    assert changes[-1].changed_by_id == world["tutor"].id
    history = client.get(f"/sessions/{today.id}/register/history").get_data(as_text=True)
    assert "Bus was late: she came at 9:31" in history and NAME in history
    event = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "attendance.correct"))
    assert event.actor_id == world["tutor"].id and event.subject_id == today.id


def test_marks_made_for_the_first_time_on_a_later_day_need_no_reason(client, db, world, frozen_clock):
    today, zainab = world["today"], world["zainab"]
    frozen_clock.advance(hours=24)
    log_in(client, world["tutor"])
    response = client.post(f"/sessions/{today.id}/register", data={f"status-l{zainab.id}": "present", "paper": "1"})
    assert response.status_code == 302


# --- names as written and in Latin letters -------------------------------------------------------


def test_names_show_in_both_scripts_on_registers_rosters_and_lists(client, db, world):
    log_in(client, world["coordinator"])
    cohort, today = world["cohort"], world["today"]
    for url in (
        f"/sessions/{today.id}/register",
        f"/cohorts/{cohort.id}/paper-register",
        f"/cohorts/{cohort.id}",
        "/learners",
        f"/learners/{world['zainab'].id}",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert LINKED.search(page.get_data(as_text=True)), url


def test_learner_search_matches_either_form_and_the_whole_name(client, db, world):
    log_in(client, world["coordinator"])
    for search in ("زينب", "Zainab", "hussein", "Zainab Huss", "زينب حسين"):
        page = client.get("/learners", query_string={"q": search}).get_data(as_text=True)
        assert LINKED.search(page), search
    assert not LINKED.search(client.get("/learners", query_string={"q": "Omar"}).get_data(as_text=True))


def test_the_phone_register_reports_kept_notices_with_both_names(client, db, world):
    log_in(client, world["tutor"])
    today, zainab = world["today"], world["zainab"]
    client.post(
        f"/sessions/{today.id}/notice", data={"learner_id": zainab.id, "reason": "work", "channel": "in_person"}
    )
    response = client.post(
        f"/sessions/{today.id}/register", data={"action": "all_present"}, headers={"Accept": "application/json"}
    )
    assert response.get_json()["kept_notices"] == ["\u2068زينب حسين\u2069 (Zainab Hussein)"]


def test_an_educator_still_cannot_open_a_register_of_another_cohort(client, db, world):
    log_in(client, world["other_tutor"])
    assert client.get(f"/sessions/{world['today'].id}/register").status_code == 404
    _db.session.rollback()
