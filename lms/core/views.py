"""Pages every user shares: the start page, the home page and the health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from lms.core.access import login_required, public
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
