"""The funder return against a hand-counted fixture, small-number suppression, and who may see what."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, time

import pytest

from lms.assessments.attendance import services as attendance
from lms.assessments.progression import services as progression
from lms.assessments.progression.inputs import OutcomeInput
from lms.core.roles import Role
from lms.people.models import OrganisationKind
from lms.reports.queries import funder_return
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


@pytest.fixture()
def fixture(db, frozen_clock):
    """Hand-counted: Amal is in both cohorts (one participant), Bashir in one, Dawit never came."""
    coordinator = make_user()
    funder = make_organisation(name="Police and Crime Commissioner", kind=OrganisationKind.FUNDER)
    programme = make_programme(
        coordinator.organisation,
        coordinator,
        name="Helping Others",
        funder_id=funder.id,
        targets={"participants": 10, "into_work": 2},
    )
    other_programme = make_programme(coordinator.organisation, coordinator, name="Other")
    course = make_course(coordinator.organisation, coordinator)
    a, b, elsewhere = (
        make_cohort(
            coordinator,
            course=course,
            name=name,
            programme_id=prog.id,
            start_date=date(2026, 11, 1),
            end_date=date(2026, 12, 31),
            capacity=10,
            allow_late_joiners=True,
        )
        for name, prog in (("A", programme), ("B", programme), ("Elsewhere", other_programme))
    )
    amal, bashir, dawit = (
        make_learner(organisation=coordinator.organisation, given_name=n, sex="female", date_of_birth=date(1990, 1, 1))
        for n in ("Amal", "Bashir", "Dawit")
    )
    for learner, cohorts in ((amal, (a, b)), (bashir, (a, elsewhere)), (dawit, (b,))):
        for c in cohorts:
            make_enrolment(c, learner, actor=coordinator)
    a1 = make_session(a, coordinator, day=date(2026, 11, 2), start=time(10), end=time(12))
    a2 = make_session(a, coordinator, day=date(2026, 11, 3), start=time(10), end=time(12))
    b1 = make_session(b, coordinator, day=date(2026, 11, 4), start=time(14), end=time(16))
    e1 = make_session(elsewhere, coordinator, day=date(2026, 11, 5), start=time(10), end=time(12))
    save = attendance.save_register
    save(a1, [attendance.Entry(f"l{amal.id}", "present"), attendance.Entry(f"l{bashir.id}", "present")], coordinator)
    save(a2, [attendance.Entry(f"l{bashir.id}", "absent")], coordinator)
    save(
        b1,
        [attendance.Entry(f"l{amal.id}", "late", minutes_late=20), attendance.Entry(f"l{dawit.id}", "absent")],
        coordinator,
    )
    save(e1, [attendance.Entry(f"l{bashir.id}", "present")], coordinator)
    progression.record_outcome(
        amal,
        OutcomeInput(kind="employment", outcome_date=date(2026, 11, 20), hours_per_week=20, domains=["work"]),
        coordinator,
    )
    progression.record_outcome(
        bashir,
        OutcomeInput(kind="volunteering", outcome_date=date(2026, 11, 21), domains=["bonds", "work"]),
        coordinator,
    )
    progression.record_outcome(
        dawit, OutcomeInput(kind="employment", outcome_date=date(2026, 11, 21), hours_per_week=30), coordinator
    )  # not a participant: not counted
    db.commit()
    return {"coordinator": coordinator, "funder": funder, "programme": programme, "other": other_programme}


def figure(page: str, title: str) -> str:
    """The value the figures table shows for a measure."""
    found = re.search(re.escape(title) + r"</summary><p class=\"hint\">[^<]*</p></details></th><td>([^<]*)</td>", page)
    assert found, title
    return found.group(1)


def test_figures_match_the_hand_count(db, fixture):
    report = funder_return(fixture["programme"], date(2026, 11, 1), date(2026, 11, 30))
    figures = report.figures
    assert figures["participants"] == 2  # Amal once, though she is in two cohorts; Dawit never attended
    assert figures["starts"] == 3  # Amal in A, Amal in B, Bashir in A
    assert figures["sessions"] == 3  # A1, A2, B1; not the other programme's session
    assert figures["contact_hours"] == round((120 + 100 + 120) / 60, 1)
    assert figures["attendance_rate"] == 60.0  # 3 attended of 5 marks
    assert (figures["into_work"], figures["into_work_16_hours"], figures["volunteering"]) == (1, 1, 1)
    assert dict(report.breakdowns["domains"]) == {"Work": 2, "Social bonds": 1}
    assert dict(report.breakdowns["sex"]) == {"Female": 2}
    assert dict(report.breakdowns["age"]) == {"35-49": 2}
    assert sorted((m.value, target, actual) for m, target, actual in report.targets) == [
        ("into_work", 2, 1),
        ("participants", 10, 2),
    ]


def test_a_period_outside_the_sessions_counts_nothing(db, fixture):
    report = funder_return(fixture["programme"], date(2026, 4, 1), date(2026, 6, 30))
    assert (report.figures["participants"], report.figures["sessions"], report.figures["contact_hours"]) == (0, 0, 0)


def test_funder_sees_only_aggregates_with_small_numbers_suppressed(client, db, fixture):
    viewer = make_user(roles=(Role.FUNDER_VIEWER,), organisation=fixture["funder"])
    db.commit()
    log_in(client, viewer)
    url = f"/reports/programmes/{fixture['programme'].id}?from=2026-11-01&to=2026-11-30"
    page = client.get(url).get_data(as_text=True)
    assert figure(page, "Unique participants") == "[c]"
    assert "Amal" not in page and "Bashir" not in page
    rows = list(csv.reader(io.StringIO(client.get(url.replace("?", ".csv?")).get_data(as_text=True).lstrip("\ufeff"))))
    assert ["Figures", "Unique participants", "[c]"] in rows
    assert ["Figures", "Contact hours", "5.7"] in rows  # hours are not people: not suppressed
    for path in (
        f"/reports/programmes/{fixture['other'].id}",
        "/dashboard",
        "/exports/attendance.csv",
        "/learners",
        "/cohorts",
    ):
        assert client.get(path).status_code in (403, 404), path


def test_coordinator_sees_exact_figures_and_another_organisation_sees_nothing(client, db, fixture):
    log_in(client, fixture["coordinator"])
    page = client.get(f"/reports/programmes/{fixture['programme'].id}?from=2026-11-01&to=2026-11-30")
    assert figure(page.get_data(as_text=True), "Unique participants") == "2"
    assert client.get(f"/reports/programmes/{fixture['programme'].id}.xlsx").status_code == 200
    client.post("/logout")
    log_in(client, make_user())
    assert client.get(f"/reports/programmes/{fixture['programme'].id}").status_code == 404


def test_attendance_export_streams_one_row_per_mark_for_partner_systems(client, db, fixture):
    log_in(client, fixture["coordinator"])
    response = client.get("/exports/attendance.csv?from=2026-11-01&to=2026-11-30")
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["external_id", "session_id", "cohort", "date", "status", "attended", "minutes_attended"]
    assert len(rows) == 1 + 6
    assert ["2026-11-04", "late", "yes", "100"] in [row[3:] for row in rows]


def test_bad_dates_are_refused(client, db, fixture):
    log_in(client, fixture["coordinator"])
    assert client.get(f"/reports/programmes/{fixture['programme'].id}?from=2026-12-01&to=2026-11-01").status_code == 400
    assert client.get("/exports/sessions.csv?from=yesterday").status_code == 400


def test_dashboard_lists_what_needs_doing(client, db, fixture, frozen_clock):
    log_in(client, fixture["coordinator"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Registers not taken" in page and "Learners at risk" in page


def test_api_return_has_the_same_figures_and_suppression_as_the_page(client, db, fixture):
    from lms.api.models import TokenScope
    from lms.api.tokens import create_token

    viewer = make_user(roles=(Role.FUNDER_VIEWER,), organisation=fixture["funder"])
    tokens = {user: create_token(user, "api", TokenScope.READ) for user in (fixture["coordinator"], viewer)}
    db.commit()
    url = f"/api/v1/programmes/{fixture['programme'].id}/funder-return?from=2026-11-01&to=2026-11-30"

    def get(user, path=url):  # noqa: ANN001, ANN202
        return client.get(path, headers={"Authorization": f"Bearer {tokens[user]}"})

    own = get(fixture["coordinator"]).get_json()
    assert own["suppressed"] is False and own["figures"]["participants"] == 2
    funder = get(viewer).get_json()
    assert funder["suppressed"] is True and funder["figures"]["participants"] == "[c]"
    assert funder["figures"]["contact_hours"] == 5.7  # hours are not people: not suppressed
    assert "Amal" not in str(funder)
    assert get(viewer, f"/api/v1/programmes/{fixture['other'].id}/funder-return").status_code == 404
    backwards = get(
        fixture["coordinator"], url.replace("from=2026-11-01&to=2026-11-30", "from=2026-11-30&to=2026-11-01")
    )
    assert backwards.status_code == 400 and backwards.get_json()["errors"][0]["field"] == "to"
