"""Looking after accounts: the list, editing, deactivation (cookie, token and feed stop at once),
invitations and password resets by one-time link, and who may do what."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lms.api.models import ApiToken, TokenScope
from lms.api.tokens import create_token
from lms.calendar import feeds
from lms.calendar.models import CalendarFeed, FeedKind
from lms.core.audit import AuditEvent
from lms.core.roles import Role
from lms.messaging.models import OutboxMessage
from lms.people import services
from lms.people.models import AuthSession, LinkPurpose, LoginLink, User
from tests.conftest import log_in
from tests.core.test_csrf import _token, csrf_client  # noqa: F401 - the fixture, with CSRF switched on
from tests.factories import PASSWORD, make_organisation, make_user


def actions(db) -> list[str]:
    db.expire_all()
    return db.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()


def fresh(db, user: User) -> User:
    db.expire_all()
    return db.get(User, user.id)


def link_in(html: str) -> str:
    return re.search(r"http://pathways\.test/password/([A-Za-z0-9_-]+)", html).group(1)


@pytest.fixture()
def coordinator(login_as):
    return login_as(Role.COORDINATOR, display_name="Cora Ordinator")


# --- the list ------------------------------------------------------------------------------------


def test_the_list_searches_by_name_email_and_phone_and_filters_by_role_and_status(client, db, coordinator):
    organisation = coordinator.organisation
    make_user(organisation=organisation, display_name="Huda Tutor", roles=[Role.EDUCATOR], phone="07700 900123")
    make_user(organisation=organisation, display_name="Imran Volunteer", roles=[Role.EDUCATOR], email="imran@x.org")
    leaver = make_user(organisation=organisation, display_name="Lee Leaver", roles=[Role.EDUCATOR])
    leaver.is_active = False
    make_user(display_name="Other Organisation Person")
    db.commit()

    def names(query: str = "") -> set[str]:
        html = client.get("/users" + query).get_data(as_text=True)
        return set(re.findall(r"<bdi>([^<]+)</bdi></a>", html))

    assert names() == {"Cora Ordinator", "Huda Tutor", "Imran Volunteer"}  # active, own organisation
    assert names("?q=huda") == {"Huda Tutor"}
    assert names("?q=imran%40x") == {"Imran Volunteer"}
    assert names("?q=07700+900123") == {"Huda Tutor"}  # as typed, stored +447700900123
    assert names("?role=coordinator") == {"Cora Ordinator"}
    assert names("?status=inactive") == {"Lee Leaver"}
    assert names("?status=all&role=educator") == {"Huda Tutor", "Imran Volunteer", "Lee Leaver"}
    assert names("?status=nonsense&role=nonsense") == {"Cora Ordinator", "Huda Tutor", "Imran Volunteer"}
    assert names("?organisation=all") == {"Cora Ordinator", "Huda Tutor", "Imran Volunteer"}  # not for coordinators


def test_the_list_comes_in_pages_and_shows_last_login(client, db, coordinator):
    for n in range(55):
        make_user(organisation=coordinator.organisation, display_name=f"Person {n:02d}", roles=[Role.EDUCATOR])
    db.commit()
    first = client.get("/users?role=educator").get_data(as_text=True)
    assert first.count("Person ") == 50 and "Next" in first and "Never" in first
    second = client.get("/users?role=educator&page=2").get_data(as_text=True)
    assert second.count("Person ") == 5 and "Previous" in second
    assert coordinator.display_name not in second


def test_an_admin_lists_any_organisation(client, db, login_as):
    admin = login_as(Role.ADMIN, display_name="Ada Admin")
    elsewhere = make_organisation(name="Elsewhere")
    make_user(organisation=elsewhere, display_name="Far Away", roles=[Role.COORDINATOR])
    db.commit()
    assert "Far Away" not in client.get("/users").get_data(as_text=True)
    assert "Far Away" in client.get(f"/users?organisation={elsewhere.id}").get_data(as_text=True)
    everyone = client.get("/users?organisation=all").get_data(as_text=True)
    assert "Far Away" in everyone and admin.display_name in everyone


def test_educators_and_learners_cannot_manage_accounts(client, db, login_as):
    login_as(Role.EDUCATOR)
    other = make_user(roles=[Role.EDUCATOR])
    db.commit()
    assert client.get("/users").status_code == 403
    assert client.get(f"/users/{other.id}").status_code == 403
    assert client.post(f"/users/{other.id}/deactivate").status_code == 403
    assert client.post(f"/users/{other.id}/edit", data={"display_name": "Hacked"}).status_code == 403
    assert client.post(f"/users/{other.id}/password-link").status_code == 403
    assert fresh(db, other).is_active and fresh(db, other).display_name != "Hacked"


def test_the_user_page_shows_last_login(client, db, coordinator):
    tutor = make_user(organisation=coordinator.organisation, display_name="Huda Tutor", roles=[Role.EDUCATOR])
    db.commit()
    assert "Never" in client.get(f"/users/{tutor.id}").get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    client.post("/login", data={"email": tutor.email, "password": PASSWORD})
    log_in(client, coordinator)
    page = client.get(f"/users/{tutor.id}").get_data(as_text=True)
    assert "Last login" in page and "Never" not in page


def test_coordinators_do_not_see_other_organisations_accounts(client, db, coordinator):
    stranger = make_user(roles=[Role.EDUCATOR])
    db.commit()
    assert client.get(f"/users/{stranger.id}").status_code == 404
    assert client.post(f"/users/{stranger.id}/deactivate").status_code == 404
    assert fresh(db, stranger).is_active


# --- editing -------------------------------------------------------------------------------------


def edit_data(user: User, **changes) -> dict:
    data = {
        "display_name": user.display_name,
        "email": user.email or "",
        "phone": user.phone or "",
        "roles": [role.value for role in user.roles],
    }
    data.update(changes)
    return data


def test_a_coordinator_edits_names_contact_and_roles(client, db, coordinator):
    tutor = make_user(organisation=coordinator.organisation, display_name="Huda", roles=[Role.EDUCATOR])
    db.commit()
    form = client.get(f"/users/{tutor.id}/edit").get_data(as_text=True)
    assert 'value="Huda"' in form and 'name="organisation_id"' not in form and 'value="admin"' not in form
    response = client.post(
        f"/users/{tutor.id}/edit",
        data=edit_data(
            tutor,
            display_name="Huda Ali",
            email="huda@example.org",
            phone="07700 900555",
            roles=["educator", "coordinator"],
        ),
    )
    assert response.status_code == 302
    tutor = fresh(db, tutor)
    assert (tutor.display_name, tutor.email, tutor.phone) == ("Huda Ali", "huda@example.org", "+447700900555")
    assert tutor.roles == {Role.EDUCATOR, Role.COORDINATOR}
    event = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.update")).one()
    assert event.actor_id == coordinator.id and event.subject_id == tutor.id
    assert event.detail["roles_added"] == ["coordinator"] and "email" in event.detail["fields"]


def test_a_duplicate_email_is_refused_keeping_what_was_typed(client, db, coordinator):
    make_user(organisation=coordinator.organisation, email="taken@example.org")
    tutor = make_user(organisation=coordinator.organisation, display_name="Huda", roles=[Role.EDUCATOR])
    db.commit()
    response = client.post(
        f"/users/{tutor.id}/edit", data=edit_data(tutor, display_name="Huda Typed", email="Taken@example.org")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Someone already uses this e-mail address." in html
    assert 'value="Huda Typed"' in html and 'value="Taken@example.org"' in html
    assert fresh(db, tutor).display_name == "Huda" and "user.update" not in actions(db)


def test_no_roles_and_no_contact_are_refused(client, db, coordinator):
    tutor = make_user(organisation=coordinator.organisation, roles=[Role.EDUCATOR])
    db.commit()
    no_roles = client.post(f"/users/{tutor.id}/edit", data=edit_data(tutor, roles=[]))
    assert "Choose at least one role." in no_roles.get_data(as_text=True)
    no_contact = client.post(f"/users/{tutor.id}/edit", data=edit_data(tutor, email="", phone=""))
    assert "Give an e-mail address or a mobile number to log in with." in no_contact.get_data(as_text=True)
    assert fresh(db, tutor).roles == {Role.EDUCATOR}


def test_a_coordinator_cannot_grant_admin_or_touch_an_admin(client, db, coordinator):
    tutor = make_user(organisation=coordinator.organisation, roles=[Role.EDUCATOR])
    admin = make_user(organisation=coordinator.organisation, roles=[Role.ADMIN])
    db.commit()
    response = client.post(f"/users/{tutor.id}/edit", data=edit_data(tutor, roles=["educator", "admin"]))
    assert response.status_code == 200 and "is not a valid choice" in response.get_data(as_text=True)
    assert fresh(db, tutor).roles == {Role.EDUCATOR}
    assert client.get(f"/users/{admin.id}").status_code == 200  # seen in the list of the organisation
    assert "Deactivate" not in client.get(f"/users/{admin.id}").get_data(as_text=True)
    assert client.get(f"/users/{admin.id}/edit").status_code == 404
    assert client.post(f"/users/{admin.id}/deactivate").status_code == 404
    assert client.post(f"/users/{admin.id}/password-link").status_code == 404
    assert fresh(db, admin).is_active


def test_an_admin_moves_an_account_to_another_organisation_and_grants_admin(client, db, login_as):
    admin = login_as(Role.ADMIN)
    elsewhere = make_organisation(name="Elsewhere")
    tutor = make_user(organisation=admin.organisation, roles=[Role.EDUCATOR])
    db.commit()
    assert 'name="organisation_id"' in client.get(f"/users/{tutor.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/users/{tutor.id}/edit", data=edit_data(tutor, roles=["admin"], organisation_id=str(elsewhere.id))
    )
    assert response.status_code == 302
    tutor = fresh(db, tutor)
    assert tutor.organisation_id == elsewhere.id and tutor.roles == {Role.ADMIN}


def test_the_only_admin_cannot_demote_or_deactivate_themselves(client, db, login_as):
    admin = login_as(Role.ADMIN)
    db.commit()
    demoted = client.post(f"/users/{admin.id}/edit", data=edit_data(admin, roles=["coordinator"]))
    assert "This is the only active administrator." in demoted.get_data(as_text=True)
    assert fresh(db, admin).roles == {Role.ADMIN}
    response = client.post(f"/users/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert fresh(db, admin).is_active
    # With a second active administrator, stepping down is fine.
    make_user(organisation=admin.organisation, roles=[Role.ADMIN])
    db.commit()
    assert client.post(f"/users/{admin.id}/edit", data=edit_data(admin, roles=["coordinator"])).status_code == 302
    assert fresh(db, admin).roles == {Role.COORDINATOR}


def test_the_last_active_admin_cannot_be_deactivated_by_another(client, db, login_as):
    first = login_as(Role.ADMIN)
    second = make_user(organisation=first.organisation, roles=[Role.ADMIN])
    db.commit()
    assert client.post(f"/users/{second.id}/deactivate").status_code == 302
    assert not fresh(db, second).is_active
    # `first` is now the only one: another admin logging in cannot remove them either.
    third = make_user(organisation=first.organisation, roles=[Role.ADMIN])
    third.is_active = False
    db.commit()
    log_in(client, first)
    assert client.post(f"/users/{third.id}/edit", data=edit_data(third, roles=["coordinator"])).status_code == 302


# --- deactivating --------------------------------------------------------------------------------


def test_deactivation_stops_cookie_token_and_feed_at_once_and_keeps_history(app, client, db, coordinator):
    tutor = make_user(organisation=coordinator.organisation, display_name="Huda", roles=[Role.EDUCATOR])
    secret = create_token(tutor, "my scripts", TokenScope.READ)
    feed_token = feeds.issue_feed(FeedKind.USER, tutor.id, tutor)
    db.commit()
    tutor_client = app.test_client()
    log_in(tutor_client, tutor)
    headers = {"Authorization": f"Bearer {secret}"}
    assert tutor_client.get("/home").status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get(f"/feeds/{feed_token}.ics").status_code == 200

    response = client.post(f"/users/{tutor.id}/deactivate", follow_redirects=True)
    assert "Huda can no longer log in." in response.get_data(as_text=True)

    assert tutor_client.get("/home").status_code == 302  # the cookie is refused: back to the login page
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get(f"/feeds/{feed_token}.ics").status_code == 404
    assert tutor_client.post("/login", data={"email": tutor.email, "password": PASSWORD}).status_code == 401
    tutor = fresh(db, tutor)
    assert tutor is not None and not tutor.is_active  # kept, not deleted
    assert db.scalar(sa.select(sa.func.count()).select_from(AuthSession).where(AuthSession.user_id == tutor.id)) == 0
    assert db.scalar(sa.select(ApiToken.revoked_dt)) is not None
    assert db.scalar(sa.select(CalendarFeed.revoked_dt)) is not None
    assert {"user.deactivate", "api_token.revoked", "calendar.feed.revoke"} <= set(actions(db))
    assert "Deactivated" in client.get("/users?status=inactive").get_data(as_text=True)


def test_reactivation_lets_them_log_in_but_brings_no_old_secret_back(client, db, coordinator):
    tutor = make_user(organisation=coordinator.organisation, roles=[Role.EDUCATOR])
    secret = create_token(tutor, "my scripts", TokenScope.READ)
    feed_token = feeds.issue_feed(FeedKind.USER, tutor.id, tutor)
    db.commit()
    client.post(f"/users/{tutor.id}/deactivate")
    response = client.post(f"/users/{tutor.id}/reactivate", follow_redirects=True)
    assert "can log in again" in response.get_data(as_text=True)
    assert fresh(db, tutor).is_active and "user.reactivate" in actions(db)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert client.get(f"/feeds/{feed_token}.ics").status_code == 404
    client.post("/logout")
    assert client.post("/login", data={"email": tutor.email, "password": PASSWORD}).status_code == 302


def test_deactivating_twice_is_refused_with_a_message(client, db, coordinator):
    tutor = make_user(organisation=coordinator.organisation, roles=[Role.EDUCATOR])
    db.commit()
    client.post(f"/users/{tutor.id}/deactivate")
    again = client.post(f"/users/{tutor.id}/deactivate", follow_redirects=True)
    assert "This account is already deactivated." in again.get_data(as_text=True)
    assert actions(db).count("user.deactivate") == 1


def test_deactivation_needs_its_csrf_token(csrf_client, db):  # noqa: F811
    coordinator = make_user()
    tutor = make_user(organisation=coordinator.organisation, roles=[Role.EDUCATOR])
    db.commit()
    log_in(csrf_client, coordinator)
    assert csrf_client.post(f"/users/{tutor.id}/deactivate").status_code == 400
    assert fresh(db, tutor).is_active
    token = _token(csrf_client.get(f"/users/{tutor.id}").data)
    assert csrf_client.post(f"/users/{tutor.id}/deactivate", data={"csrf_token": token}).status_code == 302
    assert not fresh(db, tutor).is_active


# --- invitations and resets ----------------------------------------------------------------------


def test_a_new_account_without_password_gets_an_invitation_shown_once(app, client, db, coordinator):
    response = client.post(
        "/users/new", data={"display_name": "Nadia New", "email": "nadia@example.org", "roles": ["educator"]}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Invitation" in html and "shown only now" in html
    token = link_in(html)
    nadia = db.scalar(sa.select(User).where(User.email == "nadia@example.org"))
    link = db.scalar(sa.select(LoginLink).where(LoginLink.user_id == nadia.id))
    assert link.purpose is LinkPurpose.INVITE and token not in link.token_hash
    assert (link.expires_dt - link.created_dt).days == 7

    invited = app.test_client()
    page = invited.get(f"/password/{token}")
    assert page.status_code == 200 and "Choose your password" in page.get_data(as_text=True)
    short = invited.post(f"/password/{token}", data={"password": "short", "password_again": "short"})
    assert "Use a password of at least 10 characters." in short.get_data(as_text=True)
    assert db.scalar(sa.select(LoginLink.used_dt)) is None  # the refusal used nothing up
    done = invited.post(
        f"/password/{token}", data={"password": "nadia's password", "password_again": "nadia's password"}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/home")
    assert invited.get("/home").status_code == 200
    assert fresh(db, nadia).password_hash is not None
    assert {"user.invite.create", "user.invite.use"} <= set(actions(db))
    assert invited.get(f"/password/{token}").status_code == 410
    assert (
        invited.post(f"/password/{token}", data={"password": "x" * 12, "password_again": "x" * 12}).status_code == 410
    )


def test_with_mail_configured_the_invitation_goes_through_the_outbox(client, db, coordinator, monkeypatch, app):
    monkeypatch.setitem(app.config, "MESSAGE_TRANSPORT", "smtp")
    response = client.post(
        "/users/new",
        data={"display_name": "Nadia New", "email": "nadia@example.org", "roles": ["educator"]},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "A link to set a password was e-mailed to nadia@example.org." in html
    assert "/password/" not in html  # not shown: it went by e-mail
    message = db.scalar(sa.select(OutboxMessage))
    assert message.recipient == "nadia@example.org" and "/password/" in message.body


def test_no_email_means_the_link_is_shown_even_with_mail_configured(client, db, coordinator, monkeypatch, app):
    monkeypatch.setitem(app.config, "MESSAGE_TRANSPORT", "smtp")
    response = client.post("/users/new", data={"display_name": "Pat", "phone": "07700 900777", "roles": ["educator"]})
    assert "/password/" in response.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_a_password_reset_ends_the_old_password_and_sessions(app, client, db, coordinator):
    tutor = make_user(organisation=coordinator.organisation, roles=[Role.EDUCATOR])
    db.commit()
    tutor_client = app.test_client()
    log_in(tutor_client, tutor)
    page = client.get(f"/users/{tutor.id}").get_data(as_text=True)
    assert "Reset the password" in page
    first = link_in(client.post(f"/users/{tutor.id}/password-link").get_data(as_text=True))
    second = link_in(client.post(f"/users/{tutor.id}/password-link").get_data(as_text=True))
    assert client.get(f"/password/{first}").status_code == 410  # a new link ends the earlier one
    link = db.scalar(sa.select(LoginLink).order_by(LoginLink.id.desc()))
    assert link.purpose is LinkPurpose.RESET
    fresh_client = app.test_client()
    new = {"password": "a brand new password", "password_again": "a brand new password"}
    assert fresh_client.post(f"/password/{second}", data=new).status_code == 302
    assert tutor_client.get("/home").status_code == 302  # the old session ended
    client.post("/logout")
    assert client.post("/login", data={"email": tutor.email, "password": PASSWORD}).status_code == 401
    assert client.post("/login", data={"email": tutor.email, "password": "a brand new password"}).status_code == 302


def test_mismatched_passwords_and_unknown_links(client, db, coordinator):
    tutor = make_user(organisation=coordinator.organisation, roles=[Role.EDUCATOR])
    db.commit()
    token = link_in(client.post(f"/users/{tutor.id}/password-link").get_data(as_text=True))
    client.post("/logout")
    response = client.post(f"/password/{token}", data={"password": "one long password", "password_again": "two"})
    assert "The two passwords are not the same." in response.get_data(as_text=True)
    assert client.get("/password/not-a-real-token").status_code == 410
    assert client.get(f"/password/{'x' * 500}").status_code == 410


def test_a_deactivated_account_gets_no_link_and_loses_open_ones(client, db, coordinator):
    tutor = make_user(organisation=coordinator.organisation, roles=[Role.EDUCATOR])
    db.commit()
    token = link_in(client.post(f"/users/{tutor.id}/password-link").get_data(as_text=True))
    client.post(f"/users/{tutor.id}/deactivate")
    assert client.get(f"/password/{token}").status_code == 410
    refused = client.post(f"/users/{tutor.id}/password-link", follow_redirects=True)
    assert "Reactivate this account first." in refused.get_data(as_text=True)


def test_links_for_learners_and_for_passwords_are_not_interchangeable(client, db, coordinator):
    tutor = make_user(organisation=coordinator.organisation, roles=[Role.EDUCATOR])
    sign_in = services.create_login_link(tutor, coordinator)
    db.commit()
    assert client.get(f"/password/{sign_in}").status_code == 410
    token = link_in(client.post(f"/users/{tutor.id}/password-link").get_data(as_text=True))
    client.post("/logout")
    assert client.post(f"/login/link/{token}").status_code == 410
