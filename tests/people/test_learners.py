"""Learner records: names in any script, phones and e-mails normalised, bad input saves nothing."""

from __future__ import annotations

import sqlalchemy as sa

from lms.core.audit import AuditEvent
from lms.core.roles import Role
from lms.people.models import Learner
from tests.factories import make_learner


def _count(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Learner))


def test_coordinator_adds_a_learner_with_an_arabic_name(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    response = client.post(
        "/learners/new",
        data={
            "given_name": "فاطمة",
            "family_name": "الحسن",
            "given_name_latin": "Fatima",
            "family_name_latin": "Al-Hassan",
            "phone": "07700 900123",
            "preferred_languages": "AR, fa-af",
            "date_of_birth": "1990-04-01",
            "sex": "female",
            "first_language_literacy": "confident",
            "nationality": "sy",
        },
    )
    assert response.status_code == 302
    learner = db.scalars(sa.select(Learner)).one()
    assert (learner.given_name, learner.family_name) == ("فاطمة", "الحسن")
    assert learner.phone == "+447700900123"
    assert learner.preferred_languages == "ar fa-AF"
    assert learner.nationality == "SY"
    assert learner.organisation_id == coordinator.organisation_id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<bdi>فاطمة الحسن</bdi>" in page


def test_bad_input_gives_a_clear_message_and_saves_nothing(client, db, login_as):
    login_as(Role.COORDINATOR)
    cases = [
        ({"given_name": ""}, "This field is required."),
        ({"given_name": "Ali", "phone": "12"}, "Enter a phone number like 07700 900123"),
        ({"given_name": "Ali", "email": "not-an-email"}, "Enter an e-mail address like name@example.org."),
        ({"given_name": "Ali", "date_of_birth": "2999-01-01"}, "The date of birth cannot be in the future."),
        ({"given_name": "Ali", "preferred_languages": "arabic!"}, "is not a language code"),
        ({"given_name": "Ali", "sex": "robot"}, "Not a valid choice."),
    ]
    for data, message in cases:
        response = client.post("/learners/new", data=data)
        assert response.status_code == 200, data
        assert message in response.get_data(as_text=True), data
    assert _count(db) == 0


def test_messages_are_translated_for_an_arabic_user(client, db, login_as):
    login_as(Role.COORDINATOR, locale="ar")
    response = client.post("/learners/new", data={"given_name": "Ali", "date_of_birth": "2999-01-01"})
    page = response.get_data(as_text=True)
    assert 'dir="rtl"' in page
    assert "The date of birth cannot be in the future." not in page
    assert _count(db) == 0


def test_edit_records_which_fields_changed(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    learner = make_learner(organisation=coordinator.organisation, given_name="Maryam")
    db.commit()
    response = client.post(
        f"/learners/{learner.id}/edit",
        data={
            "given_name": "Maryam",
            "family_name": "Ahmadi",
            "sex": "female",
            "first_language_literacy": "unknown",
        },
    )
    assert response.status_code == 302
    event = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "learner.update")).one()
    assert event.detail["fields"] == ["family_name", "sex"]


def test_search_matches_any_script_and_escapes_wildcards(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    make_learner(organisation=coordinator.organisation, given_name="مریم", given_name_latin="Maryam")
    make_learner(organisation=coordinator.organisation, given_name="Olena", given_name_latin="Olena")
    make_learner(given_name="Maryam elsewhere")  # another organisation
    db.commit()
    by_script = client.get("/learners?q=مریم").get_data(as_text=True)
    assert "مریم" in by_script and "Olena" not in by_script
    by_latin = client.get("/learners?q=maryam").get_data(as_text=True)
    assert "مریم" in by_latin and "elsewhere" not in by_latin
    assert "No learners found." in client.get("/learners?q=%25").get_data(as_text=True)


def test_learner_login_setup_and_sign_in_link(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    learner = make_learner(organisation=coordinator.organisation, phone="07700 900555", preferred_languages="ar")
    db.commit()
    assert client.post(f"/learners/{learner.id}/login", data={"pin": "12"}).status_code == 302
    db.refresh(learner)
    assert learner.user_id is None  # too short a PIN saved nothing
    assert client.post(f"/learners/{learner.id}/login", data={"pin": "2580"}).status_code == 302
    db.refresh(learner)
    assert learner.user.phone == "+447700900555" and learner.user.locale == "ar"
    page = client.post(f"/learners/{learner.id}/login-link").get_data(as_text=True)
    assert "/login/link/" in page


def test_educator_cannot_create_or_edit_learners(client, db, login_as):
    educator = login_as(Role.EDUCATOR)
    learner = make_learner(organisation=educator.organisation)
    db.commit()
    assert client.post("/learners/new", data={"given_name": "X"}).status_code == 403
    assert client.post(f"/learners/{learner.id}/edit", data={"given_name": "X"}).status_code == 403
    db.refresh(learner)
    assert learner.given_name != "X"
    assert _count(db) == 1
