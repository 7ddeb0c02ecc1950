"""Starting for real: `lms init` and the setup page make the first organisation and administrator on
an empty database, once; afterwards both refuse and change nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lms.core.audit import AuditEvent
from lms.core.roles import Role
from lms.core.tokens import token_hash
from lms.extensions import db as _db
from lms.people.models import Organisation, SetupToken, User
from tests.core.test_csrf import _token, csrf_client  # noqa: F401 - the fixture, with CSRF switched on
from tests.factories import make_organisation

SETUP = {
    "organisation_name": "Glasgow Welcome Hub",
    "kind": "provider",
    "timezone": "Europe/London",
    "holiday_region": "SCT",
    "admin_name": "Morag Campbell",
    "admin_email": "Morag@Example.org",
    "password": "a long enough password",
    "password_again": "a long enough password",
}


def init(app, *args: str, input: str | None = None):  # noqa: A002
    """Run `lms init` as a new process would: the test's own reads are finished first (the command runs
    in the test's app context, so it shares its session)."""
    _db.session.commit()
    return app.test_cli_runner().invoke(args=["init", *args], input=input)


def printed_token(output: str) -> str:
    return re.search(r"/setup\?token=(\S+)", output).group(1)


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(sa.select(sa.func.count()).select_from(model))


def test_init_prints_a_one_time_link_and_keeps_only_its_hash(app, db):
    result = init(app, "--base-url", "https://pathways.example.org/")
    assert result.exit_code == 0, result.output
    assert "https://pathways.example.org/setup?token=" in result.output
    token = printed_token(result.output)
    stored = db.scalars(sa.select(SetupToken)).all()
    assert [row.token_hash for row in stored] == [token_hash(token)]
    assert stored[0].used_dt is None
    assert (stored[0].expires_dt - stored[0].created_dt).total_seconds() == 24 * 3600
    assert count(db, Organisation) == 0


def test_the_setup_page_takes_the_code_once_then_creates_the_organisation_and_logs_the_admin_in(app, client, db):
    token = printed_token(init(app).output)
    arrived = client.get(f"/setup?token={token}")
    assert arrived.status_code == 302
    assert arrived.headers["Location"].endswith("/setup")  # a clean URL: the code is in the session now
    page = client.get("/setup")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Set up Pathways" in html
    assert token not in html and 'name="token"' not in html  # not asked for again, not shown

    response = client.post("/setup", data=SETUP)
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    organisation = db.scalar(sa.select(Organisation))
    assert (organisation.name, organisation.kind.value, organisation.holiday_region) == (
        "Glasgow Welcome Hub",
        "provider",
        "SCT",
    )
    admin = db.scalar(sa.select(User))
    assert admin.email == "morag@example.org" and admin.roles == {Role.ADMIN}
    assert admin.organisation_id == organisation.id and admin.last_login_dt is not None
    assert db.scalar(sa.select(SetupToken.used_dt)) is not None
    assert "setup.complete" in db.scalars(sa.select(AuditEvent.action)).all()
    assert client.get("/home").status_code == 200  # logged in
    assert client.get("/users").status_code == 200  # as an administrator

    # Once an organisation exists, the page is gone and the code cannot be used again.
    assert client.get("/setup").status_code == 404
    assert client.get(f"/setup?token={token}").status_code == 404
    assert client.post("/setup", data={**SETUP, "token": token, "organisation_name": "Second"}).status_code == 404
    assert count(db, Organisation) == 1


def test_init_on_a_set_up_database_says_so_and_changes_nothing(app, db):
    make_organisation(name="Already here")
    db.commit()
    result = init(app)
    assert result.exit_code != 0
    assert "already set up" in result.output
    result = init(app, "--organisation", "Another", "--admin-name", "X", "--admin-email", "x@example.org")
    assert result.exit_code != 0 and "already set up" in result.output
    assert count(db, SetupToken) == 0
    assert count(db, Organisation) == 1 and count(db, User) == 0


def test_setup_on_a_set_up_database_is_404(client, db):
    make_organisation()
    db.commit()
    assert client.get("/setup").status_code == 404
    assert client.get("/setup?token=anything").status_code == 404
    assert client.post("/setup", data={**SETUP, "token": "anything"}).status_code == 404
    assert count(db, User) == 0


