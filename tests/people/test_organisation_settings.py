"""An organisation's settings page: administrators set its name, address, default language, bank
holidays, certificate signatory and whether educators issue certificates; bad input changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from lms.core.audit import AuditEvent
from lms.core.roles import Role
from lms.people.models import Organisation
from tests.conftest import log_in
from tests.factories import make_organisation, make_user

GOOD = {
    "name": "Leicester Welcome Partnership",
    "address": "12 Belgrave Gate\nLeicester LE1 3GQ",
    "default_locale": "",
    "holiday_region": "SCT",
    "signatory_name": "Amina Rahman",
    "signatory_title": "Programme Manager",
    "educators_issue_certificates": "y",
}


def _settings(db, organisation_id: int) -> dict:
    db.expire_all()
    organisation = db.get(Organisation, organisation_id)
    return {
        name: getattr(organisation, name)
        for name in ("name", "address", "default_locale", "holiday_region", "signatory_name", "signatory_title")
    } | {"educators_issue_certificates": organisation.educators_issue_certificates}


def test_an_administrator_saves_every_setting_and_it_is_audited(client, db, login_as):
    admin = login_as(Role.ADMIN)
    page = client.get("/organisation/settings")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "England and Wales" in html and "Northern Ireland" in html and "العربية" in html
    assert "/organisation/logo" in html  # the logo is changed on its own page, linked from here
    saved = client.post("/organisation/settings", data=GOOD | {"default_locale": "ar"})
    assert saved.status_code == 302
    assert _settings(db, admin.organisation_id) == {
        "name": "Leicester Welcome Partnership",
        "address": "12 Belgrave Gate\nLeicester LE1 3GQ",
        "default_locale": "ar",
        "holiday_region": "SCT",
        "signatory_name": "Amina Rahman",
        "signatory_title": "Programme Manager",
        "educators_issue_certificates": True,
    }
    event = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "organisation.settings"))
    assert event.actor_id == admin.id and "holiday_region" in event.detail["changed"]


def test_the_form_shows_what_is_saved(client, db, login_as):
    admin = login_as(Role.ADMIN)
    client.post("/organisation/settings", data=GOOD)
    html = client.get("/organisation/settings").get_data(as_text=True)
    assert 'value="Amina Rahman"' in html and "12 Belgrave Gate" in html
    assert 'value="SCT" selected' in html or 'selected value="SCT"' in html
    assert _settings(db, admin.organisation_id)["default_locale"] is None  # "each person's browser"


def test_refused_settings_keep_what_was_typed_and_change_nothing(client, db, login_as):
    admin = login_as(Role.ADMIN)
    make_organisation(name="Taken Name")
    db.commit()
    before = _settings(db, admin.organisation_id)
    cases = [
        ({"name": ""}, "This field is required."),
        ({"name": "Taken Name"}, "An organisation with this name already exists."),
        ({"holiday_region": "WLS"}, "Not a valid choice"),
        ({"default_locale": "fr"}, "Not a valid choice"),
        ({"signatory_name": "", "signatory_title": "Director"}, "Enter the name of who signs"),
        ({"address": "x" * 1001}, "Field cannot be longer than 1000 characters."),
    ]
    for change, message in cases:
        refused = client.post("/organisation/settings", data=GOOD | change)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 400, change
        assert message in html, change
        assert "12 Belgrave Gate" in html or "x" * 1001 in html, change  # the form comes back as typed
        assert _settings(db, admin.organisation_id) == before, change


def test_only_administrators_open_the_settings(client, db):
    coordinator = make_user()
    educator = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation)
    db.commit()
    for user in (coordinator, educator):
        log_in(client, user)
        assert client.get("/organisation/settings").status_code == 403
        assert client.post("/organisation/settings", data=GOOD).status_code == 403
    assert _settings(db, coordinator.organisation_id)["name"] != GOOD["name"]


def test_the_default_language_applies_to_people_who_chose_none(client, db, login_as):
    admin = login_as(Role.ADMIN)
    client.post("/organisation/settings", data=GOOD | {"default_locale": "ar"})
    tutor = make_user(roles=(Role.EDUCATOR,), organisation=admin.organisation)
    chose_english = make_user(roles=(Role.EDUCATOR,), organisation=admin.organisation, locale="en_GB")
    db.commit()
    log_in(client, tutor)
    assert 'lang="ar" dir="rtl"' in client.get("/schedule", headers={"Accept-Language": "en"}).get_data(as_text=True)
    log_in(client, chose_english)  # their own choice comes first
    assert '<html lang="en-GB" dir="ltr">' in client.get("/schedule").get_data(as_text=True)


def test_administrators_see_the_settings_in_the_menu(client, db, login_as):
    login_as(Role.ADMIN)
    assert 'href="/organisation/settings"' in client.get("/schedule").get_data(as_text=True)
