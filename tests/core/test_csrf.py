"""CSRF protection with the real tokens: a forged post is refused and changes nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lms import create_app
from lms.extensions import db as _db
from lms.people.models import Learner
from tests.conftest import TEST_CONFIG, IsolatedClient, log_in
from tests.factories import PASSWORD, make_user


@pytest.fixture()
def csrf_client(app, db):
    """A second app on the same database with CSRF switched on, as in production."""
    strict = create_app(
        {
            **TEST_CONFIG,
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        }
    )
    strict.test_client_class = IsolatedClient
    with strict.app_context():
        yield strict.test_client()
        _db.session.remove()
        _db.engine.dispose()


def _token(page: bytes) -> str:
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()


def test_post_without_token_is_refused_and_saves_nothing(csrf_client, db):
    coordinator = make_user()
    db.commit()
    log_in(csrf_client, coordinator)
    response = csrf_client.post("/learners/new", data={"given_name": "Forged"})
    assert response.status_code == 400
    assert b"This form has expired or was not sent from this site." in response.data
    assert db.scalar(sa.select(sa.func.count()).select_from(Learner)) == 0


def test_post_with_a_wrong_token_is_refused(csrf_client, db):
    coordinator = make_user()
    db.commit()
    log_in(csrf_client, coordinator)
    response = csrf_client.post("/learners/new", data={"given_name": "Forged", "csrf_token": "not-a-token"})
    assert response.status_code == 400
    assert db.scalar(sa.select(sa.func.count()).select_from(Learner)) == 0


def test_real_form_with_its_token_saves(csrf_client, db):
    coordinator = make_user()
    db.commit()
    log_in(csrf_client, coordinator)
    token = _token(csrf_client.get("/learners/new").data)
    response = csrf_client.post("/learners/new", data={"given_name": "Amina", "csrf_token": token})
    assert response.status_code == 302
    assert db.scalar(sa.select(Learner.given_name)) == "Amina"


def test_login_form_needs_its_token(csrf_client, db):
    make_user(email="tutor@example.org")
    db.commit()
    refused = csrf_client.post("/login", data={"email": "tutor@example.org", "password": PASSWORD})
    assert refused.status_code == 400
    token = _token(csrf_client.get("/login").data)
    accepted = csrf_client.post(
        "/login", data={"email": "tutor@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert accepted.status_code == 302


def test_logout_without_token_keeps_the_user_logged_in(csrf_client, db):
    coordinator = make_user()
    db.commit()
    log_in(csrf_client, coordinator)
    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.get("/home").status_code == 200
