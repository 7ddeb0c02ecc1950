"""Educators read what they teach: the cohorts they are assigned to or teach or cover a session of, with
their rosters, sessions, paper registers, .ics and (through the API) registers. Another educator of the
same organisation gets 404 for each, and lists leave those cohorts out (issue #16, finding 8)."""

from __future__ import annotations

from datetime import date, time

import pytest

from lms.api.models import TokenScope
from lms.api.tokens import create_token
from lms.core.roles import Role
from lms.extensions import db as _db
from lms.scheduling.models import Referral, ReferralSource
from lms.scheduling.timetable import staffing
from tests.conftest import log_in
from tests.factories import make_cohort, make_course, make_enrolment, make_learner, make_session, make_user


@pytest.fixture()
def world(db, frozen_clock):  # noqa: ANN001, ANN201
    coordinator = make_user()
    organisation = coordinator.organisation
    lead, regular, cover, idle, stand_in = (
        make_user(roles=(Role.EDUCATOR,), organisation=organisation, display_name=name)
        for name in ("Lead", "Regular", "Cover", "Idle", "Stand-in")
    )
    course = make_course(organisation, coordinator)
    taught = make_cohort(
        coordinator,
        course=course,
        name="Taught cohort",
        creche_capacity=2,
        interpreter_capacity=2,
        allow_late_joiners=True,
    )
    staffing.assign_to_cohort(taught, lead, "lead", coordinator)
    first = make_session(taught, coordinator, day=date(2026, 11, 25), start=time(9, 30), end=time(12))
    second = make_session(taught, coordinator, day=date(2026, 11, 26), start=time(9, 30), end=time(12))
    staffing.cover(second, lead, stand_in, coordinator)  # the lead still teaches the cohort, not this session
    covered = make_cohort(coordinator, course=course, name="Covered cohort", allow_late_joiners=True)
    held = make_session(covered, coordinator, day=date(2026, 11, 27), start=time(13), end=time(15))
    staffing.assign_to_session(held, regular, "lead", coordinator)
    staffing.cover(held, regular, cover, coordinator)
    learner = make_learner(organisation=organisation, given_name="Amina")
    make_enrolment(taught, learner, actor=coordinator, needs_creche=True, needs_interpreter=True)
    make_enrolment(covered, make_learner(organisation=organisation, given_name="Bilal"), actor=coordinator)
    referred = make_learner(organisation=organisation, given_name="Zainab")
    db.add(
        Referral(
            organisation_id=organisation.id, learner_id=referred.id, cohort_id=taught.id, source=ReferralSource.SELF
        )
    )
    db.commit()
    return {
        "coordinator": coordinator,
        "lead": lead,
        "cover": cover,
        "idle": idle,
        "taught": taught,
        "first": first,
        "second": second,
        "covered": covered,
        "held": held,
    }


def _bearer(user) -> dict:  # noqa: ANN001
    secret = create_token(user, "tests", TokenScope.READ)
    _db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _pages(cohort_id: int, session_id: int) -> list[str]:
    return [
        f"/cohorts/{cohort_id}",
        f"/cohorts/{cohort_id}/timetable",
        f"/cohorts/{cohort_id}/paper-register",
        f"/cohorts/{cohort_id}.ics",
        f"/sessions/{session_id}",
        f"/sessions/{session_id}.ics",
    ]


def _api(cohort_id: int, session_id: int) -> list[str]:
    return [
        f"/api/v1/cohorts/{cohort_id}",
        f"/api/v1/cohorts/{cohort_id}/sessions",
        f"/api/v1/sessions/{session_id}/attendance",
    ]


