"""The benchmarks over generated data: feeds against their floor, pages, the funder report, the export."""

from __future__ import annotations

import time as clock
import tracemalloc
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from benchmarks.data import Generated
from benchmarks.timing import counting_queries, measure, report
from lms.calendar import feeds
from lms.calendar.ical import FeedEvent, build_calendar
from lms.calendar.models import FeedKind
from lms.core import time as lms_time
from lms.core.roles import Role
from lms.core.tokens import new_token, token_hash
from lms.core.web import AUTH_SESSION_KEY
from lms.courses.models import Programme
from lms.extensions import db
from lms.people.models import AuthSession, Learner, User, UserRole
from lms.reports.queries import funder_return
from lms.scheduling.models import Session, Venue

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def _client_for(app: Flask, user_id: int):  # noqa: ANN202
    token = new_token()
    db.session.add(AuthSession(user_id=user_id, token_hash=token_hash(token), expires_dt=NOW + timedelta(days=1)))
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"], session[AUTH_SESSION_KEY] = str(user_id), True, token
    return client


def _learner_user(learner_id: int) -> int:
    learner = db.session.get(Learner, learner_id)
    if learner.user_id is None:
        user = User(
            organisation_id=learner.organisation_id,
            display_name=learner.full_name,
            email=f"bench-learner-{learner_id}@bench.example",
            locale="en_GB",
            role_links=[UserRole(role=Role.LEARNER)],
        )
        db.session.add(user)
        db.session.flush()
        learner.user_id = user.id
        db.session.commit()
    return learner.user_id


def _floor(feed) -> bytes:  # noqa: ANN001
    """The least a feed can do: fetch the same rows with one Core query and serialise the same events
    (same properties, same VTIMEZONE) with icalendar alone."""
    rows = db.session.execute(
        sa.select(
            Session.id,
            Session.start_dt,
            Session.end_dt,
            Session.timezone,
            Session.status,
            Session.revision,
            Session.updated_dt,
            Session.cancel_reason,
            Venue.name,
            Venue.address,
            Venue.postcode,
        )
        .outerjoin(Venue, Venue.id == Session.venue_id)
        .where(feeds._session_filter(feed.kind, feeds._target_id(feed)), feeds._window(NOW))
    ).all()
    events = [
        FeedEvent(
            f"session-{row.id}@bench",
            row.start_dt,
            row.end_dt,
            row.timezone,
            "Course",
            f"{row.name}, {row.address}, {row.postcode}",
            "With Educator",
            "https://bench.local/",
            row.revision,
            row.updated_dt,
            row.status.value == "cancelled",
        )
        for row in rows
    ]
    return build_calendar("floor", events)


def run(app: Flask, data: Generated, repeat: int) -> list[str]:
    lms_time.set_clock(lambda: NOW)
    lines = []
    try:
        lines += _feeds(app, data, repeat)
        lines += _pages(app, data, repeat)
        lines += _report(data, max(3, repeat // 5))
        lines += _export(app, data)
    finally:
        lms_time.set_clock(None)
    return lines


def _feeds(app: Flask, data: Generated, repeat: int) -> list[str]:
    lines = []
    for label, user_id in (
        ("learner in 8 cohorts", _learner_user(data.busy_learner_id)),
        ("educator with 1,000+ sessions", data.busy_educator_id),
    ):
        token = feeds.issue_feed(FeedKind.USER, user_id, db.session.get(User, user_id))
        db.session.commit()
        feed = feeds.feed_for_token(token)[0]
        client = app.test_client()
        url = f"/feeds/{token}.ics"
        body = client.get(url)
        events = body.data.count(b"BEGIN:VEVENT")
        etag = body.headers["ETag"]
        with counting_queries(db.engine) as cold_queries:
            client.get(url)
        cold = measure(lambda: client.get(url), repeat)  # noqa: B023
        floor = measure(lambda: _floor(feed), repeat)  # noqa: B023
        with counting_queries(db.engine) as not_modified_queries:
            assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        not_modified = measure(lambda: client.get(url, headers={"If-None-Match": etag}), repeat)  # noqa: B023
        ratio = sorted(cold)[len(cold) // 2] / sorted(floor)[len(floor) // 2]
        lines.append(report(f"iCal feed, {label} ({events} events), cold", cold, cold_queries["count"]))
        lines.append(report(f"  floor: same rows + icalendar alone ({label})", floor))
        lines.append(f"  ratio feed/floor at p50: {ratio:.2f}")
        lines.append(report(f"iCal feed 304, {label}", not_modified, not_modified_queries["count"]))
    return lines


def _pages(app: Flask, data: Generated, repeat: int) -> list[str]:
    learner_client = _client_for(app, _learner_user(data.busy_learner_id))
    educator_client = _client_for(app, data.busy_educator_id)
    lines = []
    url = "/my/timetable?view=list"
    with counting_queries(db.engine) as queries:
        assert learner_client.get(url).status_code == 200
    lines.append(
        report("learner timetable page (8 weeks)", measure(lambda: learner_client.get(url), repeat), queries["count"])
    )
    register = f"/sessions/{data.big_session_id}/register"
    with counting_queries(db.engine) as queries:
        page = educator_client.get(register)
    assert page.status_code == 200 and page.data.count(b'class="mark-row"') == 60, (
        page.status_code,
        page.data.count(b"mark-row"),
    )
    lines.append(
        report(
            "register page, 60 learners, GET", measure(lambda: educator_client.get(register), repeat), queries["count"]
        )
    )
    statuses = ["present", "late", "absent"]
    from lms.scheduling.models import Enrolment

    rows = db.session.scalars(sa.select(Enrolment.learner_id).where(Enrolment.cohort_id == data.big_cohort_id)).all()
    counter = {"n": 0}

    def save() -> None:
        counter["n"] += 1
        form = {f"status-l{lid}": statuses[(lid + counter["n"]) % 3] for lid in rows}
        response = educator_client.post(register, data=form, headers={"Accept": "application/json"})
        assert response.status_code == 200, response.data

    with counting_queries(db.engine) as queries:
        save()
    lines.append(report("register save, 60 marks changed, one transaction", measure(save, repeat), queries["count"]))
    return lines


def _report(data: Generated, repeat: int) -> list[str]:
    programme = db.session.get(Programme, data.programme_id)
    start = date(2025, 11, 25)
    with counting_queries(db.engine) as queries:
        result = funder_return(programme, start, data.end, now=NOW)
    samples = measure(lambda: funder_return(programme, start, data.end, now=NOW), repeat)
    return [report(f"funder return, a year ({result.figures['participants']} participants)", samples, queries["count"])]


def _export(app: Flask, data: Generated) -> list[str]:
    client = _client_for(app, data.coordinator_id)
    tracemalloc.start()
    started = clock.perf_counter()
    response = client.get("/exports/attendance.csv?from=2020-01-01&to=2026-12-31", buffered=False)
    iterator = iter(response.response)
    first = next(iterator)
    first_byte = (clock.perf_counter() - started) * 1000
    rows = first.count("\n") if isinstance(first, str) else first.count(b"\n")
    for chunk in iterator:
        rows += chunk.count("\n") if isinstance(chunk, str) else chunk.count(b"\n")
    total = clock.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return [
        f"attendance CSV export: {rows - 1:,} rows, first byte {first_byte:.0f} ms, total {total:.1f} s, "
        f"peak Python memory {peak / 1_048_576:.1f} MiB"
    ]
