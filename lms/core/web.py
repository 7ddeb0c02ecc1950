"""Request-wide plumbing: the transaction boundary, login loading, security headers, error pages,
template helpers.

One transaction per request, ended here and nowhere else. A view parses, checks access and calls a
service through `attempt`; services change and flush; after the view, `end_transaction` commits once
when the view returned a status below 400, nothing was refused, and the request may write (any
method but GET/HEAD/OPTIONS, or a view marked `@writes_on_get`). Otherwise it rolls back: an error
status, an exception, a refusal, or a plain read. Views never commit or roll back
(tests/core/test_commits.py reads their source to make sure). The one exception is
`commit_despite_refusal`, for the few rows that record the attempt itself. The API's rate-limit
count is kept apart instead: written before the request's transaction opens, in one of its own
(`lms.core.db.transaction_apart`, see api/core.py), so a read stays a read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, flash, g, redirect, render_template, request
from flask import session as cookie_session
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lms.core.cleaning import any_control_characters, control_character_message, strings_in
from lms.core.db import sqlite_read_only as request_transaction_mode
from lms.core.errors import ServiceError
from lms.core.i18n import SUPPORTED_LOCALES, _, _l, get_locale, language_name, text_direction
from lms.extensions import db, login_manager

log = logging.getLogger(__name__)

AUTH_SESSION_KEY = "auth_token"
WRITES_ON_GET = "__lms_writes_on_get__"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Set on `g` when a service refused this request: the boundary then commits nothing.
REFUSED = "lms_refused"
#: Set in the session's `info` while its transaction has written (flushed or run an UPDATE/DELETE).
WROTE = "lms_wrote"

T = TypeVar("T")


def writes_on_get(view):  # noqa: ANN001, ANN201
    """Mark a GET view that writes (an audit record of who looked), so its transaction takes the lock
    and is committed. Unmarked GETs are rolled back: a page that only shows must not change anything."""
    setattr(view, WRITES_ON_GET, True)
    return view


def _request_writes() -> bool:
    if request.method not in READ_METHODS:
        return True
    return getattr(current_app.view_functions.get(request.endpoint or ""), WRITES_ON_GET, False)


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    login_manager.login_view = "people.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    watch_writes()

    @app.before_request
    def choose_transaction_mode() -> None:
        request_transaction_mode.set(not _request_writes())

    @app.after_request
    def end_transaction(response):  # noqa: ANN001, ANN202
        """The request boundary. It runs before a streamed body is read, so such a body may only read."""
        if response.status_code < 400 and not g.get(REFUSED) and _request_writes():
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                cookie_session.pop("_flashes", None)  # no "Saved." for what was not saved
                raise
            return response
        if db.session.info.get(WROTE) and not _request_writes():
            log.warning("%s %s wrote without @writes_on_get: rolled back", request.method, request.endpoint)
        db.session.rollback()
        return response

    @app.teardown_request
    def reset_transaction_mode(error: BaseException | None) -> None:
        if error is not None:  # an exception no handler turned into a response (tests, debug)
            db.session.rollback()
        request_transaction_mode.set(False)

    @app.before_request
    def refuse_control_characters():  # noqa: ANN202
        """One cleaning layer for forms, query strings and API bodies alike: refused before any view runs."""
        # Every value of a repeated field counts (`values()` would give only each field's first).
        texts = [text for pair in request.args.items(multi=True) for text in pair]
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            texts += [text for pair in request.form.items(multi=True) for text in pair]
            if request.is_json:
                texts += list(strings_in(request.get_json(silent=True)))
        if not any_control_characters(texts):
            return None
        message = control_character_message()
        if request.path.startswith("/api/"):
            body = {"type": "about:blank", "status": 422, "title": _("Not accepted"), "detail": message}
            return body, 422, {"Content-Type": "application/problem+json"}
        title = _("Something was wrong with the request")
        return render_template("errors/error.html", code=400, title=title, message=message), 400

    @app.after_request
    def security_headers(response):  # noqa: ANN001, ANN202
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Pages about people must not sit in shared caches or the back-forward cache of a shared phone.
        if response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def template_helpers() -> dict:
        locale = get_locale()
        from babel.dates import get_day_names

        day_names = get_day_names("wide", locale=locale)
        return {
            "weekday_name": lambda index: day_names[index],
            "current_locale": str(locale),
            "text_direction": text_direction(locale),
            "supported_locales": SUPPORTED_LOCALES,
            "language_name": language_name,
        }

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # noqa: ANN202
        db.session.rollback()
        message = _("This form has expired or was not sent from this site. Go back, reload the page and try again.")
        return render_template("errors/error.html", code=400, title=_("Form expired"), message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # noqa: ANN202
        db.session.rollback()
        title, message = _error_text(error.code)
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            body = {"type": "about:blank", "status": error.code, "title": title, "detail": message}
            headers = dict(error.get_headers()) | {"Content-Type": "application/problem+json"}  # keeps Allow on 405
            return body, error.code, headers
        return render_template("errors/error.html", code=error.code, title=title, message=message), error.code

    # Unhandled exceptions are logged by Flask and reach the HTTPException handler as a 500.


def _error_text(code: int | None) -> tuple[str, str]:
    texts = {
        400: (_("Something was wrong with the request"), _("Go back and check what you entered.")),
        403: (_("Not allowed"), _("Your account cannot do this. Ask your coordinator if you need to.")),
        404: (_("Page not found"), _("Check the address, or go back to the start page.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        413: (_("Too large"), _("What you sent is too large. Send a smaller file.")),
        429: (_("Too many requests"), _("Wait a little and try again.")),
    }
    fallback = (
        _("Something went wrong"),
        _("Sorry, something went wrong on our side. Try again in a minute."),
    )
    return texts.get(code or 500, fallback)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site, so a crafted link cannot bounce a user to another one.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so `/\t/evil.example`
    and `/\\evil.example` both mean `//evil.example`: any control character or backslash is refused, then
    the target must parse (urllib.parse) with no scheme and no host and start with a single slash.
    """
    if not target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def attach_error(form, error: ServiceError) -> None:  # noqa: ANN001
    """Show a service's error on the field it names, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


class Attempt(Generic[T]):
    """What `attempt` gives back: true when the service went through, with its `value`; false when it
    refused, with the `error`. Reading the one that is not there is a bug, and raises."""

    __slots__ = ("_error", "_value")

    def __init__(self, value: T | None = None, error: ServiceError | None = None) -> None:
        self._value, self._error = value, error

    def __bool__(self) -> bool:
        return self._error is None

    @property
    def value(self) -> T:
        if self._error is not None:
            raise AttributeError("a refused attempt has no value") from self._error
        return self._value  # type: ignore[return-value]  # None only when T admits None

    @property
    def error(self) -> ServiceError:
        if self._error is None:
            raise AttributeError("this attempt was not refused")
        return self._error


def attempt(
    action: Callable[[], T], form: Any = None, *, show: bool = True, keep_on_refusal: bool = False
) -> Attempt[T]:
    """Run a view's service call: the one place where a refusal (`ServiceError`) is handled.

    On a refusal the transaction is rolled back at once, so nothing the service changed before it
    refused can be saved and the page rendered next shows the database as it is; the request is
    marked refused, so the boundary commits nothing more whatever status the view answers with; and
    the message is shown on `form` (on the field it names, or above the form), or flashed as an error
    when there is no form. With `show=False` the caller shows `error` itself (a JSON problem, clash
    lines). The view then answers as it chooses: the form again, a redirect, a status code.

    `keep_on_refusal=True` commits what the service wrote before it refused, instead of rolling it
    back: only for rows that record the refused attempt itself (see `commit_despite_refusal`).
    """
    try:
        return Attempt(value=action())
    except ServiceError as error:
        if keep_on_refusal:
            commit_despite_refusal()
        else:
            db.session.rollback()
        setattr(g, REFUSED, True)
        if show and form is not None:
            attach_error(form, error)
        elif show:
            flash(error.message, "error")
        return Attempt(error=error)


def commit_despite_refusal() -> None:
    """Commit now, ahead of the boundary, what this request has written so far, so that it stands
    even if the request is then refused or fails.

    The escape hatch from one-transaction-per-request, for rows that record an attempt, which must
    count precisely when the attempt is refused. Its uses, and the only ones:
    - failed logins (`LoginThrottle`, counted by `people.services.authenticate_*` before they check
      the secret), which the throttle counts: the login views pass `keep_on_refusal=True` to `attempt`;
    - the tries a wrong self check-in code uses up (`CheckInTry`, written by
      `assessments.attendance.services.check_in` just before it refuses): the check-in view passes
      `keep_on_refusal=True`.
    The API's rate-limit count does not use it: it is written in a transaction of its own before the
    request's opens (`lms.core.db.transaction_apart`).
    """
    db.session.commit()


def save_or_show(form, save, redirect_to, message: str):  # noqa: ANN001, ANN201
    """Run a service for a form: on success flash and redirect (the boundary commits); on a refusal
    show the message on the form and return None, so the view renders the form again."""
    done = attempt(save, form)
    if not done:
        return None
    flash(message, "success")
    return redirect(redirect_to(done.value))


def _note_writes(session: sa.orm.Session, *args: Any) -> None:
    session.info[WROTE] = True


def _note_dml(state: sa.orm.ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


def _forget_writes(session: sa.orm.Session, *args: Any) -> None:
    session.info.pop(WROTE, None)


def watch_writes() -> None:
    """Note in `session.info` when a transaction writes, so a GET that writes unmarked is logged."""
    for name, listener in (
        ("after_flush", _note_writes),
        ("do_orm_execute", _note_dml),
        ("after_commit", _forget_writes),
        ("after_rollback", _forget_writes),
    ):
        if not sa.event.contains(db.session, name, listener):
            sa.event.listen(db.session, name, listener)
