"""Pages every user shares: the start page, the language switch and the health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from lms.core.access import login_required, public
from lms.core.i18n import SESSION_KEY, is_supported
from lms.core.web import safe_next
from lms.extensions import db

bp = Blueprint("core", __name__, template_folder="templates")


@bp.get("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    return redirect(url_for("people.login"))


@bp.get("/home")
@login_required
def home():
    return render_template("core/home.html")


@bp.post("/language")
@public
def set_language():
    """Remember the chosen interface language in this browser (and on the account, if logged in)."""
    locale = request.form.get("locale", "")
    if is_supported(locale):
        session[SESSION_KEY] = locale
        if current_user.is_authenticated:
            from lms.people.services import set_locale

            set_locale(current_user, locale)
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("core.index"))


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except sa.exc.SQLAlchemyError:
        current_app.logger.exception("Health check: database unreachable")
        database = "unavailable"
    healthy = database == "ok"
    body = {"status": "ok" if healthy else "degraded", "database": database}
    return body, 200 if healthy else 503
