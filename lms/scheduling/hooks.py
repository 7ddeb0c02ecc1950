"""What the areas above scheduling want to hear about sessions, told without importing them.

Scheduling sits below attendance, so it cannot call it. An area above registers a listener at start-up
(`create_app`); the timetable's services call `sessions_changed` after they flush a change to when or
whether sessions run (generated, moved, cancelled, reinstated).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

SessionsListener = Callable[[set[int]], None]

_listeners: list[SessionsListener] = []


def on_sessions_changed(listener: SessionsListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def sessions_changed(cohort_ids: Iterable[int]) -> None:
    """Sessions of these cohorts changed when or whether they run."""
    ids = set(cohort_ids)
    if ids:
        for listener in _listeners:
            listener(ids)
