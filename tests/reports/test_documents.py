"""The funder return's Excel and PDF files, read back as a funder and as a coordinator would read them.

The fixture is built so that one hidden count has a value found nowhere else in the return: eight
of the nine participants are women, the man is hidden (1) and so, to protect him, are the women
(8, a complementary suppression). No funder's file may hold an 8 anywhere: not in a cell, not in a
chart, not in the PDF's text.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, time

import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from PIL import Image
from pypdf import PdfReader

from lms.assessments.attendance import services as attendance
from lms.assessments.progression import achievements
from lms.assessments.progression import services as progression
from lms.assessments.progression.inputs import OutcomeInput
from lms.assessments.progression.models import AssessmentKind
from lms.core.roles import Role
from lms.people.models import OrganisationKind
from lms.reports.measures import MEASURES
from tests.conftest import log_in
from tests.factories import (
    make_cohort,
    make_course,
    make_enrolment,
    make_learner,
    make_organisation,
    make_programme,
    make_session,
    make_user,
)

#: The true value of a hidden cell, found nowhere else in the return.
HIDDEN_VALUE = 8
ARABIC_REFERRER = "مجلس اللاجئين"
PERIOD = "?from=2026-11-01&to=2026-11-30"


@pytest.fixture()
def world(db, frozen_clock):
    coordinator = make_user(organisation=make_organisation(name="جمعية الأمل Hope Society"))
    funder = make_organisation(name="Community Fund", kind=OrganisationKind.FUNDER)
    programme = make_programme(
        coordinator.organisation,
        coordinator,
        name="Helping Others",
        funder_id=funder.id,
        targets={"participants": 40, "into_work": 12},
    )
    cohort = make_cohort(
        coordinator,
        course=make_course(coordinator.organisation, coordinator),
        programme_id=programme.id,
        start_date=date(2026, 11, 1),
        end_date=date(2026, 12, 31),
        capacity=12,
        allow_late_joiners=True,
    )
    learners = [
        make_learner(
            organisation=coordinator.organisation,
            sex="male" if n == 0 else "female",
            date_of_birth=date(1990, 1, 1),
            referral_source=ARABIC_REFERRER if n == 0 else "",
        )
        for n in range(9)
    ]
    for learner in learners:
        make_enrolment(cohort, learner, actor=coordinator)
    first = make_session(cohort, coordinator, day=date(2026, 11, 2), start=time(10), end=time(12))
    second = make_session(cohort, coordinator, day=date(2026, 11, 10), start=time(10), end=time(12))
    attendance.save_register(first, [attendance.Entry(f"l{x.id}", "present") for x in learners], coordinator)
    attendance.save_register(
        second,
        [attendance.Entry(f"l{x.id}", "present" if n < 6 else "absent") for n, x in enumerate(learners)],
        coordinator,
    )
    progression.record_outcome(
        learners[1], OutcomeInput(kind="employment", outcome_date=date(2026, 11, 20), hours_per_week=20), coordinator
    )
    achievements.record_esol_levels(
        learners[2], {"reading": "e1"}, AssessmentKind.INITIAL, date(2026, 11, 2), coordinator
    )
    achievements.record_esol_levels(
        learners[2], {"reading": "e2"}, AssessmentKind.INITIAL, date(2026, 11, 20), coordinator
    )
    viewer = make_user(roles=(Role.FUNDER_VIEWER,), organisation=funder)
    db.commit()
    return {"coordinator": coordinator, "viewer": viewer, "programme": programme}


def _get(client, world, user: str, kind: str):  # noqa: ANN001, ANN202
    log_in(client, world[user])
    response = client.get(f"/reports/programmes/{world['programme'].id}.{kind}{PERIOD}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response


def _workbook(response):  # noqa: ANN001, ANN202
    return load_workbook(io.BytesIO(response.get_data()))


def _rows(sheet) -> dict:  # noqa: ANN001
    """The sheet's rows by their first cell (the first row of each name: the figures before the targets)."""
    rows: dict = {}
    for row in sheet.iter_rows(values_only=True):
        if row and row[0] is not None:
            rows.setdefault(row[0], row[1:])
    return rows


def _chart_cells(workbook, chart):  # noqa: ANN001, ANN202
    """Every cell a chart's series and categories refer to."""
    refs = []
    for series in chart.series:
        refs.append(series.val.numRef.f)
        if series.cat is not None:
            refs.append((series.cat.numRef or series.cat.strRef).f)
    for ref in refs:
        sheet_name, cells = ref.rsplit("!", 1)
        sheet = workbook[sheet_name.strip("'").replace("''", "'")]
        min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
        for row in sheet.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col):
            yield from row


def _points(chart) -> list[int]:  # noqa: ANN001
    counts = []
    for series in chart.series:
        _c1, min_row, _c2, max_row = range_boundaries(series.val.numRef.f.rsplit("!", 1)[1].replace("$", ""))
        counts.append(max_row - min_row + 1)
    return counts


