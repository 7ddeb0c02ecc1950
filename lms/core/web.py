"""Request-wide plumbing: login loading, security headers, error pages, template helpers."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lms.core.cleaning import any_control_characters, control_character_message, strings_in
from lms.core.db import sqlite_read_only as request_transaction_mode
from lms.core.errors import ServiceError
from lms.core.i18n import SUPPORTED_LOCALES, _, _l, get_locale, text_direction
from lms.extensions import db, login_manager

AUTH_SESSION_KEY = "auth_token"
WRITES_ON_GET = "__lms_writes_on_get__"


def writes_on_get(view):  # noqa: ANN001, ANN201
    """Mark a GET view that writes (an audit record of who looked), so its transaction takes the lock."""
    setattr(view, WRITES_ON_GET, True)
    return view


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

    @app.before_request
    def choose_transaction_mode() -> None:
        view = app.view_functions.get(request.endpoint or "")
        reads_only = request.method in ("GET", "HEAD", "OPTIONS") and not getattr(view, WRITES_ON_GET, False)
        request_transaction_mode.set(reads_only)

    @app.teardown_request
    def reset_transaction_mode(error: BaseException | None) -> None:
        request_transaction_mode.set(False)

    @app.before_request
    def refuse_control_characters():  # noqa: ANN202
        """One cleaning layer for forms, query strings and API bodies alike: refused before any view runs."""
        texts = [*request.args.keys(), *request.args.values()]
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            texts += [*request.form.keys(), *request.form.values()]
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


def save_or_show(form, save, redirect_to, message: str):  # noqa: ANN001, ANN201
    """Run a service for a form: on success commit, flash and redirect; on a ServiceError roll back,
    show the message on the form, and return None so the view renders the form again."""
    from flask import flash, redirect

    try:
        obj = save()
    except ServiceError as error:
        db.session.rollback()
        attach_error(form, error)
        return None
    db.session.commit()
    flash(message, "success")
    return redirect(redirect_to(obj))
