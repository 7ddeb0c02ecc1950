"""Calendar feeds, parsed back with icalendar and with the independent, strict `ical` parser."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from ical.calendar_stream import IcsCalendarStream

from lms.calendar import feeds
from lms.calendar.models import FeedKind
from lms.core.roles import Role
from lms.people import services as people_services
from lms.people.models import ConvictionFlag, ImmigrationStatus
from lms.scheduling.timetable import services as timetable
from lms.scheduling.timetable import staffing
from lms.scheduling.timetable.inputs import TimetableRuleInput
from tests.conftest import log_in
from tests.factories import make_cohort, make_course, make_enrolment, make_learner, make_session, make_user, make_venue

LONDON = ZoneInfo("Europe/London")


@pytest.fixture()
def world(db, frozen_clock):
    """A learner in a Thursday 18:00 class across the October clock change, with sensitive data on file."""
    frozen_clock.now = datetime(2026, 10, 1, 9, tzinfo=UTC)
    coordinator = make_user()
    tutor = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation, display_name="Samir Haddad")
    venue = make_venue(
        coordinator.organisation,
        coordinator,
        name="Haymarket Centre",
        address="Haymarket, Leicester",
        postcode="LE1 3YQ",
    )
    course = make_course(coordinator.organisation, coordinator, title="ESOL Entry 2")
    from lms.courses import services as course_services

    course_services.save_course_translation(course, "ar", "الإنجليزية ٢", "")
    cohort = make_cohort(
        coordinator,
        course=course,
        name="ESOL evenings",
        venue_id=venue.id,
        start_date=date(2026, 10, 1),
        end_date=date(2026, 11, 30),
        capacity=10,
        status="open",
        what_to_bring="A pen",
    )
    staffing.assign_to_cohort(cohort, tutor, "lead", coordinator)
    rule = timetable.save_rule(
        cohort,
        TimetableRuleInput(
            weekdays=[3],
            start_time=time(18),
            end_time=time(20),
            start_date=date(2026, 10, 15),
            end_date=date(2026, 11, 5),
        ),
        coordinator,
    )
    timetable.generate(rule, coordinator)
    learner = make_learner(
        organisation=coordinator.organisation, given_name="فاطمة", phone="07700 900501", preferred_languages="ar"
    )
    classmate = make_learner(organisation=coordinator.organisation, given_name="Olena", family_name="Kovalenko")
    for person in (learner, classmate):
        make_enrolment(cohort, person, actor=coordinator)
    people_services.add_immigration_status(
        learner,
        status=ImmigrationStatus.ASYLUM_SEEKER,
        from_date=date(2026, 1, 5),
        until_date=None,
        note="Claim ref HO-12345",
        actor=coordinator,
    )
    people_services.update_sensitive(
        learner,
        health_and_access_needs="Epilepsy",
        relevant_unspent_conviction=ConvictionFlag.YES,
        safeguarding_notes="Known to social services",
        actor=coordinator,
    )
    user = people_services.create_learner_login(learner, "2468", coordinator)
    token = feeds.issue_feed(FeedKind.USER, user.id, user)
    db.commit()
    return {
        "coordinator": coordinator,
        "tutor": tutor,
        "learner": learner,
        "user": user,
        "token": token,
        "cohort": cohort,
        "sessions": sorted(cohort_sessions(db, cohort), key=lambda s: s.start_dt),
    }


def cohort_sessions(db, cohort):
    from lms.scheduling.models import Session

    return db.scalars(sa.select(Session).where(Session.cohort_id == cohort.id)).all()


def fetch(client, token, **headers):
    return client.get(f"/feeds/{token}.ics", headers=headers)


def parse_both(body: bytes):
    """Parse with both libraries; the strict one raises on anything not RFC 5545."""
    strict = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    return icalendar.Calendar.from_ical(body), strict


def test_the_learner_feed_is_valid_and_right_on_both_sides_of_the_clock_change(client, db, world):
    response = fetch(client, world["token"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar, strict = parse_both(response.data)
    events = calendar.walk("VEVENT")
    assert len(events) == len(strict.events) == 4
    assert [e.decoded("dtstart").astimezone(LONDON).strftime("%d/%m %H:%M") for e in events] == [
        "15/10 18:00",
        "22/10 18:00",
        "29/10 18:00",
        "05/11 18:00",
    ]
    assert [e.decoded("dtstart").astimezone(UTC).hour for e in events] == [17, 17, 18, 18]
    assert all(e["DTSTART"].params["TZID"] == "Europe/London" for e in events)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert [str(e["UID"]) for e in events] == [f"session-{s.id}@pathways.test" for s in world["sessions"]]
    first = events[0]
    assert str(first["SUMMARY"]) == "الإنجليزية ٢"  # in the learner's language
    assert "Haymarket Centre" in str(first["LOCATION"]) and "LE1 3YQ" in str(first["LOCATION"])
    assert "Samir" in str(first["DESCRIPTION"]) and "Haddad" not in str(first["DESCRIPTION"])
    assert str(calendar["X-WR-CALNAME"]) and calendar["REFRESH-INTERVAL"]
    assert strict.events[2].dtstart == datetime(2026, 10, 29, 18, tzinfo=LONDON)


def test_nothing_sensitive_and_no_other_learner_is_in_the_feed(client, db, world):
    body = fetch(client, world["token"]).data.decode()
    unfolded = body.replace("\r\n ", "")
    for secret in (
        "Asylum",
        "HO-12345",
        "Epilepsy",
        "social services",
        "conviction",
        "Olena",
        "Kovalenko",
        "asylum_seeker",
    ):
        assert secret.lower() not in unfolded.lower(), secret


def test_a_move_keeps_the_uid_and_raises_the_sequence_and_a_cancellation_stays_as_cancelled(
    client, db, world, frozen_clock
):
    before = {str(e["UID"]): e for e in parse_both(fetch(client, world["token"]).data)[0].walk("VEVENT")}
    moved, cancelled = world["sessions"][1], world["sessions"][2]
    frozen_clock.advance(days=1)
    timetable.move_session(moved, date(2026, 10, 22), time(17), time(19), world["coordinator"])
    timetable.cancel_session(cancelled, "Tutor ill", world["coordinator"])
    db.commit()
    after = {str(e["UID"]): e for e in parse_both(fetch(client, world["token"]).data)[0].walk("VEVENT")}
    assert set(after) == set(before)
    moved_event = after[f"session-{moved.id}@pathways.test"]
    assert int(moved_event["SEQUENCE"]) > int(before[f"session-{moved.id}@pathways.test"]["SEQUENCE"])
    assert moved_event.decoded("dtstart").astimezone(LONDON).hour == 17
    assert moved_event.decoded("last-modified") == frozen_clock.now
    gone = after[f"session-{cancelled.id}@pathways.test"]
    assert str(gone["STATUS"]) == "CANCELLED"
    assert "Tutor ill" in str(gone["DESCRIPTION"])


def test_unchanged_feeds_are_identical_and_answer_304_in_two_queries(client, db, world, count_queries, frozen_clock):
    first = fetch(client, world["token"])
    frozen_clock.advance(minutes=30)
    second = fetch(client, world["token"])
    assert first.data == second.data  # DTSTAMP comes from the last change, not from "now"
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    with count_queries() as counter:
        not_modified = fetch(client, world["token"], **{"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert counter.count <= 2
    assert fetch(client, world["token"], **{"If-Modified-Since": modified}).status_code == 304
    timetable.cancel_session(world["sessions"][0], "Flood", world["coordinator"])
    db.commit()
    changed = fetch(client, world["token"], **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_an_unchanged_feed_is_sent_its_stored_body_and_a_change_renders_it_again(
    client, db, world, count_queries, frozen_clock
):
    from lms.calendar.models import FeedBody

    cold = fetch(client, world["token"])
    stored = db.scalars(sa.select(FeedBody)).one()
    assert stored.body == cold.data and stored.etag == cold.headers["ETag"].strip('"')
    with count_queries() as warm:
        again = fetch(client, world["token"])
    assert again.data == cold.data and again.headers["ETag"] == cold.headers["ETag"]
    # The token and stored version, the feed's version, the stored bytes: nothing is rendered.
    assert warm.count == 3 and not any("course" in sql for sql in warm.statements)

    elsewhere = client.get(f"/feeds/{world['token']}.ics", base_url="https://calendar.example")
    assert b"@calendar.example" in elsewhere.data and b"@pathways.test" not in elsewhere.data  # UIDs name the host

    frozen_clock.advance(minutes=5)
    timetable.cancel_session(world["sessions"][0], "Flood", world["coordinator"])
    db.commit()
    changed = fetch(client, world["token"])
    assert changed.headers["ETag"] != cold.headers["ETag"] and b"Flood" in changed.data
    db.expire_all()
    stored = db.scalars(sa.select(FeedBody)).one()
    assert stored.body == changed.data and stored.host == "pathways.test"

    # The body goes with its feed: revoking the link stops it at once.
    log_in(client, world["user"])
    client.post("/calendar", data={"action": "revoke"})
    assert fetch(client, world["token"]).status_code == 404


def test_feed_queries_do_not_grow_with_sessions(client, db, world, count_queries):
    with count_queries() as few:
        fetch(client, world["token"])
    rule = timetable.save_rule(
        world["cohort"],
        TimetableRuleInput(weekdays=[0, 1, 2, 4], start_time=time(9), end_time=time(10)),
        world["coordinator"],
    )
    timetable.generate(rule, world["coordinator"])
    db.commit()
    with count_queries() as many:
        body = fetch(client, world["token"]).data
    assert body.count(b"BEGIN:VEVENT") > 30
    assert many.count == few.count


def test_revoked_and_unknown_tokens_are_not_found_and_a_new_link_works(client, db, world):
    user = world["user"]
    log_in(client, user)
    page = client.post("/calendar", data={"action": "issue"}).get_data(as_text=True)
    new_token = re.search(r"/feeds/([A-Za-z0-9_-]+)\.ics", page).group(1)
    assert fetch(client, world["token"]).status_code == 404  # the old link stopped
    assert fetch(client, new_token).status_code == 200
    client.post("/calendar", data={"action": "revoke"})
    assert fetch(client, new_token).status_code == 404
    assert fetch(client, "not-a-token").status_code == 404


def test_one_users_token_never_shows_anothers_sessions(client, db, world):
    coordinator = world["coordinator"]
    other_course = make_course(coordinator.organisation, coordinator, title="Construction")
    other = make_cohort(
        coordinator,
        course=other_course,
        name="Site English",
        start_date=date(2026, 10, 1),
        end_date=date(2026, 11, 30),
        capacity=5,
        status="open",
    )
    make_session(other, coordinator, day=date(2026, 10, 20), start=time(9), end=time(11))
    db.commit()
    body = fetch(client, world["token"]).data.decode()
    assert "Construction" not in body and body.count("BEGIN:VEVENT") == 4
    tutor_token = feeds.issue_feed(FeedKind.USER, world["tutor"].id, world["tutor"])
    db.commit()
    tutor_body = fetch(client, tutor_token).data.decode()
    assert tutor_body.count("BEGIN:VEVENT") == 4 and "Construction" not in tutor_body
    assert "ESOL evenings" in tutor_body  # staff see the cohort's name


def test_coordinator_makes_cohort_and_venue_links_and_educators_cannot(client, db, world):
    cohort = world["cohort"]
    log_in(client, world["tutor"])
    assert client.post(f"/cohorts/{cohort.id}/calendar", data={"action": "issue"}).status_code == 403
    client.post("/logout")
    log_in(client, world["coordinator"])
    page = client.post(f"/cohorts/{cohort.id}/calendar", data={"action": "issue"}).get_data(as_text=True)
    token = re.search(r"/feeds/([A-Za-z0-9_-]+)\.ics", page).group(1)
    assert len(token) >= 43  # 256 bits, URL-safe base64
    calendar, _strict = parse_both(fetch(client, token).data)
    assert len(calendar.walk("VEVENT")) == 4


def test_one_off_downloads_for_a_session_and_a_cohort(client, db, world):
    session = world["sessions"][0]
    log_in(client, world["user"])
    single = client.get(f"/sessions/{session.id}.ics")
    assert single.status_code == 200
    assert len(parse_both(single.data)[0].walk("VEVENT")) == 1
    assert len(parse_both(client.get(f"/cohorts/{world['cohort'].id}.ics").data)[0].walk("VEVENT")) == 4
    stranger = make_learner(organisation=world["coordinator"].organisation, phone="07700 900502")
    people_services.create_learner_login(stranger, "2468", world["coordinator"])
    db.commit()
    client.post("/logout")
    log_in(client, stranger.user)
    assert client.get(f"/sessions/{session.id}.ics").status_code == 404


def test_the_learners_timetable_page_shows_cancelled_and_moved_classes(client, db, world):
    timetable.cancel_session(world["sessions"][0], "Tutor ill", world["coordinator"])
    timetable.move_session(world["sessions"][1], date(2026, 10, 22), time(17), time(19), world["coordinator"])
    db.commit()
    log_in(client, world["user"])
    page = client.get("/my/timetable?view=list&date=2026-10-12").get_data(as_text=True)
    assert 'dir="rtl"' in page and "الإنجليزية ٢" in page
    assert "Tutor ill" in page and page.count("status-not_ready") == 1 and page.count("status-in_progress") == 1
    assert "LE1 3YQ" in page and "openstreetmap.org/search" in page and "A pen" in page
    # Times run left to right inside the right-to-left page, so 17:00–19:00 never reads 19:00–17:00.
    assert '<strong class="lead" dir="ltr">17:00–19:00</strong>' in page


def test_the_calendar_url_command_prints_a_working_link(app, client, db, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["calendar-url", world["user"].phone])
    assert result.exit_code == 0, result.output
    token = result.output.strip().rsplit("/", 1)[1].removesuffix(".ics")
    assert fetch(client, token).status_code == 200
    assert fetch(client, world["token"]).status_code == 404
