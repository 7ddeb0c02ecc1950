"""Pathways: course and learning-pathway management for integration and employability programmes."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.config import default_config
from lms.extensions import babel, csrf, db, login_manager, migrate

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

#: The areas, from the floor up: an area imports only the areas before it, inside functions too
#: (tests/test_layers.py). docs/architecture.md draws them.
AREAS: tuple[str, ...] = (
    "core",
    "people",
    "messaging",
    "courses",
    "scheduling",
    "calendar",
    "assessments",
    "reports",
    "jobs",
    "api",
    "demo",
)

#: The packages that may hold `models.py` and `views.py` (with a blueprint `bp`): each area, and the
#: sub-packages of the large ones, which have the same shape.
AREA_PACKAGES: tuple[str, ...] = (
    "core",
    "people",
    "messaging",
    "courses",
    "scheduling",
    "scheduling.cohorts",
    "scheduling.timetable",
    "calendar",
    "assessments.attendance",
    "assessments.progression",
    "reports",
    "jobs",
    "api",
    "demo",
)


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
    _check_secret_key(app)
    _trust_proxies(app)

    _init_extensions(app)
    _register_blueprints(app)

    from lms.core import web

    web.init_app(app)

    from lms.cli import register_commands

    register_commands(app)
    return app


class ConfigurationError(RuntimeError):
    """The app is not configured well enough to serve anyone."""


def _check_secret_key(app: Flask) -> None:
    """Refuse to serve without a SECRET_KEY: each gunicorn worker would make its own random key, so
    logins, CSRF tokens and check-in codes made by one worker would fail in another.

    The development server and the other `lms` commands (`ALLOW_EPHEMERAL_SECRET_KEY`, set by
    lms/cli.py) and the tests keep a random key, with a warning.
    """
    if not app.config.get("SECRET_KEY_IS_EPHEMERAL") or app.testing:
        return
    if not app.config.get("ALLOW_EPHEMERAL_SECRET_KEY"):
        raise ConfigurationError(
            "SECRET_KEY is not set. Set it to a long random value shared by every worker, for example "
            "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))'), and start again."
        )
    log.warning("SECRET_KEY is not set: a random key is used and logins end when the app restarts.")


def _trust_proxies(app: Flask) -> None:
    """Believe the X-Forwarded-For and X-Forwarded-Proto headers of the TRUSTED_PROXIES reverse proxies in
    front of the app, and no others: `request.remote_addr` is then the client's address (the login
    throttle counts by it) and `request.scheme` the one the client used. With none trusted (the
    default) the headers are ignored, since anyone can send them. The Host header is not taken from
    X-Forwarded-Host: the proxy passes Host on as it is (`proxy_set_header Host $host`)."""
    count = app.config["TRUSTED_PROXIES"]
    if isinstance(count, str) and count.strip().isdigit():
        count = int(count)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ConfigurationError(
            f"TRUSTED_PROXIES is {count!r}: give the number of reverse proxies in front of the app (0 for none)."
        )
    app.config["TRUSTED_PROXIES"] = count
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def _init_extensions(app: Flask) -> None:
    from lms.core.db import configure_engine
    from lms.core.i18n import install_template_gettext, select_locale

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    for package in AREA_PACKAGES:  # every area's models, so metadata (and Alembic) see all tables
        _import_if_present(f"lms.{package}.models")
    from lms.api.tokens import revoke_tokens_of_deactivated
    from lms.assessments.attendance.services import refresh_cohort_summaries
    from lms.assessments.facts import add_achievements
    from lms.calendar.feeds import revoke_feeds_of_deactivated
    from lms.courses.facts import register_provider
    from lms.messaging.people import send_account_link
    from lms.people.access import register_teaching_rule
    from lms.people.hooks import count_taught_hours_with, on_user_deactivated, set_link_sender
    from lms.scheduling.access import learners_taught_by, teaches_learner
    from lms.scheduling.hooks import on_sessions_changed
    from lms.scheduling.queries import hours_taught

    # Higher areas tell the curriculum what learners have achieved (it cannot import them), and hear
    # from scheduling when sessions change (attendance summaries count only sessions that run).
    register_provider(add_achievements)
    on_sessions_changed(refresh_cohort_summaries)
    # Scheduling tells people who teaches a learner: educators open the records of their rosters.
    register_teaching_rule(teaches_learner, learners_taught_by)
    # A deactivated account's API tokens and calendar feed links end with it; invitation and reset
    # links go out by e-mail through the outbox when mail is configured.
    on_user_deactivated(revoke_tokens_of_deactivated)
    on_user_deactivated(revoke_feeds_of_deactivated)
    set_link_sender(send_account_link)
    # Educators' profiles (people) show the hours they taught, which scheduling keeps.
    count_taught_hours_with(hours_taught)


def _register_blueprints(app: Flask) -> None:
    from lms.api.core import IdConverter
    from lms.api.core import v1 as api_v1

    app.url_map.converters["id"] = IdConverter
    for package in AREA_PACKAGES:  # each area's pages are one blueprint, `bp` in its views
        views = _import_if_present(f"lms.{package}.views")
        if views is not None:
            app.register_blueprint(views.bp)
    app.register_blueprint(api_v1)  # the JSON API's own blueprint, under /api/v1


def _import_if_present(name: str) -> ModuleType | None:
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)
