"""Every route declares who may use it; the public ones are exactly those we mean to be public."""

from __future__ import annotations

import re

from lms.core.access import declared_access

#: Routes anyone may use without logging in. Adding one here is a deliberate, reviewed decision.
PUBLIC_ENDPOINTS = {
    "core.index",
    "core.healthz",
    "people.set_language",
    "people.login",
    "people.login_phone",
    "people.login_link",
    "people.password_link",  # an invited or locked-out person sets a password: the one-time link is the key
    "people.setup",  # the first run, on an empty database only (404 after), with the code lms init printed
    "calendar.feed",  # calendar apps cannot log in: the secret token in the URL is the key
    "progression.verify",  # employers and colleges check a certificate by its code
    "progression.verify_code",
    "api.docs",  # the API's documentation and description are for anyone building an integration
    "api_v1.openapi",
    "api_v1.verify_certificate",  # the same public verification, as JSON
}


def test_every_route_declares_its_access(app):
    undeclared = []
    public = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        access = declared_access(app.view_functions[rule.endpoint])
        if access is None:
            undeclared.append(f"{rule.endpoint} ({rule.rule})")
        elif access == "public":
            public.add(rule.endpoint)
    assert undeclared == [], "routes with no access declaration: " + ", ".join(undeclared)
    assert public == PUBLIC_ENDPOINTS


def test_every_non_public_route_turns_anonymous_users_away(app, client):
    """Walk every route with made-up ids: an anonymous request never gets a page."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint == "static":
            continue
        path = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", rule.rule)  # the first choice of an any()
        path = re.sub(r"<(?:int|id):[^>]+>", "1", path)
        path = re.sub(r"<[^>]+>", "x", path)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method)
            if rule.rule.startswith("/api/"):  # API clients get problem details, not a login page
                assert response.status_code == 401, f"{method} {path} gave {response.status_code}"
                continue
            assert response.status_code == 302, f"{method} {path} gave {response.status_code}"
            assert "/login" in response.headers["Location"]
