"""Health check, security headers, error pages, request size limit."""

from __future__ import annotations

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
