"""What the timetable-rule service takes. Rules are checked by the service."""

from __future__ import annotations

from datetime import date, time

from pydantic import Field

from lms.core.inputs import Input


class TimetableRuleInput(Input):
    #: Monday = 0
    weekdays: list[int] = Field(default_factory=list)
    start_time: time | None = None
    end_time: time | None = None
    #: None: the cohort's first day
    start_date: date | None = None
    #: None: the cohort's last day
    end_date: date | None = None
    #: an IANA zone name; None: the organisation's zone
    timezone: str | None = None
    #: None: the cohort's venue
    venue_id: int | None = None
    room_id: int | None = None
