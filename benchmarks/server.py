"""The app as the benchmarks serve it: `gunicorn 'benchmarks.server:create()'`.

The production app with production settings (scrypt passwords, CSRF on), except: the clock is fixed
to the instant the data was built around (`data.NOW`), plain HTTP cookies on 127.0.0.1, and registers
editable for years back so one session can be saved again and again. Two routes are added for floors,
served by the same workers as the pages they are compared with:

- `/_bench/static/<name>`: a file sent the way Flask sends static files (the floor for a feed served
  from a cached body: the same bytes with no work at all);
- `/_bench/floor/<kind>/<target_id>.ics`: the least a feed can do: the same rows with one Core query,
  serialised as the same events (same properties, same VTIMEZONE) with icalendar alone.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, send_from_directory

from benchmarks.data import NOW
from lms import create_app
from lms.calendar import feeds
from lms.calendar.ical import FeedEvent, build_calendar
from lms.calendar.models import FeedKind
from lms.core import time as lms_time
from lms.core.access import public
from lms.extensions import db
from lms.scheduling.models import Session, Venue

CONFIG: dict[str, Any] = {
    "SESSION_COOKIE_SECURE": False,
    "ATTENDANCE_EDIT_HOURS": 24 * 365 * 4,
}


def floor_body(kind: FeedKind, target_id: int) -> bytes:
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
        .where(feeds._session_filter(kind, target_id), feeds._window(lms_time.now_utc()))
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


def create(config: dict | None = None) -> Flask:
    app = create_app({**CONFIG, **(config or {})})
    lms_time.set_clock(lambda: NOW)
    static_dir = os.environ.get("BENCH_STATIC_DIR", "/nonexistent")

    @public
    def bench_static(name: str) -> Response:
        return send_from_directory(static_dir, name)

    @public
    def bench_floor(kind: str, target_id: int) -> Response:
        return Response(floor_body(FeedKind(kind), target_id), mimetype="text/calendar")

    app.add_url_rule("/_bench/static/<name>", "bench_static", bench_static)
    app.add_url_rule("/_bench/floor/<kind>/<int:target_id>.ics", "bench_floor", bench_floor)
    return app
