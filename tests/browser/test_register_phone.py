"""A real browser at phone size marks a register, goes offline, and the marks arrive when it is back.

Uses Debian's Chromium through Playwright; skipped only where Chromium is not installed (CI installs it).
"""

from __future__ import annotations

import shutil
import threading
from datetime import date, time

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from lms import create_app
from lms.assessments.attendance.models import AttendanceMark
from lms.core.roles import Role
from lms.extensions import db as _db
from lms.scheduling.timetable import staffing
from tests.conftest import TEST_CONFIG
from tests.factories import PASSWORD, make_cohort, make_enrolment, make_learner, make_session, make_user

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium package is not installed"),
]


@pytest.fixture()
def live_server(app):
    """The app served over HTTP on a free local port, with CSRF on, against the test database."""
    served = create_app(
        {
            **TEST_CONFIG,
            "SERVER_NAME": None,
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        }
    )
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with served.app_context():
        _db.engine.dispose()


def test_register_on_a_phone_survives_going_offline(db, frozen_clock, live_server):
    from playwright.sync_api import expect, sync_playwright

    coordinator = make_user()
    tutor = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation, email="tutor@example.org")
    cohort = make_cohort(
        coordinator,
        name="Hospitality",
        start_date=date(2026, 11, 1),
        end_date=date(2027, 3, 1),
        allow_late_joiners=True,
    )
    staffing.assign_to_cohort(cohort, tutor, "lead", coordinator)
    session = make_session(cohort, coordinator, day=date(2026, 11, 25), start=time(9, 30), end=time(12))
    learners = [
        make_learner(
            organisation=coordinator.organisation,
            given_name=name,
            given_name_latin=name,
            family_name="Test",
            family_name_latin="Test",
        )
        for name in ("Amal", "Bashir", "Dawit")
    ]
    for learner in learners:
        make_enrolment(cohort, learner, actor=coordinator)
    db.commit()
    session_id, amal, bashir, dawit = session.id, *(learner.id for learner in learners)
    db.close()  # hold no lock while the server works

    def marks() -> dict[int, str]:
        rows = _db.session.execute(
            sa.select(AttendanceMark.learner_id, AttendanceMark.status).where(AttendanceMark.session_id == session_id)
        ).all()
        _db.session.rollback()
        return {learner_id: status.value for learner_id, status in rows}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.fill("#email", "tutor@example.org")
        page.fill("#password", PASSWORD)
        page.locator("main button[type=submit]").click()
        page.goto(f"{live_server}/sessions/{session_id}/register")

        # One tap per learner: Bashir is late (two taps: present, then late).
        bashir_button = page.locator(f'li[data-key="l{bashir}"] .cycle-button')
        bashir_button.tap()
        bashir_button.tap()
        expect(bashir_button).to_have_attribute("data-status", "late")
        page.get_by_role("button", name="Everyone else present").tap()
        page.wait_for_load_state("load")
        expect(page.locator(f'li[data-key="l{amal}"] .cycle-button')).to_have_attribute("data-status", "present")
        assert marks() == {amal: "present", bashir: "late", dawit: "present"}

        # The signal drops: Dawit's change is kept on the phone, then sent when the signal returns.
        context.set_offline(True)
        dawit_button = page.locator(f'li[data-key="l{dawit}"] .cycle-button')
        dawit_button.tap()  # present -> late
        dawit_button.tap()  # late -> absent
        page.get_by_role("button", name="Save", exact=True).tap()
        expect(page.locator("#register-status")).to_contain_text("Saved on this phone")
        assert marks()[dawit] == "present"
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        expect(page.locator("#register-status")).to_contain_text("have been sent")
        assert marks() == {amal: "present", bashir: "late", dawit: "absent"}

        # The page fits a 360 px screen: nothing is wider than the viewport.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        browser.close()
