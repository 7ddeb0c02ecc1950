"""Educators' profiles through the pages: the DBS check, languages, teaching, volunteer hours and who
may change what; then suggestions and the dashboard that use them."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa

from lms.core.audit import AuditEvent
from lms.core.roles import Role
from lms.people.models import DbsLevel, EducatorProfile, User, VolunteerHours
from tests.conftest import log_in
from tests.factories import make_cohort, make_course, make_enrolment, make_learner, make_session, make_user

pytestmark = pytest.mark.usefixtures("frozen_clock")  # today is Wednesday 25 November 2026

NUMBER = "001234567890"


@pytest.fixture()
def coordinator(db):  # noqa: ANN001, ANN201
    user = make_user()
    db.commit()
    return user


@pytest.fixture()
def educator(db, coordinator):  # noqa: ANN001, ANN201
    user = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation, display_name="Nasrin Karimi")
    db.commit()
    return user


def _profile(db, user: User) -> EducatorProfile:  # noqa: ANN001
    db.expire_all()
    return db.get(EducatorProfile, user.id)


def _dbs(**overrides: str) -> dict[str, str]:
    return {
        "level": "enhanced_barred",
        "certificate_number": "0012 3456 7890",
        "issue_date": "2025-09-01",
        "update_service": "y",
        "recheck_date": "",
    } | overrides


# --- the DBS check ---------------------------------------------------------------------------------


def test_coordinator_records_a_dbs_check_and_the_recheck_date_follows_the_policy(client, db, coordinator, educator):
    log_in(client, coordinator)
    response = client.post(f"/educators/{educator.id}/dbs", data=_dbs())
    assert response.status_code == 302
    profile = _profile(db, educator)
    assert profile.dbs_level is DbsLevel.ENHANCED_BARRED
    assert profile.dbs_certificate_number == NUMBER
    assert profile.dbs_issue_date == date(2025, 9, 1)
    assert profile.dbs_update_service is True
    assert profile.dbs_recheck_date == date(2028, 9, 1)  # DBS_RECHECK_MONTHS = 36 after issue
    page = client.get(f"/educators/{educator.id}").get_data(as_text=True)
    assert "Enhanced with barred lists" in page and NUMBER in page and "Recheck by" in page
    # The audit trail names what changed, never the certificate number.
    event = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "educator.dbs.update")).one()
    assert "dbs_certificate_number" in event.detail["changed"]
    assert NUMBER not in str(event.detail)


def test_an_entered_recheck_date_is_kept(client, db, coordinator, educator):
    log_in(client, coordinator)
    client.post(f"/educators/{educator.id}/dbs", data=_dbs(recheck_date="2026-12-31"))
    assert _profile(db, educator).dbs_recheck_date == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"recheck_date": "2025-08-01"}, "The recheck date must be after the issue date."),
        ({"recheck_date": "2025-09-01"}, "The recheck date must be after the issue date."),
        ({"issue_date": "2027-01-01"}, "The issue date cannot be in the future."),
        ({"issue_date": "not a date"}, "Not a valid date value."),
        ({"issue_date": ""}, "Enter the date the certificate was issued."),
        ({"certificate_number": "12345"}, "A DBS certificate number is 12 digits."),
        ({"certificate_number": "00123456789X"}, "A DBS certificate number is 12 digits."),
        ({"level": ""}, "Choose the level of the check."),
        ({"level": "super"}, "Not a valid choice."),
    ],
)
def test_a_bad_dbs_check_is_refused_with_its_reason_and_keeps_what_was_typed(
    client, db, coordinator, educator, data, message
):
    log_in(client, coordinator)
    response = client.post(f"/educators/{educator.id}/dbs", data=_dbs(**data))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    typed = data.get("certificate_number", "0012 3456 7890")
    assert f'value="{typed}"' in page  # the form comes back as it was typed
    profile = _profile(db, educator)
    assert profile.dbs_issue_date is None and profile.dbs_certificate_number is None
    assert (
        db.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action.like("educator.%"))) == 0
    )


def test_emptying_the_form_removes_the_check(client, db, coordinator, educator):
    log_in(client, coordinator)
    client.post(f"/educators/{educator.id}/dbs", data=_dbs())
    empty = {"level": "", "certificate_number": "", "issue_date": "", "recheck_date": ""}
    assert client.post(f"/educators/{educator.id}/dbs", data=empty).status_code == 302
    profile = _profile(db, educator)
    assert (profile.dbs_level, profile.dbs_certificate_number, profile.dbs_issue_date) == (None, None, None)
    assert "No DBS check recorded" in client.get(f"/educators/{educator.id}").get_data(as_text=True)


def test_the_educator_sees_her_check_but_cannot_change_it(client, db, coordinator, educator):
    log_in(client, coordinator)
    client.post(f"/educators/{educator.id}/dbs", data=_dbs())
    log_in(client, educator)
    page = client.get(f"/educators/{educator.id}").get_data(as_text=True)
    assert NUMBER in page and "Your coordinator records your DBS check." in page
    assert client.get(f"/educators/{educator.id}/dbs").status_code == 403
    refused = client.post(f"/educators/{educator.id}/dbs", data=_dbs(level="basic", recheck_date="2030-01-01"))
    assert refused.status_code == 403
    profile = _profile(db, educator)
    assert profile.dbs_level is DbsLevel.ENHANCED_BARRED and profile.dbs_recheck_date == date(2028, 9, 1)
    assert client.post(f"/educators/{educator.id}/teaching", data={"subjects": "esol_formal"}).status_code == 403
    assert (
        client.post(f"/educators/{educator.id}/hours", data={"work_date": "2026-11-20", "hours": "3"}).status_code
        == 403
    )
    assert db.scalar(sa.select(sa.func.count()).select_from(VolunteerHours)) == 0


def test_other_educators_learners_and_other_organisations_get_404(client, db, coordinator, educator):
    colleague = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation)
    learner = make_user(roles=(Role.LEARNER,), organisation=coordinator.organisation)
    elsewhere = make_user()  # a coordinator of another organisation
    db.commit()
    for user in (colleague, learner, elsewhere):
        log_in(client, user)
        for path in ("", "/dbs", "/languages", "/hours"):
            assert client.get(f"/educators/{educator.id}{path}").status_code == 404, (user, path)
        assert client.post(f"/educators/{educator.id}/languages", data={"languages": ["ar"]}).status_code == 404
        assert client.post(f"/educators/{educator.id}/dbs", data=_dbs()).status_code == 404
    assert _profile(db, educator).languages == "" and _profile(db, educator).dbs_issue_date is None
    log_in(client, learner)
    assert client.get("/educators").status_code == 403
    log_in(client, coordinator)
    assert client.get(f"/educators/{learner.id}").status_code == 404  # not an educator: no profile
    assert client.get(f"/educators/{coordinator.id}/dbs").status_code == 404


# --- languages, teaching, the list -------------------------------------------------------------


def test_the_educator_chooses_her_own_languages_from_the_list(client, db, educator):
    log_in(client, educator)
    form = client.get(f"/educators/{educator.id}/languages").get_data(as_text=True)
    assert 'value="fa-AF"' in form and "Dari" in form
    response = client.post(f"/educators/{educator.id}/languages", data={"languages": ["ar", "fa-AF", "en"]})
    assert response.status_code == 302
    assert _profile(db, educator).languages == "ar fa-AF en"
    page = client.get(f"/educators/{educator.id}").get_data(as_text=True)
    assert "Arabic" in page and "Dari" in page
    refused = client.post(f"/educators/{educator.id}/languages", data={"languages": ["ar", "xx-evil"]})
    assert refused.status_code == 400 and "Choose from the list." in refused.get_data(as_text=True)
    assert _profile(db, educator).languages == "ar fa-AF en"


def test_coordinator_records_what_she_teaches_and_that_she_volunteers(client, db, coordinator, educator):
    log_in(client, coordinator)
    response = client.post(
        f"/educators/{educator.id}/teaching",
        data={
            "subjects": ["esol_formal", "sector_skills"],
            "sectors": ["hospitality"],
            "esol_levels": ["e2", "e1"],
            "is_volunteer": "y",
            "qualifications": "CELTA",
        },
    )
    assert response.status_code == 302
    profile = _profile(db, educator)
    assert profile.subjects == ["esol_formal", "sector_skills"] and profile.sectors == ["hospitality"]
    assert profile.esol_levels == ["e1", "e2"] and profile.is_volunteer and profile.qualifications == "CELTA"
    page = client.get(f"/educators/{educator.id}").get_data(as_text=True)
    assert "ESOL (accredited)" in page and "Hospitality" in page and "Entry 1" in page and "Volunteer" in page
    refused = client.post(f"/educators/{educator.id}/teaching", data={"subjects": ["juggling"], "qualifications": "x"})
    assert refused.status_code == 400 and 'value="x"' not in refused.get_data(as_text=True)
    assert "x</textarea>" in refused.get_data(as_text=True)
    assert _profile(db, educator).qualifications == "CELTA"


def test_the_list_shows_dbs_standing_but_never_certificate_numbers(client, db, coordinator, educator):
    due = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation, display_name="Samir Haddad")
    db.commit()
    log_in(client, coordinator)
    client.post(f"/educators/{educator.id}/dbs", data=_dbs())
    client.post(f"/educators/{due.id}/dbs", data=_dbs(certificate_number="009999999999", recheck_date="2026-12-20"))
    page = client.get("/educators").get_data(as_text=True)
    assert "Nasrin Karimi" in page and "Samir Haddad" in page
    assert "Recheck due by" in page and "Recheck by" in page
    assert NUMBER not in page and "009999999999" not in page
    assert "Samir" in client.get("/educators?q=sam").get_data(as_text=True)
    account = client.get(f"/users/{due.id}").get_data(as_text=True)  # the account page links to the profile
    assert f'href="/educators/{due.id}"' in account and "009999999999" not in account
    assert "Nasrin" not in client.get("/educators?q=sam").get_data(as_text=True)


# --- volunteer hours ---------------------------------------------------------------------------


def test_hours_given_count_the_sessions_she_taught_and_the_hours_recorded(client, db, coordinator, educator):
    from lms.scheduling.timetable import staffing

    cohort = make_cohort(coordinator)
    taught = make_session(cohort, coordinator, day=date(2026, 11, 18), start=time(10), end=time(12, 30))
    make_session(cohort, coordinator, day=date(2026, 12, 2), start=time(10), end=time(12))  # not given yet
    staffing.assign_to_session(taught, educator, "volunteer", coordinator)  # a past session: given
    db.commit()
    log_in(client, coordinator)
    recorded = client.post(
        f"/educators/{educator.id}/hours",
        data={"work_date": "2026-11-20", "hours": "1.5", "note": "Trip to the museum"},
    )
    assert recorded.status_code == 302
    page = client.get(f"/educators/{educator.id}/hours?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert "2.50 hours" in page or "2.5 hours" in page  # the session of 18 November
    assert "1.50 hours" in page and "Trip to the museum" in page
    assert "4.00 hours" in page or "4.0 hours" in page
    for data, message in [
        ({"work_date": "2026-12-01", "hours": "2"}, "Hours can be recorded only once they are given."),
        ({"work_date": "2026-11-20", "hours": "25"}, "Number must be between"),
        ({"work_date": "2026-11-20", "hours": "0"}, "Number must be between"),
        ({"work_date": "yesterday", "hours": "2"}, "Not a valid date value."),
    ]:
        refused = client.post(f"/educators/{educator.id}/hours", data=data)
        assert refused.status_code == 400 and message in refused.get_data(as_text=True), data
        assert f'value="{data["hours"]}"' in refused.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(VolunteerHours)) == 1
    bad_period = client.get(f"/educators/{educator.id}/hours?from=2026-12-01&to=2026-11-01")
    assert bad_period.status_code == 400
    assert "The end date must be on or after the start date." in bad_period.get_data(as_text=True)
    assert client.get(f"/educators/{educator.id}/hours?from=tuesday").status_code == 400
    row_id = db.scalars(sa.select(VolunteerHours.id)).one()
    assert client.post(f"/educators/{educator.id}/hours/{row_id}/remove").status_code == 302
    assert db.scalar(sa.select(sa.func.count()).select_from(VolunteerHours)) == 0
    assert client.post(f"/educators/{educator.id}/hours/{row_id}/remove").status_code == 404
    log_in(client, educator)
    assert "Sessions taught" in client.get(f"/educators/{educator.id}/hours").get_data(as_text=True)


# --- suggestions and the dashboard --------------------------------------------------------------


def test_an_educator_whose_dbs_is_entered_on_the_page_is_then_suggested(client, db, coordinator, educator):
    course = make_course(coordinator.organisation, coordinator, required_dbs_level="enhanced")
    cohort = make_cohort(coordinator, course=course, allow_late_joiners=True)
    make_session(cohort, coordinator, day=date(2026, 12, 2))
    learner = make_learner(organisation=coordinator.organisation, preferred_languages="fa-AF")
    make_enrolment(cohort, learner, actor=coordinator)
    db.commit()
    log_in(client, coordinator)
    before = client.get(f"/cohorts/{cohort.id}/timetable").get_data(as_text=True)
    assert "No DBS check recorded." in before and "free and suitable" not in before
    client.post(f"/educators/{educator.id}/dbs", data=_dbs(level="standard"))
    standard = client.get(f"/cohorts/{cohort.id}/timetable").get_data(as_text=True)
    assert "This course needs a DBS check of at least: Enhanced." in standard
    client.post(f"/educators/{educator.id}/dbs", data=_dbs())
    client.post(f"/educators/{educator.id}/languages", data={"languages": ["fa-AF"]})
    after = client.get(f"/cohorts/{cohort.id}/timetable").get_data(as_text=True)
    assert "free and suitable" in after and "Persian" in after  # shares a language with the learner


def test_suggestions_check_dbs_dates_subjects_and_levels(db, coordinator, educator):
    from lms.people import educators as profiles
    from lms.people.inputs import DbsInput, TeachingInput
    from lms.scheduling.timetable import staffing

    course = make_course(coordinator.organisation, coordinator, kind="esol_formal", esol_level="e2")
    cohort = make_cohort(coordinator, course=course)
    session = make_session(cohort, coordinator, day=date(2027, 3, 3))
    profiles.update_dbs(
        educator, DbsInput(level="basic", issue_date=date(2024, 1, 1), recheck_date=date(2027, 2, 1)), coordinator
    )

    def reasons() -> list[str]:
        return next(s for s in staffing.suggest_educators(cohort, [session]) if s.user.id == educator.id).reasons

    assert reasons() == ["DBS check due for renewal."]  # the recheck falls before the class
    profiles.update_dbs(educator, DbsInput(level="basic", issue_date=date(2025, 1, 1)), coordinator)
    assert reasons() == []  # any current check does: the course asks for no level
    profiles.update_teaching(educator, TeachingInput(subjects=["life_skills"], esol_levels=["e1"]), coordinator)
    assert reasons() == ["Does not teach this kind of course.", "Does not teach this ESOL level."]
    profiles.update_teaching(educator, TeachingInput(subjects=["esol_formal"], esol_levels=["e2", "e3"]), coordinator)
    assert reasons() == []


def test_the_dashboard_lists_dbs_rechecks_due_and_missing_checks_bounded(
    client, db, coordinator, educator, count_queries
):
    from lms.people import educators as profiles
    from lms.people.inputs import DbsInput

    organisation = coordinator.organisation
    profiles.update_dbs(
        educator, DbsInput(level="enhanced", issue_date=date(2024, 1, 1), recheck_date=date(2027, 1, 10)), coordinator
    )
    overdue = make_user(roles=(Role.EDUCATOR,), organisation=organisation, display_name="Overdue Olu")
    profiles.update_dbs(
        overdue, DbsInput(level="enhanced", issue_date=date(2022, 1, 1), recheck_date=date(2026, 11, 1)), coordinator
    )
    later = make_user(roles=(Role.EDUCATOR,), organisation=organisation, display_name="Later Lina")
    profiles.update_dbs(later, DbsInput(level="enhanced", issue_date=date(2026, 1, 1)), coordinator)
    for n in range(12):
        make_user(roles=(Role.EDUCATOR,), organisation=organisation, display_name=f"New {n:02d}")
    db.commit()
    log_in(client, coordinator)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "DBS checks due in 60 days (2)" in page
    assert "Nasrin Karimi" in page and "overdue since" in page and "Later Lina" not in page
    assert "No DBS check recorded (12)" in page
    assert page.count('/dbs"') == 10  # ten shown, with a link to all
    with count_queries() as few:
        client.get("/dashboard")
    for n in range(12, 30):
        make_user(roles=(Role.EDUCATOR,), organisation=organisation, display_name=f"New {n:02d}")
    db.commit()
    with count_queries() as many:
        assert "No DBS check recorded (30)" in client.get("/dashboard").get_data(as_text=True)
    assert many.count == few.count