def test_an_educator_who_does_not_teach_a_cohort_finds_none_of_it(client, world):  # noqa: ANN001
    idle = world["idle"]
    log_in(client, idle)
    for cohort, session in ((world["taught"], world["first"]), (world["covered"], world["held"])):
        for url in _pages(cohort.id, session.id):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/cohorts/{cohort.id}/drop-in", data={"dropin-name": "Visitor"}).status_code == 404
    headers = _bearer(idle)
    for cohort, session in ((world["taught"], world["first"]), (world["covered"], world["held"])):
        for url in _api(cohort.id, session.id):
            response = client.get(url, headers=headers)
            assert response.status_code == 404, url
            assert response.mimetype == "application/problem+json"


def test_lists_hold_only_the_cohorts_an_educator_teaches(client, world):  # noqa: ANN001
    expected = {"idle": set(), "lead": {"Taught cohort"}, "cover": {"Covered cohort"}}
    for name, cohorts in expected.items():
        log_in(client, world[name])
        page = client.get("/cohorts").get_data(as_text=True)
        assert {c for c in ("Taught cohort", "Covered cohort") if c in page} == cohorts, name
        listed = client.get("/api/v1/cohorts", headers=_bearer(world[name])).get_json()["items"]
        assert {c["name"] for c in listed} == cohorts, name
    log_in(client, world["coordinator"])
    page = client.get("/cohorts").get_data(as_text=True)
    assert "Taught cohort" in page and "Covered cohort" in page


def test_the_schedule_shows_an_educator_their_own_sessions(client, world):  # noqa: ANN001
    """Not the organisation's: no other cohort's sessions, and no workload table of their colleagues."""
    for name, shown, hidden in (("idle", set(), {"Taught", "Covered"}), ("cover", {"Covered"}, {"Taught"})):
        log_in(client, world[name])
        page = client.get("/schedule?date=2026-11-25&educator=0").get_data(as_text=True)
        assert all(f"{c} cohort" in page for c in shown) and not any(f"{c} cohort" in page for c in hidden), name
        assert "Workload" not in page and "Stand-in" not in page
    log_in(client, world["coordinator"])
    page = client.get("/schedule?date=2026-11-25").get_data(as_text=True)
    assert "Taught cohort" in page and "Covered cohort" in page and "Workload" in page


def test_the_cohorts_educators_read_its_roster_with_the_needs_of_each_place(client, world):  # noqa: ANN001
    log_in(client, world["lead"])
    page = client.get(f"/cohorts/{world['taught'].id}").get_data(as_text=True)
    assert "Amina" in page and "crèche" in page and "interpreter" in page
    assert "Zainab" not in page  # referrals are read by coordinators only, on the cohort's page too
    for url in _pages(world["taught"].id, world["first"].id):
        assert client.get(url).status_code == 200, url
    log_in(client, world["coordinator"])
    assert "Zainab" in client.get(f"/cohorts/{world['taught'].id}").get_data(as_text=True)


def test_covering_one_session_is_teaching_the_cohort(client, world):  # noqa: ANN001
    log_in(client, world["cover"])
    for url in _pages(world["covered"].id, world["held"].id):
        assert client.get(url).status_code == 200, url
    assert "Bilal" in client.get(f"/cohorts/{world['covered'].id}").get_data(as_text=True)
    headers = _bearer(world["cover"])
    for url in _api(world["covered"].id, world["held"].id):
        assert client.get(url, headers=headers).status_code == 200, url


def test_a_register_is_read_by_those_who_may_mark_it_on_the_page_and_in_the_api(client, world):  # noqa: ANN001
    """The lead teaches the cohort but someone covers the second session: its page, yes; its register
    (marks), no, on the page as in the API."""
    lead, second = world["lead"], world["second"]
    log_in(client, lead)
    assert client.get(f"/sessions/{second.id}").status_code == 200
    assert client.get(f"/sessions/{second.id}/register").status_code == 404
    headers = _bearer(lead)
    assert client.get(f"/api/v1/sessions/{second.id}/attendance", headers=headers).status_code == 404
    assert client.get(f"/api/v1/sessions/{world['first'].id}/attendance", headers=headers).status_code == 200
