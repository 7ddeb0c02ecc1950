"""Health check, security headers, error pages, request size limit, refusing to serve without a secret key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lms.core.roles import Role


def test_healthz_reports_database_status(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_security_headers_on_every_page(client, db):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_page_is_a_friendly_404(client, db):
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_oversized_request_is_refused(client, db, app, login_as):
    login_as(Role.COORDINATOR)
    response = client.post("/learners/new", data={"given_name": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)})
    assert response.status_code == 413


def test_role_without_permission_gets_a_translated_403(client, db, login_as):
    login_as(Role.LEARNER, phone="07700 900888")
    response = client.get("/users", headers={"Accept-Language": "ar"})
    assert response.status_code == 403
    assert 'dir="rtl"' in response.get_data(as_text=True)


def test_the_home_page_offers_each_role_its_own_links(client, db, login_as):
    login_as(Role.EDUCATOR)
    page = client.get("/home").get_data(as_text=True)
    assert "/learners" not in page and "/account" in page


def _env_without_secret(tmp_path) -> dict:  # noqa: ANN001
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "LMS_SECRET_KEY")}
    return env | {"DATABASE_URL": f"sqlite:///{tmp_path}/app.sqlite3"}


@pytest.mark.slow
def test_a_web_server_without_a_secret_key_refuses_to_start(tmp_path):
    """Under gunicorn each worker would make its own random key and logins would fail between them."""
    started = subprocess.run(
        [sys.executable, "-c", "from lms import create_app; create_app()"],
        env=_env_without_secret(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "SECRET_KEY is not set" in started.stderr


@pytest.mark.slow
def test_the_lms_command_keeps_its_fallback_and_a_set_key_serves(tmp_path):
    lms_command = Path(sys.executable).parent / "lms"
    routes = subprocess.run(
        [str(lms_command), "routes"], env=_env_without_secret(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert routes.returncode == 0, routes.stderr
    assert "/login" in routes.stdout
    served = subprocess.run(
        [sys.executable, "-c", "from lms import create_app; create_app()"],
        env=_env_without_secret(tmp_path) | {"SECRET_KEY": "a-long-random-shared-value"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode == 0, served.stderr
