"""CSV import of learners: row-level errors with line numbers, and nothing half-imported."""

from __future__ import annotations

import io

import sqlalchemy as sa

from lms.core.roles import Role
from lms.people.models import Learner
from tests.factories import make_learner


def _upload(client, text: str, filename: str = "learners.csv"):
    return client.post(
        "/learners/import",
        data={"file": (io.BytesIO(text.encode("utf-8")), filename)},
        content_type="multipart/form-data",
    )


def _count(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Learner))


def test_a_good_file_imports_every_learner(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    response = _upload(
        client,
        "\ufeffgiven_name,family_name,given_name_latin,phone,date_of_birth,preferred_languages\n"
        "فاطمة,الحسن,Fatima,07700 900001,14/03/1988,ar\n"
        "Olena,Kovalenko,Olena,,1979-05-30,uk en\n",
    )
    assert response.status_code == 302
    learners = db.scalars(sa.select(Learner).order_by(Learner.id)).all()
    assert [(x.given_name, x.phone, str(x.date_of_birth)) for x in learners] == [
        ("فاطمة", "+447700900001", "1988-03-14"),
        ("Olena", None, "1979-05-30"),
    ]
    assert {x.organisation_id for x in learners} == {coordinator.organisation_id}


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    make_learner(organisation=coordinator.organisation, phone="07700 900009")
    db.commit()
    response = _upload(
        client,
        "given_name,phone,date_of_birth,email\n"
        "Amal,07700 900001,1990-01-01,\n"
        ",07700 900002,1990-01-01,\n"
        "Bashir,12,1990-01-01,\n"
        "Dawit,07700 900003,31-12-1990,\n"
        "Elif,07700 900009,,\n"
        "Farhan,07700 900001,,\n"
        "Gulalai,,,not-an-email\n",
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    for line, message in [
        (3, "Enter the learner&#39;s given name as they write it."),
        (4, "Enter a phone number like 07700 900123"),
        (5, "Write dates as 2026-03-31 or 31/03/2026."),
        (6, "A learner with this phone number already exists."),
        (7, "A learner with this phone number already exists."),
        (8, "Enter an e-mail address like name@example.org."),
    ]:
        assert f"Line {line}: {message}" in text, line
    assert "Line 2:" not in text
    assert _count(db) == 1


def test_wrong_columns_or_an_empty_file_import_nothing(client, db, login_as):
    login_as(Role.COORDINATOR)
    assert "Unknown columns: nickname." in _upload(client, "given_name,nickname\nA,B\n").get_data(as_text=True)
    assert "including given_name" in _upload(client, "name\nA\n").get_data(as_text=True)
    assert "The file has no learners in it." in _upload(client, "given_name\n").get_data(as_text=True)
    assert "Choose a .csv file." in _upload(client, "given_name\nA\n", filename="learners.xlsx").get_data(as_text=True)
    assert _count(db) == 0


def test_educator_cannot_import(client, db, login_as):
    login_as(Role.EDUCATOR)
    assert _upload(client, "given_name\nA\n").status_code == 403
    assert _count(db) == 0


def test_a_value_outside_a_columns_choices_is_a_row_error_not_a_crash(client, db, login_as):
    login_as(Role.COORDINATOR)
    response = _upload(client, "given_name,sex\nAmal,female\nBashir,Male?\n")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Line 3: The sex column: This is not the right type or format." in text
    assert _count(db) == 0
