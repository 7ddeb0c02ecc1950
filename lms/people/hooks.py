"""What people's pages need from the areas above them, told at start-up without importing them.

An educator's profile shows the hours she gave, and most of them are sessions she taught, which
scheduling (above people) keeps. `create_app` registers scheduling's count with `count_taught_hours_with`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

#: (educator's user id, first day, last day) -> hours of the sessions she taught that ran on those days.
TaughtHours = Callable[[int, date, date], Decimal]

_counters: list[TaughtHours] = []


def count_taught_hours_with(counter: TaughtHours) -> None:
    if counter not in _counters:
        _counters.append(counter)


def taught_hours(user_id: int, first: date, last: date) -> Decimal:
    return sum((counter(user_id, first, last) for counter in _counters), Decimal(0))
