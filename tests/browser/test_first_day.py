"""A new organisation's first day, in a real browser, from an empty database to an educator suggested
for a class: `lms init`, the setup page, a venue, a course, a class, a tutor invited and setting her
password, a learner imported from a spreadsheet, the tutor's DBS check entered, and the tutor then
suggested as free and suitable. Screenshots at 360 and 1280 px go to $LMS_SCREENSHOTS when it is set.

Uses Debian's Chromium through Playwright; skipped only where Chromium is not installed (CI installs it).
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.core.roles import Role
from lms.core.time import LONDON
from lms.people.models import Learner, User
from lms.scheduling.models import Session
from tests.browser.test_register_phone import live_server  # noqa: F401 - the fixture

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium package is not installed"),
]
PASSWORD = "first-day-password"


def _shoot(page, name: str) -> None:  # noqa: ANN001
    folder = os.environ.get("LMS_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=f"{folder}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def _option(page, select: str, text: str) -> str:  # noqa: ANN001
    return page.locator(f"{select} option", has_text=text).first.get_attribute("value")


def _submit(page) -> None:  # noqa: ANN001
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def test_first_day_from_an_empty_database_to_a_suggested_tutor(app, db, live_server, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    printed = app.test_cli_runner().invoke(args=["init", "--base-url", live_server]).output
    setup_url = re.search(r"(http://\S+/setup\?token=\S+)", printed).group(1)
    db.close()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        admin = browser.new_page(viewport={"width": 1280, "height": 800})

        # Setup: the link from `lms init`, then a clean address without the token.
        admin.goto(setup_url)
        assert "token=" not in admin.url
        admin.fill("#organisation_name", "Leicester Women's Network")
        admin.fill("#admin_name", "Farida Khan")
        admin.fill("#admin_email", "farida@lwn.example")
        admin.fill("#password", PASSWORD)
        admin.fill("#password_again", PASSWORD)
        _shoot(admin, "01-setup")
        _submit(admin)
        expect(admin.locator("body")).to_contain_text("Farida Khan")

        # A venue, a course and a class.
        admin.goto(f"{live_server}/venues/new")
        admin.fill("#name", "Haymarket Centre")
        admin.fill("#address", "1 Haymarket, Leicester")
        admin.fill("#postcode", "LE1 3YQ")
        _submit(admin)
        expect(admin.locator("body")).to_contain_text("Haymarket Centre")

        admin.goto(f"{live_server}/courses/new")
        admin.fill("#code", "ESOL-E2")
        admin.fill("#title", "English for everyday life")
        admin.select_option("#kind", "esol_informal")
        _submit(admin)
        expect(admin.locator("body")).to_contain_text("English for everyday life")

        admin.goto(f"{live_server}/cohorts/new")
        admin.fill("#name", "Tuesday mornings")
        admin.select_option("#course_id", _option(admin, "#course_id", "English for everyday life"))
        admin.select_option("#venue_id", _option(admin, "#venue_id", "Haymarket Centre"))
        admin.fill("#start_date", "2027-01-12")
        admin.fill("#end_date", "2027-03-30")
        admin.fill("#capacity", "12")
        _shoot(admin, "02-new-class")
        _submit(admin)
        expect(admin.locator("body")).to_contain_text("Tuesday mornings")
        cohort_id = re.search(r"/cohorts/(\d+)", admin.url).group(1)

        # Tuesdays, 10:00 to 12:00, for the whole class.
        admin.goto(f"{live_server}/cohorts/{cohort_id}/timetable")
        admin.locator("summary", has_text="Add a weekly pattern").click()
        pattern = admin.locator("form:has(input[name=action][value=add_rule])")
        pattern.get_by_label("Tuesday").check()
        pattern.get_by_label("Starts at").fill("10:00")
        pattern.get_by_label("Ends at").fill("12:00")
        pattern.locator("button[type=submit]").click()
        admin.wait_for_load_state()
        admin.locator("button[name=action][value=generate]").click()
        admin.wait_for_load_state()

        # A tutor invited; she sets her password with the link she is handed.
        admin.goto(f"{live_server}/users/new")
        admin.fill("#display_name", "Grace Obi")
        admin.fill("#email", "grace@lwn.example")
        admin.check(f"input[name=roles][value={Role.EDUCATOR.value}]")
        _submit(admin)
        link = admin.locator("p.secret code").inner_text()
        _shoot(admin, "03-invitation")
        tutor = browser.new_context().new_page()
        tutor.goto(link)
        tutor.fill("#password", PASSWORD)
        tutor.fill("#password_again", PASSWORD)
        _submit(tutor)
        expect(tutor.locator("body")).to_contain_text("Grace Obi")

        # A learner imported from the spreadsheet the office keeps: upload, columns, preview, save.
        sheet = tmp_path / "learners.csv"
        sheet.write_text(
            "First Name,Surname,Mobile,Nationality,Gender,Languages\nزينب,حسين,07700 900123,Iraqi,F,Arabic\n",
            encoding="utf-8",
        )
        admin.goto(f"{live_server}/learners/import")
        admin.set_input_files("input[type=file]", str(sheet))
        _submit(admin)
        _shoot(admin, "04-import-columns")
        _submit(admin)
        expect(admin.locator("main")).to_contain_text("Iraq")
        _shoot(admin, "05-import-preview")
        admin.get_by_role("button", name="Save 1 learner").click()
        admin.wait_for_load_state()
        expect(admin.locator("body")).to_contain_text("زينب")

        # Before her DBS check is recorded she is not suggested; after it, she is free and suitable.
        grace_id = db.scalars(sa.select(User.id).where(User.email == "grace@lwn.example")).one()
        db.close()
        admin.goto(f"{live_server}/cohorts/{cohort_id}/timetable")
        expect(admin.locator("main")).to_contain_text("No DBS check recorded.")
        admin.goto(f"{live_server}/educators/{grace_id}/dbs")
        admin.select_option("#level", "enhanced")
        admin.fill("#certificate_number", "0012 3456 7890")
        admin.fill("#issue_date", "2025-09-01")
        _shoot(admin, "06-dbs")
        _submit(admin)
        admin.goto(f"{live_server}/cohorts/{cohort_id}/timetable")
        expect(admin.locator("main")).to_contain_text("free and suitable")
        _shoot(admin, "07-suggested")
        browser.close()

    db.expire_all()
    learner = db.scalars(sa.select(Learner)).one()
    assert (learner.given_name, learner.nationality, learner.phone) == ("زينب", "IQ", "+447700900123")
    grace = db.scalars(sa.select(User).where(User.email == "grace@lwn.example")).one()
    assert grace.password_hash and grace.is_active
    sessions = db.scalars(sa.select(Session).where(Session.cohort_id == int(cohort_id))).all()
    assert len(sessions) == 12 and all(s.start_dt.astimezone(LONDON).hour == 10 for s in sessions)
    assert {s.start_dt.astimezone(LONDON).date() for s in sessions} >= {date(2027, 1, 12), date(2027, 3, 30)}
