"""Sessions as iCalendar (RFC 5545): pure functions, no request or database access.

One VEVENT per session with a UID that never changes (`session-<id>@<host>`, the same in every feed),
DTSTART/DTEND in the session's zone with its VTIMEZONE, SEQUENCE from the session's revision,
DTSTAMP and LAST-MODIFIED from the last change (so an unchanged feed is byte-for-byte the same),
and STATUS:CANCELLED for cancelled sessions instead of dropping them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

PRODUCT_ID = "-//Pathways//Course timetables//EN"
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    start_dt: datetime
    end_dt: datetime
    timezone: str
    summary: str
    location: str
    description: str
    url: str
    sequence: int
    last_modified: datetime
    cancelled: bool


def session_uid(session_id: int, host: str) -> str:
    return f"session-{session_id}@{host}"


def build_calendar(name: str, events: list[FeedEvent]) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    # How often calendar apps should fetch it again (RFC 7986, and the older Microsoft/Apple hint).
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    for item in events:
        zone = ZoneInfo(item.timezone)
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", item.last_modified)
        event.add("last-modified", item.last_modified)
        event.add("sequence", item.sequence)
        event.add("dtstart", item.start_dt.astimezone(zone))
        event.add("dtend", item.end_dt.astimezone(zone))
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", item.url)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if item.cancelled else "OPAQUE")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
