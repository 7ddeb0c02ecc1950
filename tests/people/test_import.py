"""Importing learners from CSV or Excel: upload, choose columns, preview every row, save all or nothing."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from lms.core.roles import Role
from lms.people.models import ImportUpload, Learner, Sex
from tests.factories import make_learner

HEADER = (
    "given_name,family_name,given_name_latin,family_name_latin,date_of_birth,sex,nationality,phone,"
    "preferred_languages,interpreter_needed\n"
)


def _upload(client, content: bytes | str, filename: str = "learners.csv"):
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        "/learners/import", data={"file": (io.BytesIO(raw), filename)}, content_type="multipart/form-data"
    )


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _columns(client, mapping: dict[int, str] | None = None):
    """Confirm the guessed columns (with any changes) and give the preview page."""
    page = client.get("/learners/import/columns")
    assert page.status_code == 200
    chosen = dict(
        re.findall(
            r'<select id="(column-\d+)" name="column-\d+">.*?<option selected value="([^"]*)"',
            page.get_data(as_text=True),
            re.S,
        )
    )
    form = {name: chosen.get(name, "") for name in re.findall(r'name="(column-\d+)"', page.get_data(as_text=True))}
    for index, name in (mapping or {}).items():
        form[f"column-{index}"] = name
    response = client.post("/learners/import/columns", data=form)
    if response.status_code != 302:
        return response
    return client.get(response.headers["Location"])


def _count(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Learner))


def _uploads(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(ImportUpload))


def test_a_csv_is_previewed_then_saved_with_values_matched_by_name_or_code(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    upload = _upload(
        client,
        "\ufeff" + HEADER + 'زينب,حسين,Zainab,Hussein,14/03/1988,F,Iraqi,07700 900001,"Arabic, English",Yes\n'
        "Olena,Kovalenko,,,1979-05-30,Female,UKR,,uk,no\n"
        "Ahmad,,,,,m,Afghanistan,,Dari,\n"
        "Mehmet,,,,,MALE,tr,,ckb kmr,\n",
    )
    assert upload.status_code == 302 and upload.headers["Location"].endswith("/learners/import/columns")
    assert "Zainab" not in upload.headers["Location"]
    preview = _columns(client)
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "4 learners will be created." in text
    assert "Iraq (IQ)" in text and "Ukraine (UA)" in text
    assert '<bdi>زينب حسين</bdi> <bdi class="name-latin" dir="ltr" lang="und-Latn">Zainab Hussein</bdi>' in text
    assert _count(db) == 0  # nothing before the save

    saved = client.post("/learners/import/save", data={"action": "save"})
    assert saved.status_code == 302
    learners = db.scalars(sa.select(Learner).order_by(Learner.id)).all()
    assert [
        (x.given_name_latin, x.sex, x.nationality, x.preferred_languages, x.interpreter_needed) for x in learners
    ] == [
        ("Zainab", Sex.FEMALE, "IQ", "ar en", True),
        ("", Sex.FEMALE, "UA", "uk", False),
        ("", Sex.MALE, "AF", "fa-AF", False),
        ("", Sex.MALE, "TR", "ckb ku", False),
    ]
    assert learners[0].phone == "+447700900001" and learners[0].date_of_birth == date(1988, 3, 14)
    assert {x.organisation_id for x in learners} == {coordinator.organisation_id}
    assert _uploads(db) == 0  # the kept file is gone once saved
    assert client.get("/learners/import/preview").status_code == 302  # and the token with it


def test_every_row_error_is_shown_by_row_and_column_and_nothing_is_saved(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    make_learner(
        organisation=coordinator.organisation,
        phone="07700 900009",
        given_name="Samir",
        family_name="",
        date_of_birth=date(1990, 1, 1),
    )
    db.commit()
    _upload(
        client,
        "given_name,phone,date_of_birth,sex,nationality,preferred_languages,interpreter_needed\n"
        "Amal,07700 900001,1990-01-01,f,SY,ar,\n"
        ",07700 900002,1990-01-01,,,,\n"
        "Bashir,12,1990-01-01,,,,\n"
        "Dawit,07700 900003,31-13-1990,,,,\n"
        "Elif,07700 900009,,,,,\n"
        "Farhan,07700 900001,,,,,\n"
        "Gul,12,,Woman?,Narnia,Elvish,maybe\n"
        "samir,,01/01/1990,,,,\n",
    )
    preview = _columns(client)
    text = preview.get_data(as_text=True)
    for row, field, message in [
        (3, "Given name (as they write it)", "Enter the learner&#39;s given name as they write it."),
        (4, "Mobile number", "Enter a phone number like 07700 900123"),
        (5, "Date of birth", "Write dates as 2026-03-31 or 31/03/2026."),
        (6, "Mobile number", "A learner with this phone number already exists."),
        (7, "Mobile number", "Row 2 has the same phone number."),
        (8, "Sex", "Woman? is not a sex we know."),
        (8, "Nationality", "Narnia is not a country we know."),
        (8, "Preferred languages", "Elvish is not a language we know."),
        (8, "Needs an interpreter", "Write yes or no."),
        (8, "Mobile number", "Enter a phone number like 07700 900123"),
        (9, "Given name (as they write it)", "A learner with this name and date of birth already exists."),
    ]:
        assert f"Row {row}, {field}: {message}" in text, (row, field)
    assert "Row 2," not in text
    assert "Save" not in re.sub(r"Save \d+ learners?", "", text.split("<form", 2)[-1]).split("Cancel")[0]
    # Saving anyway (an old page, a second tab) refuses the whole file.
    refused = client.post("/learners/import/save", data={"action": "save"})
    assert refused.status_code == 400
    assert "Nothing was imported: 7 rows have problems." in refused.get_data(as_text=True)
    assert _count(db) == 1


def test_columns_are_guessed_by_name_and_can_be_changed(client, db, login_as):
    login_as(Role.COORDINATOR)
    _upload(client, "First Name;SURNAME;Gender;Country;Mobile;Notes\nAmal;Saleh;F;Sudan;07700 900001;likes tea\n")
    page = client.get("/learners/import/columns").get_data(as_text=True)
    for index, guess in enumerate(["given_name", "family_name", "sex", "nationality", "phone", ""]):
        assert re.search(rf'name="column-{index}">.*?<option selected value="{guess}"', page, re.S), index
    # "Notes" is left out; make "SURNAME" the Latin family name instead.
    preview = _columns(client, {1: "family_name_latin"})
    assert "1 learner will be created." in preview.get_data(as_text=True)
    client.post("/learners/import/save", data={"action": "save"})
    learner = db.scalar(sa.select(Learner))
    assert (learner.family_name, learner.family_name_latin, learner.nationality) == ("", "Saleh", "SD")


def test_a_column_mapping_without_a_given_name_or_with_a_field_twice_is_refused(client, db, login_as):
    login_as(Role.COORDINATOR)
    _upload(client, "a,b\nAmal,Saleh\n")
    response = client.post("/learners/import/columns", data={"column-0": "", "column-1": "family_name"})
    assert response.status_code == 400
    assert "Choose the column that holds the given name." in response.get_data(as_text=True)
    response = client.post("/learners/import/columns", data={"column-0": "given_name", "column-1": "given_name"})
    assert "Each field can come from one column only" in response.get_data(as_text=True)
    response = client.post("/learners/import/columns", data={"column-0": "given_name", "column-1": "password_hash"})
    assert response.status_code == 400
    assert _count(db) == 0


def test_an_xlsx_with_dates_numbers_and_formulas_imports(client, db, login_as):
    login_as(Role.COORDINATOR)
    raw = _xlsx(
        [
            ["Given name", "Family name", "DOB", "Sex", "Nationality", "Phone", "Referral source"],
            ["Hana", "Tesfay", datetime(1995, 7, 1), "female", "Eritrea", 7700900001, "=1+1"],
            [None, None, None, None, None, None, None],
            ["Yonas", "", date(2000, 1, 2), "M", "ER", "07700 900002", '=HYPERLINK("http://x")'],
        ]
    )
    assert _upload(client, raw, "list.xlsx").status_code == 302
    preview = _columns(client)
    assert "2 learners will be created." in preview.get_data(as_text=True)
    assert client.post("/learners/import/save", data={"action": "save"}).status_code == 302
    learners = db.scalars(sa.select(Learner).order_by(Learner.id)).all()
    assert [(x.given_name, x.date_of_birth, x.phone, x.nationality) for x in learners] == [
        ("Hana", date(1995, 7, 1), "+447700900001", "ER"),
        ("Yonas", date(2000, 1, 2), "+447700900002", "ER"),
    ]
    # A formula is never run: openpyxl gives what Excel saved for it (nothing, for a file never opened in Excel).
    assert [x.referral_source for x in learners] == ["", ""]


def test_the_templates_download_with_the_columns_and_an_example(client, db, login_as):
    login_as(Role.COORDINATOR)
    csv_response = client.get("/learners/import/template.csv")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    lines = csv_response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("given_name,family_name,given_name_latin")
    assert "Iraqi" in lines[1]
    xlsx_response = client.get("/learners/import/template.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "given_name" and rows[1][0] == "زينب"
    assert client.get("/learners/import/template.pdf").status_code == 404
    # The template imports as it is.
    assert _upload(client, xlsx_response.data, "learners-template.xlsx").status_code == 302
    assert "1 learner will be created." in _columns(client).get_data(as_text=True)


def test_the_page_lists_countries_and_languages(client, db, login_as):
    login_as(Role.COORDINATOR)
    text = client.get("/learners/import").get_data(as_text=True)
    assert "<details>" in text
    assert '<td dir="ltr">IQ</td><td>Iraq</td>' in text
    assert '<td dir="ltr">ckb</td><td>Central Kurdish</td>' in text


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"given_name,family_name\n", "headers.csv", "only the row of column names"),
        (b"\n\n\n", "blank.csv", "The file is empty."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls.csv", "old Excel file"),
        (b"PK\x03\x04not really a zip", "fake.xlsx", "This Excel file could not be read."),
        ("given_name\nAmal\n".encode("utf-16"), "utf16.csv", "not a CSV or Excel"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "picture.csv", "not a CSV or Excel"),
        (b"given_name\nAm\x00al\n", "nul.csv", "Row 2:"),
        (b"given_name\nAm\x01al\n", "control.csv", "Row 2:"),
        (b'given_name\n"' + b"x" * 200_000 + b"\n", "huge.csv", "Row 2 could not be read"),
    ],
)
def test_bad_files_are_refused_with_a_message_and_keep_nothing(client, db, login_as, content, filename, message):
    login_as(Role.COORDINATOR)
    response = _upload(client, content, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _uploads(db) == 0 and _count(db) == 0


def test_a_file_named_otherwise_is_refused_and_content_not_name_decides(client, db, login_as):
    login_as(Role.COORDINATOR)
    assert "Choose a CSV file or an Excel workbook" in _upload(client, "given_name\nA\n", "x.pdf").get_data(
        as_text=True
    )
    # A CSV named .xlsx is read as the CSV it is.
    assert _upload(client, "given_name\nAmal\n", "learners.xlsx").status_code == 302


def test_windows_1252_and_a_byte_order_mark_are_read(client, db, login_as):
    login_as(Role.COORDINATOR)
    _upload(client, "given_name,family_name\nJosé,Müller\n".encode("cp1252"))
    _columns(client)
    client.post("/learners/import/save", data={"action": "save"})
    _upload(client, "\ufeffgiven_name\nRenée\n".encode())
    _columns(client)
    client.post("/learners/import/save", data={"action": "save"})
    assert db.scalars(sa.select(Learner.given_name).order_by(Learner.id)).all() == ["José", "Renée"]


def test_too_many_rows_are_refused_before_anything_is_kept(client, db, login_as):
    login_as(Role.COORDINATOR)
    content = "given_name\n" + "".join(f"Learner {n}\n" for n in range(10_000))
    response = _upload(client, content)
    assert response.status_code == 400
    assert "more than 2000 rows" in response.get_data(as_text=True)
    assert _uploads(db) == 0


def test_a_huge_cell_is_a_row_error(client, db, login_as):
    login_as(Role.COORDINATOR)
    _upload(client, "given_name,referral_source\nAmal," + "x" * 50_000 + "\n")
    text = _columns(client).get_data(as_text=True)
    assert "Row 2, Referred by: Keep this to 200 characters or fewer." in text
    assert "x" * 2002 not in text


def test_a_zip_bomb_is_refused(client, db, login_as):
    login_as(Role.COORDINATOR)
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (50 * 1024 * 1024))
    response = _upload(client, output.getvalue(), "bomb.xlsx")
    assert response.status_code == 400
    assert "too large" in response.get_data(as_text=True)


def test_the_upload_expires_and_belongs_to_its_uploader(client, db, login_as, app):
    login_as(Role.COORDINATOR)
    _upload(client, "given_name\nAmal\n")
    upload = db.scalar(sa.select(ImportUpload))
    assert upload.rows == [[2, ["Amal"]]] and len(upload.token_hash) == 64
    # Another coordinator, even with the same session cookie's token, does not see it.
    with client.session_transaction() as session:
        token = session["learner_import"]
    login_as(Role.COORDINATOR, email="other@example.org")
    with client.session_transaction() as session:
        session["learner_import"] = token
    assert client.get("/learners/import/columns").status_code == 302
    upload.expires_dt = upload.created_dt - timedelta(minutes=1)
    db.commit()
    login_as(Role.COORDINATOR, email="third@example.org")
    _upload(client, "given_name\nBashir\n")  # the next upload clears expired ones
    assert db.scalars(sa.select(ImportUpload.rows)).all() == [[[2, ["Bashir"]]]]


def test_cancel_removes_the_upload(client, db, login_as):
    login_as(Role.COORDINATOR)
    _upload(client, "given_name\nAmal\n")
    _columns(client)
    response = client.post("/learners/import/save", data={"action": "cancel"})
    assert response.status_code == 302
    assert _uploads(db) == 0 and _count(db) == 0


def test_educators_cannot_import(client, db, login_as):
    login_as(Role.EDUCATOR)
    assert _upload(client, "given_name\nA\n").status_code == 403
    assert client.get("/learners/import/preview").status_code == 403
    assert client.post("/learners/import/save", data={"action": "save"}).status_code == 403
    assert _count(db) == 0


def test_the_learner_form_takes_a_country_by_name(client, db, login_as):
    login_as(Role.COORDINATOR)
    response = client.post("/learners/new", data={"given_name": "Amal", "nationality": "Iraqi", "sex": "female"})
    assert response.status_code == 302
    assert db.scalar(sa.select(Learner.nationality)) == "IQ"
    response = client.post("/learners/new", data={"given_name": "Amal", "nationality": "Narnia", "sex": "female"})
    assert "Narnia is not a country we know." in response.get_data(as_text=True)