def test_the_coordinators_workbook_has_numbers_and_native_charts(client, db, world):
    workbook = _workbook(_get(client, world, "coordinator", "xlsx"))
    assert workbook.sheetnames[0] == "Return"
    assert "Participants by sex" in workbook.sheetnames
    assert all(len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name) for name in workbook.sheetnames)
    assert "Participants by immigration sta" in workbook.sheetnames  # cut to 31 characters

    figures = _rows(workbook["Return"])
    assert figures["Unique participants"][:2] == (9, str(MEASURES["participants"].definition))
    assert isinstance(figures["Unique participants"][0], int)
    assert figures["Contact hours"][0] == 30.0
    assert figures["Attendance rate, per cent"][0] == 83.3
    assert figures["Into work"][0] == 1
    assert "Period" in figures and "Symbols" in figures

    (targets,) = workbook["Return"]._charts
    assert [series.tx.v for series in targets.series] == ["Result", "Target"]
    assert _points(targets) == [2, 2]
    assert sorted(cell.value for cell in _chart_cells(workbook, targets) if isinstance(cell.value, int)) == [
        1,
        9,
        12,
        40,
    ]

    sex = workbook["Participants by sex"]
    assert _rows(sex)["Female"] == (HIDDEN_VALUE, HIDDEN_VALUE)
    (chart,) = sex._charts
    assert _points(chart) == [2]
    (gains,) = workbook["Learners who moved up an ESOL l"]._charts
    assert _points(gains) == [4]
    assert _rows(workbook["Learners who moved up an ESOL l"])["Reading"] == (1, 1)
    (weekly,) = workbook["Attendance per week"]._charts
    assert _points(weekly) == [2]
    assert [row[1] for row in workbook["Attendance per week"].iter_rows(min_row=5, values_only=True)] == [100.0, 66.7]
    referrers = _rows(workbook["Participants by referrer"])
    assert referrers[ARABIC_REFERRER] == (1, 1)


def test_the_funders_workbook_holds_no_hidden_value_anywhere(client, db, world):
    response = _get(client, world, "viewer", "xlsx")
    workbook = _workbook(response)
    assert _rows(workbook["Participants by sex"])["Female"] == ("[c]", None)
    assert _rows(workbook["Participants by sex"])["Male"] == ("[c]", None)
    assert _rows(workbook["Return"])["Unique participants"][0] == 9  # shown: a number, not text
    assert _rows(workbook["Return"])["Into work"][0] == "[c]"
    assert "[c]" in str(_rows(workbook["Return"])["Symbols"])

    for sheet in workbook.worksheets:
        assert sheet.sheet_state == "visible"
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.value not in (HIDDEN_VALUE, str(HIDDEN_VALUE)), f"{sheet.title}!{cell.coordinate}"
        for chart in sheet._charts:
            for cell in _chart_cells(workbook, chart):
                assert cell.value != HIDDEN_VALUE and cell.value != "[c]", f"{sheet.title} chart {cell.coordinate}"
    (chart,) = workbook["Participants by sex"]._charts
    assert [cell.value for cell in _chart_cells(workbook, chart)][:2] == [None, None]  # hidden: charted as empty

    # Nothing cached or written literally in any chart: a chart holds references only.
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as package:
        charts = [name for name in package.namelist() if name.startswith("xl/charts/")]
        assert charts
        for name in charts:
            xml = package.read(name).decode()
            assert "numCache" not in xml and "numLit" not in xml and "<c:pt" not in xml, name
        assert "<definedName " not in package.read("xl/workbook.xml").decode()


def _pdf_text(response) -> tuple[PdfReader, str]:  # noqa: ANN001
    reader = PdfReader(io.BytesIO(response.get_data()))
    return reader, " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_funders_pdf_shows_definitions_and_hides_what_it_must(client, db, world):
    response = _get(client, world, "viewer", "pdf")
    assert response.mimetype == "application/pdf"
    reader, text = _pdf_text(response)
    assert reader.metadata.title.startswith("Funder return: Helping Others")
    assert "Funder return: Helping Others" in text
    assert "1 November 2026 to 30 November 2026" in text
    assert "Community Fund" in text
    assert str(MEASURES["participants"].definition) in text
    assert str(MEASURES["into_work"].definition) in text
    assert "[c]" in text
    assert re.search(r"Into work \[c\]", text)
    assert not re.findall(rf"(?<![\d.,]){HIDDEN_VALUE}(?![\d.,])", text)
    assert f"Page 1 of {len(reader.pages)}" in text
    assert "Generated on 25 November 2026" in text
    fonts = {
        font["/BaseFont"]
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
        for font in [font.get_object()]
    }
    assert any("NotoSansArabic" in name for name in fonts)  # the organisation's name is in Arabic
    assert all(not page.images for page in reader.pages)  # no logo yet


def test_the_coordinators_pdf_shows_the_exact_figures(client, db, world):
    reader, text = _pdf_text(_get(client, world, "coordinator", "pdf"))
    assert "[c]" not in text.replace("[c]:", "")  # only the legend's symbol
    assert re.search(rf"Female {HIDDEN_VALUE}\b", text)
    assert re.search(r"Unique participants 9\b", text)


def test_the_logo_is_printed_once_uploaded(client, db, world):
    log_in(client, world["coordinator"])
    image = io.BytesIO()
    Image.new("RGB", (300, 120), (0, 114, 178)).save(image, format="PNG")
    upload = client.post(
        "/organisation/logo",
        data={"logo": (io.BytesIO(image.getvalue()), "logo.png")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    for user in ("coordinator", "viewer"):
        client.post("/logout")
        reader, _text = _pdf_text(_get(client, world, user, "pdf"))
        assert len(reader.pages[0].images) == 1


def test_the_return_page_links_to_the_pdf(client, db, world):
    log_in(client, world["viewer"])
    page = client.get(f"/reports/programmes/{world['programme'].id}{PERIOD}").get_data(as_text=True)
    assert f"/reports/programmes/{world['programme'].id}.pdf?" in page and "Download PDF" in page


def test_someone_else_gets_no_pdf(client, db, world):
    log_in(client, make_user())
    assert client.get(f"/reports/programmes/{world['programme'].id}.pdf").status_code == 404
