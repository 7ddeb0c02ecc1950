"""Logging in and out: passwords, phone and PIN, one-time links, throttling, session rotation."""

from __future__ import annotations

import sqlalchemy as sa

from lms.core.roles import Role
from lms.core.web import AUTH_SESSION_KEY
from lms.people import services
from lms.people.models import AuthSession, LoginThrottle
from tests.factories import PASSWORD, make_learner, make_user


def _login(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def test_good_password_logs_in_and_redirects_home(client, db):
    user = make_user(email="tutor@example.org")
    db.commit()
    response = _login(client, "Tutor@Example.org ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")
    assert client.get("/home").status_code == 200
    assert db.scalar(sa.select(sa.func.count()).select_from(AuthSession).where(AuthSession.user_id == user.id)) == 1


def test_wrong_password_and_unknown_account_give_the_same_message(client, db):
    make_user(email="tutor@example.org")
    db.commit()
    wrong = _login(client, "tutor@example.org", "not the password")
    unknown = _login(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = b"That e-mail address and password do not match."
    assert message in wrong.data and message in unknown.data
    assert client.get("/home").status_code == 302  # still logged out


def test_throttle_blocks_even_the_right_password_after_five_failures(client, db):
    make_user(email="tutor@example.org")
    db.commit()
    for _ in range(5):
        assert _login(client, "tutor@example.org", "guess").status_code == 401
    response = _login(client, "tutor@example.org", PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed attempts" in response.data
    assert client.get("/home").status_code == 302


def test_throttle_window_passes_and_success_clears_the_account_count(client, db, frozen_clock):
    make_user(email="tutor@example.org")
    db.commit()
    for _ in range(5):
        _login(client, "tutor@example.org", "guess")
    frozen_clock.advance(minutes=16)
    assert _login(client, "tutor@example.org", PASSWORD).status_code == 302
    account_key = services._throttle_keys("tutor@example.org", None)[0]
    assert db.get(LoginThrottle, account_key) is None


def test_throttle_counts_per_address_across_accounts(client, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_ADDRESS_LIMIT", 8)
    make_user(email="a@example.org")
    make_user(email="b@example.org")
    db.commit()
    for n in range(5):
        _login(client, f"guess{n}@example.org", "guess")
    assert _login(client, "a@example.org", PASSWORD).status_code == 302  # below the address limit
    client.post("/logout")
    for n in range(5, 13):
        _login(client, f"guess{n}@example.org", "guess")
    assert _login(client, "b@example.org", PASSWORD).status_code == 429


def test_inactive_user_cannot_log_in(client, db):
    user = make_user(email="left@example.org")
    user.is_active = False
    db.commit()
    assert _login(client, "left@example.org", PASSWORD).status_code == 401


def test_learner_logs_in_with_phone_and_pin(client, db):
    learner = make_learner(phone="07700 900123")
    coordinator = make_user(organisation=learner.organisation)
    services.create_learner_login(learner, "4826", coordinator)
    db.commit()
    bad = client.post("/login/phone", data={"phone": "07700900123", "pin": "1111"})
    assert bad.status_code == 401
    assert b"That phone number and PIN do not match." in bad.data
    good = client.post("/login/phone", data={"phone": "+44 7700 900123", "pin": "4826"})
    assert good.status_code == 302
    assert client.get("/home").status_code == 200


def test_one_time_link_survives_a_preview_and_works_once(client, db):
    learner = make_learner(phone="07700 900124")
    coordinator = make_user(organisation=learner.organisation)
    user = services.create_learner_login(learner, "4826", coordinator)
    token = services.create_login_link(user, coordinator)
    db.commit()
    # An SMS app fetching a preview (GET) must not use up the link.
    assert client.get(f"/login/link/{token}").status_code == 200
    assert client.post(f"/login/link/{token}").status_code == 302
    assert client.get("/home").status_code == 200
    client.post("/logout")
    again = client.post(f"/login/link/{token}")
    assert again.status_code == 410
    assert b"expired or was already used" in again.data


def test_expired_link_is_refused(client, db, frozen_clock):
    learner = make_learner(phone="07700 900125")
    coordinator = make_user(organisation=learner.organisation)
    user = services.create_learner_login(learner, "4826", coordinator)
    token = services.create_login_link(user, coordinator)
    db.commit()
    frozen_clock.advance(hours=25)
    assert client.post(f"/login/link/{token}").status_code == 410
    assert client.get("/home").status_code == 302


def test_logout_really_ends_the_session_even_for_a_copied_cookie(client, db, app):
    make_user(email="tutor@example.org")
    db.commit()
    _login(client, "tutor@example.org", PASSWORD)
    stolen = client.get_cookie("session", domain="pathways.test").value
    assert client.post("/logout").status_code == 302
    assert db.scalar(sa.select(sa.func.count()).select_from(AuthSession)) == 0
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="pathways.test")
    response = thief.get("/home")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_rotates_the_session(client, db):
    make_user(email="tutor@example.org")
    db.commit()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session[AUTH_SESSION_KEY] = "planted-token"
    _login(client, "tutor@example.org", PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        first_token = session[AUTH_SESSION_KEY]
        assert first_token != "planted-token"
    client.post("/logout")
    _login(client, "tutor@example.org", PASSWORD)
    with client.session_transaction() as session:
        assert session[AUTH_SESSION_KEY] != first_token


def test_expired_server_session_logs_out(client, db, frozen_clock, login_as):
    login_as(Role.COORDINATOR)
    assert client.get("/home").status_code == 200
    frozen_clock.advance(days=8)  # the fixture's session lasts a week
    assert client.get("/home").status_code == 302


def test_password_change_ends_other_sessions(client, db, app):
    make_user(email="tutor@example.org")
    db.commit()
    other = app.test_client()
    _login(other, "tutor@example.org", PASSWORD)
    _login(client, "tutor@example.org", PASSWORD)
    response = client.post(
        "/account",
        data={"password-current_password": PASSWORD, "password-new_password": "a much longer secret"},
    )
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    assert other.get("/home").status_code == 302
    client.post("/logout")
    assert _login(client, "tutor@example.org", "a much longer secret").status_code == 302


def test_short_new_password_is_refused_and_old_one_still_works(client, db):
    make_user(email="tutor@example.org")
    db.commit()
    _login(client, "tutor@example.org", PASSWORD)
    response = client.post("/account", data={"password-current_password": PASSWORD, "password-new_password": "short"})
    assert response.status_code == 200
    assert b"at least 10 characters" in response.data
    client.post("/logout")
    assert _login(client, "tutor@example.org", PASSWORD).status_code == 302


def test_next_parameter_cannot_leave_the_site(client, db):
    make_user(email="tutor@example.org")
    db.commit()
    hostile = ("https://evil.example/", "//evil.example/", "/\\evil.example", "%2F%09%2Fevil.example", "%2F%0A%2Fx")
    hostile += ("%2F%0D%2Fevil.example", "/%5C/evil.example", "javascript:alert(1)", "///evil.example")
    for target in hostile:
        client.post("/logout")
        response = client.post("/login?next=" + target, data={"email": "tutor@example.org", "password": PASSWORD})
        assert response.status_code == 302, target
        assert response.headers["Location"].endswith("/home"), target


def test_next_parameter_keeps_a_path_on_the_site(client, db):
    make_user(email="tutor@example.org")
    db.commit()
    response = client.post(
        "/login?next=%2Fcohorts%3Fstatus%3Dopen", data={"email": "tutor@example.org", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/cohorts?status=open"


def test_phone_login_shares_the_redirect_check(client, db):
    learner = make_learner(phone="07700 900123")
    services.create_learner_login(learner, "4826", make_user(organisation=learner.organisation))
    db.commit()
    response = client.post("/login/phone?next=%2F%09%2Fevil.example", data={"phone": "07700900123", "pin": "4826"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")


def test_logout_is_post_only(client, login_as):
    login_as(Role.EDUCATOR)
    assert client.get("/logout").status_code == 405
    assert client.get("/home").status_code == 200
