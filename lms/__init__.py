"""Pathways: course and learning-pathway management for integration and employability programmes."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from lms.config import default_config
from lms.extensions import babel, csrf, db, login_manager, migrate

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(default_config(app.instance_path))
    app.config.from_prefixed_env("LMS")
    if config:
        app.config.update(config)
        if "SECRET_KEY" in config:
            app.config["SECRET_KEY_IS_EPHEMERAL"] = False
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)
    if app.config.get("SECRET_KEY_IS_EPHEMERAL") and not app.testing:
        log.warning("SECRET_KEY is not set: a random key is used and logins end when the app restarts.")

    _init_extensions(app)
    _register_blueprints(app)

    from lms.core import web

    web.init_app(app)

    from lms.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from lms.core.db import configure_engine
    from lms.core.i18n import select_locale

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)

    # Import every area's models so metadata (and Alembic) see all tables.
    import lms.models  # noqa: F401
    from lms.assessments.facts import add_achievements
    from lms.courses.facts import register_provider

    # Higher areas tell the curriculum what learners have achieved (it cannot import them).
    register_provider(add_achievements)


def _register_blueprints(app: Flask) -> None:
    from lms.api.core import IdConverter
    from lms.api.core import v1 as api_v1_bp
    from lms.api.views import bp as api_bp
    from lms.assessments.attendance_views import bp as attendance_bp
    from lms.assessments.progression_views import bp as progression_bp
    from lms.assessments.views import bp as assessments_bp
    from lms.core.views import bp as core_bp
    from lms.courses.views import bp as courses_bp
    from lms.messaging.views import bp as messaging_bp
    from lms.people.views import bp as people_bp
    from lms.reports.views import bp as reports_bp
    from lms.scheduling.feed_views import bp as calendar_bp
    from lms.scheduling.timetable_views import bp as timetable_bp
    from lms.scheduling.views import bp as scheduling_bp

    app.url_map.converters["id"] = IdConverter
    for blueprint in (
        core_bp,
        people_bp,
        courses_bp,
        scheduling_bp,
        timetable_bp,
        calendar_bp,
        assessments_bp,
        attendance_bp,
        progression_bp,
        reports_bp,
        messaging_bp,
        api_bp,
        api_v1_bp,
    ):
        app.register_blueprint(blueprint)
