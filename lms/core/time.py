"""One clock for the whole app, so tests can fix it, and the zone we show times in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_TZ_NAME = "Europe/London"
LONDON = ZoneInfo(DEFAULT_TZ_NAME)

_clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now_utc() -> datetime:
    """The current instant, aware, in UTC."""
    return _clock()


def today_local(tz: ZoneInfo = LONDON) -> date:
    return now_utc().astimezone(tz).date()


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); `None` restores the real one."""
    global _clock
    _clock = clock or (lambda: datetime.now(UTC))


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years of age on a date (a birthday on 29 February counts from 1 March in common years)."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years
