"""Timetables: wall-clock times across clock changes, bank holidays, closures, clashes, idempotent regeneration."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from lms.core.errors import ServiceError
from lms.core.roles import Role
from lms.scheduling.clashes import ClashError, Slot, find_clashes
from lms.scheduling.cohorts import enrolment
from lms.scheduling.models import EducatorRole, Session, SessionStatus
from lms.scheduling.timetable import services as timetable
from lms.scheduling.timetable import staffing
from lms.scheduling.timetable.inputs import TimetableRuleInput
from tests.conftest import log_in
from tests.factories import make_cohort, make_enrolment, make_learner, make_room, make_session, make_user, make_venue

LONDON = ZoneInfo("Europe/London")


@pytest.fixture()
def coordinator(db):
    user = make_user()
    db.commit()
    return user


def rule_for(cohort, coordinator, weekdays, start, end, first=None, last=None, **extra):
    return timetable.save_rule(
        cohort,
        TimetableRuleInput(weekdays=weekdays, start_time=start, end_time=end, start_date=first, end_date=last, **extra),
        coordinator,
    )


def sessions_of(db, cohort) -> list[Session]:
    return db.scalars(sa.select(Session).where(Session.cohort_id == cohort.id).order_by(Session.start_dt)).all()


# --- clock changes -------------------------------------------------------------------------------


def test_a_weekly_six_pm_class_stays_at_six_across_the_october_change(db, coordinator):
    cohort = make_cohort(coordinator)
    rule = rule_for(cohort, coordinator, [3], time(18, 0), time(20, 0), date(2026, 10, 15), date(2026, 11, 5))
    timetable.generate(rule, coordinator)
    sessions = sessions_of(db, cohort)
    assert [s.start_dt.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") for s in sessions] == [
        "2026-10-15 18:00",
        "2026-10-22 18:00",
        "2026-10-29 18:00",
        "2026-11-05 18:00",
    ]
    assert [s.start_dt.astimezone(UTC).hour for s in sessions] == [17, 17, 18, 18]  # BST, BST, GMT, GMT


def test_a_weekly_six_pm_class_stays_at_six_across_the_march_change(db, coordinator):
    cohort = make_cohort(coordinator)
    rule = rule_for(cohort, coordinator, [3], time(18, 0), time(20, 0), date(2027, 3, 18), date(2027, 4, 1))
    timetable.generate(rule, coordinator)
    sessions = sessions_of(db, cohort)
    assert [s.start_dt.astimezone(LONDON).hour for s in sessions] == [18, 18, 18]
    assert [s.start_dt.astimezone(UTC).hour for s in sessions] == [18, 18, 17]  # clocks go forward on Sunday 28 March


# --- bank holidays and closures ------------------------------------------------------------------


def test_bank_holidays_with_substitute_days_are_skipped_and_reported(db, coordinator):
    cohort = make_cohort(coordinator)
    rule = rule_for(cohort, coordinator, [0], time(10, 0), time(12, 0), date(2026, 12, 14), date(2027, 1, 11))
    plan = timetable.generate(rule, coordinator)
    assert [s.occurrence_date for s in sessions_of(db, cohort)] == [
        date(2026, 12, 14),
        date(2026, 12, 21),
        date(2027, 1, 4),
        date(2027, 1, 11),
    ]
    assert plan.skipped == [(date(2026, 12, 28), "Bank holiday: Boxing Day (observed)")]


def test_scotland_has_its_own_bank_holidays(db, coordinator):
    coordinator.organisation.holiday_region = "SCT"
    cohort = make_cohort(coordinator)
    rule = rule_for(cohort, coordinator, [0], time(10, 0), time(12, 0), date(2027, 1, 4), date(2027, 1, 11))
    plan = timetable.generate(rule, coordinator)
    assert [day for day, _reason in plan.skipped] == [date(2027, 1, 4)]  # New Year holiday (observed), Scotland only
    assert [s.occurrence_date for s in sessions_of(db, cohort)] == [date(2027, 1, 11)]


def test_closures_are_skipped_and_a_later_closure_flags_existing_sessions(db, coordinator):
    cohort = make_cohort(coordinator)
    timetable.add_closure(
        coordinator.organisation_id, None, date(2026, 12, 21), date(2027, 1, 1), "Christmas shutdown", coordinator
    )
    rule = rule_for(cohort, coordinator, [1], time(10, 0), time(12, 0), date(2026, 12, 15), date(2027, 1, 12))
    plan = timetable.generate(rule, coordinator)
    assert plan.skipped == [
        (date(2026, 12, 22), "Closed: Christmas shutdown"),
        (date(2026, 12, 29), "Closed: Christmas shutdown"),
    ]
    _closure, flagged = timetable.add_closure(
        coordinator.organisation_id, None, date(2027, 1, 5), date(2027, 1, 5), "Boiler broken", coordinator
    )
    assert [s.occurrence_date for s in flagged] == [date(2027, 1, 5)]
    assert flagged[0].needs_decision and flagged[0].status is SessionStatus.SCHEDULED


def test_a_venue_closure_flags_only_that_venue(db, coordinator):
    hall = make_venue(coordinator.organisation, coordinator, name="Hall")
    library = make_venue(coordinator.organisation, coordinator, name="Library")
    at_hall, at_library = make_cohort(coordinator, venue_id=hall.id), make_cohort(coordinator, venue_id=library.id)
    for cohort in (at_hall, at_library):
        timetable.generate(
            rule_for(cohort, coordinator, [2], time(10, 0), time(11, 0), date(2027, 2, 3), date(2027, 2, 3)),
            coordinator,
        )
    _closure, flagged = timetable.add_closure(
        coordinator.organisation_id, hall, date(2027, 2, 3), date(2027, 2, 3), "Polling station", coordinator
    )
    assert [s.cohort_id for s in flagged] == [at_hall.id]


# --- clashes -------------------------------------------------------------------------------------


def _at(hour: int, minute: int = 0, day: int = 3) -> datetime:
    return datetime(2027, 2, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "end", "clashes"),
    [
        (_at(10), _at(12), True),  # same start and end
        (_at(10, 30), _at(11, 30), True),  # nested inside
        (_at(9), _at(13), True),  # around it
        (_at(11, 59), _at(13), True),  # one minute of overlap
        (_at(12), _at(13), False),  # starts as the other ends
        (_at(8), _at(10), False),  # ends as the other starts
    ],
)
def test_overlap_edge_cases_for_a_room(db, coordinator, start, end, clashes):
    venue = make_venue(coordinator.organisation, coordinator, name="Hall")
    room = make_room(venue, name="Room 1")
    first, second = make_cohort(coordinator), make_cohort(coordinator)
    make_session(
        first, coordinator, day=date(2027, 2, 3), start=time(10), end=time(12), venue_id=venue.id, room_id=room.id
    )
    report = find_clashes([Slot(start, end, second.id, room.id, venue.id)])
    assert bool(report.blocking) is clashes


def test_cancelled_sessions_never_clash(db, coordinator):
    first, second = make_cohort(coordinator), make_cohort(coordinator)
    educator = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation)
    session = make_session(first, coordinator, day=date(2027, 2, 3), start=time(10), end=time(12))
    staffing.assign_to_session(session, educator, EducatorRole.LEAD, coordinator)
    slot = Slot(_at(10), _at(12), second.id, educator_ids=frozenset({educator.id}))
    assert [c.kind for c in find_clashes([slot]).clashes] == ["educator"]
    timetable.cancel_session(session, "Tutor ill", coordinator)
    assert find_clashes([slot]).clashes == []


def test_every_clash_is_listed_and_nothing_is_saved(db, coordinator):
    venue = make_venue(coordinator.organisation, coordinator, name="Hall")
    room = make_room(venue, name="Room 1")
    first, second = make_cohort(coordinator), make_cohort(coordinator)
    timetable.generate(
        rule_for(
            first,
            coordinator,
            [1, 3],
            time(10),
            time(12),
            date(2027, 2, 1),
            date(2027, 2, 28),
            venue_id=venue.id,
            room_id=room.id,
        ),
        coordinator,
    )
    rule = rule_for(
        second,
        coordinator,
        [3],
        time(11),
        time(13),
        date(2027, 2, 1),
        date(2027, 2, 28),
        venue_id=venue.id,
        room_id=room.id,
    )
    with pytest.raises(ClashError) as raised:
        timetable.generate(rule, coordinator)
    assert len(raised.value.report.clashes) == 4  # every Thursday in February
    assert sessions_of(db, second) == []


def test_learners_in_two_classes_at_once_need_confirming(db, coordinator, frozen_clock):
    esol, wellbeing = (make_cohort(coordinator, start_date=date(2027, 1, 4), status="open") for _ in range(2))
    learner = make_learner(organisation=coordinator.organisation)
    for cohort in (esol, wellbeing):
        make_enrolment(cohort, learner, actor=coordinator, on=date(2026, 11, 25))
    timetable.generate(
        rule_for(esol, coordinator, [0], time(10), time(12), date(2027, 1, 4), date(2027, 1, 25)), coordinator
    )
    rule = rule_for(wellbeing, coordinator, [0], time(11), time(13), date(2027, 1, 4), date(2027, 1, 25))
    with pytest.raises(ClashError) as raised:
        timetable.generate(rule, coordinator)
    assert {c.kind for c in raised.value.report.clashes} == {"learner"}
    assert sessions_of(db, wellbeing) == []
    timetable.generate(rule, coordinator, accept_learner_clashes=True)
    assert len(sessions_of(db, wellbeing)) == 4


# --- regenerating --------------------------------------------------------------------------------


def test_regenerating_is_idempotent_and_changes_keep_the_sessions(db, coordinator):
    cohort = make_cohort(coordinator)
    rule = rule_for(cohort, coordinator, [1, 3], time(10), time(12), date(2027, 2, 1), date(2027, 2, 28))
    timetable.generate(rule, coordinator)
    first = sessions_of(db, cohort)
    again = timetable.generate(rule, coordinator)
    assert (len(again.create), len(again.update), len(again.cancel), len(again.unchanged)) == (0, 0, 0, 8)
    rule = timetable.save_rule(
        cohort,
        TimetableRuleInput(
            weekdays=[1, 3],
            start_time=time(10, 30),
            end_time=time(12, 30),
            start_date=date(2027, 2, 1),
            end_date=date(2027, 2, 28),
        ),
        coordinator,
        rule,
    )
    changed = timetable.generate(rule, coordinator)
    assert len(changed.update) == 8
    after = sessions_of(db, cohort)
    assert [s.id for s in after] == [s.id for s in first]  # same sessions: stable calendar UIDs
    assert {s.revision for s in after} == {1}
    assert {s.start_dt.astimezone(LONDON).time() for s in after} == {time(10, 30)}


def test_dropping_a_weekday_cancels_rather_than_deletes(db, coordinator):
    cohort = make_cohort(coordinator)
    rule = rule_for(cohort, coordinator, [1, 3], time(10), time(12), date(2027, 2, 1), date(2027, 2, 28))
    timetable.generate(rule, coordinator)
    moved = sessions_of(db, cohort)[0]
    timetable.move_session(moved, date(2027, 2, 2), time(14), time(16), coordinator)
    by_hand = sessions_of(db, cohort)[1]
    timetable.cancel_session(by_hand, "Trip instead", coordinator)
    rule = timetable.save_rule(
        cohort,
        TimetableRuleInput(
            weekdays=[1],
            start_time=time(10),
            end_time=time(12),
            start_date=date(2027, 2, 1),
            end_date=date(2027, 2, 28),
        ),
        coordinator,
        rule,
    )
    plan = timetable.generate(rule, coordinator)
    sessions = sessions_of(db, cohort)
    assert len(sessions) == 8  # nothing deleted
    assert len(plan.cancel) == 3  # the Thursdays not already cancelled by hand
    assert moved.start_dt.astimezone(LONDON).hour == 14 and not moved.is_cancelled
    assert by_hand.cancel_reason == "Trip instead"
    thursdays = [s for s in sessions if s.occurrence_date.weekday() == 3]
    assert all(s.is_cancelled for s in thursdays)


# --- single sessions -----------------------------------------------------------------------------


def test_moving_and_cancelling_count_revisions(db, coordinator):
    cohort = make_cohort(coordinator)
    session = make_session(cohort, coordinator, day=date(2027, 2, 4), start=time(10), end=time(12))
    timetable.move_session(session, date(2027, 2, 4), time(13), time(15), coordinator)
    assert (session.revision, session.is_moved) == (1, True)
    with pytest.raises(ServiceError, match="Give a reason"):
        timetable.cancel_session(session, "  ", coordinator)
    timetable.cancel_session(session, "Room flooded", coordinator)
    assert (session.revision, session.status) == (2, SessionStatus.CANCELLED)
    with pytest.raises(ServiceError, match="cannot be moved"):
        timetable.move_session(session, date(2027, 2, 5), time(13), time(15), coordinator)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weekdays": [], "start_time": time(10), "end_time": time(12)}, "Choose at least one day of the week."),
        ({"weekdays": [1], "start_time": time(12), "end_time": time(10)}, "The session must end after it starts."),
        ({"weekdays": [1], "start_time": time(6), "end_time": time(20)}, "at most 12 hours"),
        (
            {
                "weekdays": [1],
                "start_time": time(10),
                "end_time": time(12),
                "start_date": date(2026, 1, 1),
                "end_date": date(2029, 1, 1),
            },
            "must fall within the cohort's dates",
        ),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(db, coordinator, data, message):
    cohort = make_cohort(coordinator)
    with pytest.raises(ServiceError, match=message):
        timetable.save_rule(cohort, TimetableRuleInput(**data), coordinator)


def test_a_room_too_small_for_the_cohort_is_refused(db, coordinator):
    venue = make_venue(coordinator.organisation, coordinator, name="Hall")
    room = make_room(venue, name="Side room", capacity=6)
    cohort = make_cohort(coordinator, capacity=12)
    with pytest.raises(ServiceError, match="holds 6 people but the cohort has 12 places"):
        rule_for(cohort, coordinator, [1], time(10), time(12), venue_id=venue.id, room_id=room.id)


# --- educators -----------------------------------------------------------------------------------


def test_educator_double_booking_is_refused_and_cover_is_arranged(db, coordinator, frozen_clock):
    tutor = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation, display_name="Samir")
    spare = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation, display_name="Nasrin")
    esol, hospitality = make_cohort(coordinator), make_cohort(coordinator)
    timetable.generate(
        rule_for(esol, coordinator, [1], time(10), time(12), date(2026, 12, 1), date(2026, 12, 15)), coordinator
    )
    timetable.generate(
        rule_for(hospitality, coordinator, [1], time(11), time(13), date(2026, 12, 1), date(2026, 12, 15)), coordinator
    )
    assert staffing.assign_to_cohort(esol, tutor, "lead", coordinator) == 3
    with pytest.raises(ClashError) as raised:
        staffing.assign_to_cohort(hospitality, tutor, "lead", coordinator)
    assert len(raised.value.report.clashes) == 3
    suggestions = staffing.suggest_educators(hospitality, sessions_of(db, hospitality))
    assert [(s.user.display_name, s.free) for s in suggestions] == [("Nasrin", True), ("Samir", False)]
    first = sessions_of(db, esol)[0]
    staffing.cover(first, tutor, spare, coordinator)
    assert [(link.user_id, link.covering_for_id) for link in first.educator_links] == [(spare.id, tutor.id)]


def test_new_sessions_get_the_cohorts_educators(db, coordinator):
    tutor = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation)
    cohort = make_cohort(coordinator)
    staffing.assign_to_cohort(cohort, tutor, "lead", coordinator)
    timetable.generate(
        rule_for(cohort, coordinator, [1], time(10), time(12), date(2027, 2, 1), date(2027, 2, 28)), coordinator
    )
    assert {tuple(link.user_id for link in s.educator_links) for s in sessions_of(db, cohort)} == {(tutor.id,)}


# --- through the pages ---------------------------------------------------------------------------


def test_coordinator_generates_from_the_page_and_educator_cannot(client, db, coordinator):
    cohort = make_cohort(coordinator)
    educator = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation)
    staffing.assign_to_cohort(cohort, educator, "lead", coordinator)  # educators read the cohorts they teach
    db.commit()
    log_in(client, coordinator)
    saved = client.post(
        f"/cohorts/{cohort.id}/timetable",
        data={
            "action": "add_rule",
            "rule-weekdays": ["1", "3"],
            "rule-start_time": "10:00",
            "rule-end_time": "12:30",
            "rule-start_date": "2026-10-06",
            "rule-end_date": "2026-12-17",
        },
    )
    assert saved.status_code == 302
    rule_id = cohort.timetable_rules[0].id
    preview = client.post(f"/cohorts/{cohort.id}/timetable", data={"action": "preview", "rule_id": rule_id})
    assert "New sessions: 22." in preview.get_data(as_text=True)
    assert sessions_of(db, cohort) == []
    client.post(f"/cohorts/{cohort.id}/timetable", data={"action": "generate", "rule_id": rule_id})
    assert len(sessions_of(db, cohort)) == 22
    client.post("/logout")
    log_in(client, educator)
    assert client.get(f"/cohorts/{cohort.id}/timetable").status_code == 200
    assert (
        client.post(f"/cohorts/{cohort.id}/timetable", data={"action": "generate", "rule_id": rule_id}).status_code
        == 403
    )


def test_a_rule_with_no_days_is_refused_on_the_page(client, db, coordinator):
    cohort = make_cohort(coordinator)
    db.commit()
    log_in(client, coordinator)
    response = client.post(
        f"/cohorts/{cohort.id}/timetable",
        data={"action": "add_rule", "rule-start_time": "10:00", "rule-end_time": "12:30"},
    )
    assert response.status_code == 400
    assert "Choose at least one day of the week." in response.get_data(as_text=True)
    db.refresh(cohort)
    assert cohort.timetable_rules == []


def test_another_organisations_sessions_are_not_found(client, db, coordinator):
    cohort = make_cohort(coordinator)
    session = make_session(cohort, coordinator, day=date(2027, 2, 4), start=time(10), end=time(12))
    db.commit()
    log_in(client, make_user())
    assert client.get(f"/sessions/{session.id}").status_code == 404
    assert client.post(f"/sessions/{session.id}", data={"action": "cancel", "cancel-reason": "x"}).status_code == 404
    assert client.get(f"/cohorts/{cohort.id}/timetable").status_code == 404
    db.refresh(session)
    assert session.status is SessionStatus.SCHEDULED


def test_week_view_queries_do_not_grow_with_sessions(client, db, coordinator, count_queries):
    tutor = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation)
    log_in(client, coordinator)
    first = make_cohort(coordinator)
    staffing.assign_to_cohort(first, tutor, "lead", coordinator)
    timetable.generate(
        rule_for(first, coordinator, [0], time(10), time(11), date(2027, 2, 1), date(2027, 2, 7)), coordinator
    )
    db.commit()
    with count_queries() as few:
        assert client.get("/schedule?date=2027-02-01").status_code == 200
    for hour in (12, 14, 16):
        cohort = make_cohort(coordinator)
        staffing.assign_to_cohort(cohort, tutor, "lead", coordinator)
        timetable.generate(
            rule_for(
                cohort, coordinator, [0, 1, 2, 3, 4], time(hour), time(hour + 1), date(2027, 2, 1), date(2027, 2, 7)
            ),
            coordinator,
        )
    db.commit()
    with count_queries() as many:
        page = client.get("/schedule?date=2027-02-01").get_data(as_text=True)
    assert page.count('href="/sessions/') == 16
    assert many.count == few.count


def test_enrolling_warns_when_the_learner_is_in_another_class_at_the_same_time(db, coordinator, frozen_clock):
    esol, wellbeing = (make_cohort(coordinator, start_date=date(2027, 1, 4), status="open") for _ in range(2))
    wellbeing.name = "Wellbeing group"
    timetable.generate(
        rule_for(esol, coordinator, [0], time(10), time(12), date(2027, 1, 4), date(2027, 1, 25)), coordinator
    )
    timetable.generate(
        rule_for(wellbeing, coordinator, [0], time(11), time(13), date(2027, 1, 4), date(2027, 1, 25)), coordinator
    )
    learner = make_learner(organisation=coordinator.organisation)
    assert enrolment.enrol(wellbeing, learner, actor=coordinator).message == "Enrolled."
    result = enrolment.enrol(esol, learner, actor=coordinator)
    assert result.outcome == "enrolled"
    assert result.message == "Enrolled. Note: they are also in Wellbeing group at the same times."