def test_without_the_code_the_page_asks_for_it_and_a_wrong_one_is_refused_keeping_what_was_typed(app, client, db):
    init(app)
    page = client.get("/setup").get_data(as_text=True)
    assert 'name="token"' in page  # no code came with the link: ask for it
    response = client.post("/setup", data={**SETUP, "token": "not-the-code"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This setup code has expired or was already used" in html
    assert 'value="Glasgow Welcome Hub"' in html and 'value="Morag Campbell"' in html
    assert count(db, Organisation) == 0 and count(db, User) == 0


def test_a_typed_code_works(app, client, db):
    token = printed_token(init(app).output)
    assert client.post("/setup", data={**SETUP, "token": token}).status_code == 302
    assert count(db, Organisation) == 1


def test_an_expired_code_is_refused(app, client, db, frozen_clock):
    token = printed_token(init(app).output)
    frozen_clock.advance(hours=25)
    client.get(f"/setup?token={token}")
    page = client.get("/setup").get_data(as_text=True)
    assert "This setup code has expired or was already used" in page and 'name="token"' in page
    response = client.post("/setup", data=SETUP)
    assert "This setup code has expired or was already used" in response.get_data(as_text=True)
    assert count(db, Organisation) == 0


def test_a_new_code_ends_the_earlier_one(app, client, db):
    first = printed_token(init(app).output)
    second = printed_token(init(app).output)
    refused = client.post("/setup", data={**SETUP, "token": first})
    assert "This setup code has expired or was already used" in refused.get_data(as_text=True)
    assert count(db, Organisation) == 0
    assert client.post("/setup", data={**SETUP, "token": second}).status_code == 302


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password": "short", "password_again": "short"}, "Use a password of at least 10 characters."),
        ({"password_again": "something else entirely"}, "The two passwords are not the same."),
        ({"admin_email": "not an address"}, "Enter an e-mail address like name@example.org."),
        ({"timezone": "Mars/Olympus"}, "Choose a time zone such as Europe/London."),
        ({"holiday_region": "XXX"}, "Not a valid choice."),
        ({"organisation_name": ""}, "This field is required."),
    ],
)
def test_bad_details_are_refused_with_the_code_kept_for_another_try(app, client, db, change, message):
    token = printed_token(init(app).output)
    client.get(f"/setup?token={token}")
    response = client.post("/setup", data={**SETUP, **change})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert 'value="Morag Campbell"' in html  # what was typed stays
    assert count(db, Organisation) == 0 and count(db, User) == 0
    assert db.scalar(sa.select(SetupToken.used_dt)) is None
    assert client.post("/setup", data=SETUP).status_code == 302  # the code still works


def test_the_setup_form_needs_its_csrf_token(app, csrf_client, db):  # noqa: F811
    token = printed_token(init(app).output)
    csrf_client.get(f"/setup?token={token}")
    assert csrf_client.post("/setup", data=SETUP).status_code == 400
    assert count(db, Organisation) == 0
    form_token = _token(csrf_client.get("/setup").data)
    assert csrf_client.post("/setup", data={**SETUP, "csrf_token": form_token}).status_code == 302
    assert count(db, Organisation) == 1


def test_init_in_the_shell_alone_asks_for_the_password(app, client, db):
    result = init(
        app,
        "--organisation",
        "Leeds Refugee Forum",
        "--admin-name",
        "Sam Okafor",
        "--admin-email",
        "sam@example.org",
        "--holiday-region",
        "ENG",
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Log in at http://127.0.0.1:5000/login as sam@example.org" in result.output
    admin = db.scalar(sa.select(User))
    assert admin.organisation.name == "Leeds Refugee Forum" and admin.is_admin
    login = client.post("/login", data={"email": "sam@example.org", "password": "a long enough password"})
    assert login.status_code == 302
    assert count(db, SetupToken) == 0
    assert "already set up" in init(app).output


def test_init_in_the_shell_refuses_a_short_password_and_creates_nothing(app, db):
    result = init(
        app,
        "--organisation",
        "Leeds Refugee Forum",
        "--admin-name",
        "Sam Okafor",
        "--admin-email",
        "sam@example.org",
        input="short\nshort\n",
    )
    assert result.exit_code != 0
    assert "Use a password of at least 10 characters." in result.output
    assert count(db, Organisation) == 0 and count(db, User) == 0
