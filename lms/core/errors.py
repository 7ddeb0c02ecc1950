"""Errors that services raise for bad input; views turn them into translated messages."""

from __future__ import annotations


class ServiceError(Exception):
    """Bad input or a broken rule. `message` is already translated; nothing has been changed."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ThrottledError(ServiceError):
    """Too many attempts; try again later."""
