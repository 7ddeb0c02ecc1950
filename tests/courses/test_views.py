"""Curriculum pages through HTTP: coordinators build, educators read, learners see the simple catalogue."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from lms.assessments.progression import achievements
from lms.assessments.progression.models import AssessmentKind
from lms.core.roles import Role
from lms.courses import services
from lms.courses.inputs import PathwayInput, RuleInput, StepInput
from lms.courses.models import Course, EligibilityCheck, Pathway, PathwayStep, Programme, ReportingPeriod
from lms.people import services as people_services
from lms.people.models import ImmigrationStatus
from tests.factories import make_certificate_type, make_course, make_learner, make_programme, make_user


def _count(db, model) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model))


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- programmes ----------------------------------------------------------------------------------


def test_programme_gets_april_to_march_quarters_clipped_to_the_grant(client, db, login_as):
    login_as(Role.COORDINATOR)
    response = client.post(
        "/programmes/new",
        data={
            "name": "Helping Others",
            "start_date": "2026-05-15",
            "end_date": "2027-02-10",
            "reporting_scheme": "april_march_quarters",
            "strands": "Wellbeing\nEmployment",
            "target_participants": "320",
        },
    )
    assert response.status_code == 302
    programme = db.scalars(sa.select(Programme)).one()
    assert programme.strands == ["Wellbeing", "Employment"]
    assert [(t.measure.value, t.value) for t in programme.targets] == [("participants", 320)]
    periods = [(p.name, p.start_date, p.end_date) for p in programme.reporting_periods]
    assert periods == [
        ("2026-27 Q1", date(2026, 5, 15), date(2026, 6, 30)),
        ("2026-27 Q2", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-27 Q3", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-27 Q4", date(2027, 1, 1), date(2027, 2, 10)),
    ]


def test_programme_on_august_to_july_years(client, db, login_as):
    login_as(Role.COORDINATOR)
    client.post(
        "/programmes/new",
        data={
            "name": "ESOL Hub",
            "start_date": "2026-08-01",
            "end_date": "2028-07-31",
            "reporting_scheme": "august_july_years",
        },
    )
    periods = [
        (p.name, p.start_date, p.end_date)
        for p in db.scalars(sa.select(ReportingPeriod).order_by(ReportingPeriod.start_date))
    ]
    assert periods == [
        ("2026-27", date(2026, 8, 1), date(2027, 7, 31)),
        ("2027-28", date(2027, 8, 1), date(2028, 7, 31)),
    ]


def test_custom_period_must_fall_within_the_grant(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    programme = make_programme(
        coordinator.organisation,
        coordinator,
        name="P",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        reporting_scheme="custom",
    )
    db.commit()
    outside = client.post(
        f"/programmes/{programme.id}",
        data={"period-name": "Year 2", "period-start_date": "2027-01-01", "period-end_date": "2027-06-30"},
    )
    assert "A reporting period must fall within the grant period." in _text(outside)
    inside = client.post(
        f"/programmes/{programme.id}",
        data={"period-name": "Spring", "period-start_date": "2026-01-01", "period-end_date": "2026-03-31"},
    )
    assert inside.status_code == 302
    assert [p.name for p in db.scalars(sa.select(ReportingPeriod))] == ["Spring"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "P", "start_date": "2026-05-01", "end_date": "2026-04-01"},
            "The end date must be on or after the start date.",
        ),
        ({"name": "P", "start_date": "2026-05-01", "end_date": "2046-04-01"}, "almost certainly a typing mistake"),
        ({"name": "", "start_date": "2026-05-01", "end_date": "2026-06-01"}, "This field is required."),
        (
            {"name": "P", "start_date": "2026-05-01", "end_date": "2026-06-01", "target_participants": "-3"},
            "Number must be between 0 and 10000000.",
        ),
    ],
)
def test_bad_programme_input_saves_nothing(client, db, login_as, data, message):
    login_as(Role.COORDINATOR)
    response = client.post("/programmes/new", data={"reporting_scheme": "april_march_quarters", **data})
    assert response.status_code == 200
    assert message in _text(response)
    assert _count(db, Programme) == 0


def test_duplicate_programme_name_is_refused(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    make_programme(
        coordinator.organisation, coordinator, name="P", start_date=date(2026, 1, 1), end_date=date(2026, 2, 1)
    )
    db.commit()
    response = client.post(
        "/programmes/new",
        data={"name": "P", "start_date": "2026-05-01", "end_date": "2026-06-01", "reporting_scheme": "custom"},
    )
    assert "This name is already used." in _text(response)
    assert _count(db, Programme) == 1


# --- courses -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "sector_skills"}, "Choose the sector for an English and Skills course."),
        ({"kind": "esol_formal"}, "Choose the ESOL level of an accredited ESOL course."),
        ({"kind": "life_skills", "is_accredited": "y"}, "Choose the qualification an accredited course leads to."),
        ({"kind": "life_skills", "min_attendance_percent": "120"}, "Number must be between 0 and 100."),
        ({"kind": "robots"}, "Not a valid choice."),
    ],
)
def test_bad_course_input_saves_nothing(client, db, login_as, data, message):
    login_as(Role.COORDINATOR)
    response = client.post("/courses/new", data={"code": "X1", "title": "X", **data})
    assert message in _text(response)
    assert _count(db, Course) == 0


def test_course_codes_are_unique_within_an_organisation_only(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    make_course(coordinator.organisation, coordinator, code="ESOL-E1")
    other = make_user()
    make_course(other.organisation, other, code="ESOL-E2")
    db.commit()
    clash = client.post("/courses/new", data={"code": "esol-e1", "title": "Again", "kind": "life_skills"})
    assert "Another course already has this code." in _text(clash)
    fine = client.post("/courses/new", data={"code": "ESOL-E2", "title": "Mine", "kind": "life_skills"})
    assert fine.status_code == 302
    assert _count(db, Course) == 3


def test_translation_shows_in_the_learners_catalogue_in_their_language(client, db, login_as):
    coordinator = make_user()
    course = make_course(coordinator.organisation, coordinator, title="ESOL Entry 1", summary="Speaking")
    db.commit()
    from tests.conftest import log_in

    log_in(client, coordinator)
    response = client.post(
        f"/courses/{course.id}",
        data={"translation-locale": "AR", "translation-title": "الإنجليزية ١", "translation-summary": "التحدث"},
    )
    assert response.status_code == 302
    client.post("/logout")
    learner = make_learner(organisation=coordinator.organisation, preferred_languages="fa ar", phone="07700 900321")
    people_services.create_learner_login(learner, "1357", coordinator)
    db.commit()
    log_in(client, learner.user)
    page = _text(client.get("/catalogue"))
    assert 'lang="ar"' in page and "الإنجليزية ١" in page and "ESOL Entry 1" not in page


def test_bad_translation_language_code_is_refused(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    course = make_course(coordinator.organisation, coordinator)
    db.commit()
    response = client.post(f"/courses/{course.id}", data={"translation-locale": "arabic!", "translation-title": "x"})
    assert "is not a language code" in _text(response)
    db.refresh(course)
    assert course.translations == []


# --- permissions ---------------------------------------------------------------------------------


def test_educator_reads_but_cannot_change_the_curriculum(client, db, login_as):
    educator = login_as(Role.EDUCATOR)
    course = make_course(educator.organisation, make_user(organisation=educator.organisation), title="Life skills")
    db.commit()
    assert client.get("/courses").status_code == 200
    assert client.get(f"/courses/{course.id}").status_code == 200
    assert (
        client.post(
            f"/courses/{course.id}/edit", data={"code": "Z", "title": "Hacked", "kind": "wellbeing"}
        ).status_code
        == 403
    )
    assert (
        client.post(f"/courses/{course.id}", data={"translation-locale": "ar", "translation-title": "x"}).status_code
        == 403
    )
    assert client.post(f"/courses/{course.id}/archive", data={"archived": "1"}).status_code == 403
    assert client.post("/pathways/new", data={"name": "P"}).status_code == 403
    db.refresh(course)
    assert (course.title, course.is_archived, course.translations) == ("Life skills", False, [])


def test_other_organisations_curriculum_is_not_found(client, db, login_as):
    login_as(Role.COORDINATOR)
    outsider = make_user()
    course = make_course(outsider.organisation, outsider)
    pathway = services.save_pathway(outsider.organisation, PathwayInput(name="Theirs"), outsider)
    db.commit()
    assert client.get(f"/courses/{course.id}").status_code == 404
    assert (
        client.post(f"/courses/{course.id}/edit", data={"code": "Z", "title": "Z", "kind": "wellbeing"}).status_code
        == 404
    )
    assert client.get(f"/pathways/{pathway.id}").status_code == 404
    assert (
        client.post(f"/pathways/{pathway.id}/steps/new", data={"kind": "course", "course_id": course.id}).status_code
        == 404
    )


def test_learner_cannot_use_staff_curriculum_pages(client, db, login_as):
    login_as(Role.LEARNER, phone="07700 900654")
    for path in ("/courses", "/programmes", "/pathways", "/rules", "/courses/new"):
        assert client.get(path).status_code == 403, path
    assert client.get("/catalogue").status_code == 200


# --- pathways ------------------------------------------------------------------------------------


@pytest.fixture()
def esol_pathway(db):
    coordinator = make_user()
    org = coordinator.organisation
    e1 = make_course(org, coordinator, code="E1", title="ESOL Entry 1", kind="esol_formal", esol_level="e1")
    e2 = make_course(org, coordinator, code="E2", title="ESOL Entry 2", kind="esol_formal", esol_level="e2")
    pathway = services.save_pathway(org, PathwayInput(name="ESOL"), coordinator)
    first = services.save_step(pathway, StepInput(kind="course", course_id=e1.id), coordinator)
    second = services.save_step(
        pathway, StepInput(kind="course", course_id=e2.id, prerequisite_ids=[first.id]), coordinator
    )
    db.commit()
    return {"coordinator": coordinator, "pathway": pathway, "first": first, "second": second, "e1": e1, "e2": e2}


def test_a_prerequisite_loop_is_refused_and_nothing_changes(client, db, esol_pathway):
    from tests.conftest import log_in

    log_in(client, esol_pathway["coordinator"])
    pathway, first, second = esol_pathway["pathway"], esol_pathway["first"], esol_pathway["second"]
    response = client.post(
        f"/pathways/{pathway.id}/steps/{first.id}/edit",
        data={
            "kind": "course",
            "course_id": esol_pathway["e1"].id,
            "prerequisite_ids": [str(second.id)],
            "is_required": "y",
        },
    )
    assert "would make a loop" in _text(response)
    db.expire_all()
    assert db.get(PathwayStep, first.id).prerequisites == []


def test_a_step_cannot_require_more_than_its_course_teaches(client, db, esol_pathway):
    from tests.conftest import log_in

    log_in(client, esol_pathway["coordinator"])
    pathway = esol_pathway["pathway"]
    response = client.post(
        f"/pathways/{pathway.id}/steps/new",
        data={"kind": "course", "course_id": esol_pathway["e1"].id, "min_speaking": "e3"},
    )
    assert "cannot require Entry 3 to start" in _text(response)
    assert _count(db, PathwayStep) == 2


def test_a_placement_step_needs_a_placement_course(client, db, esol_pathway):
    from tests.conftest import log_in

    log_in(client, esol_pathway["coordinator"])
    response = client.post(
        f"/pathways/{esol_pathway['pathway'].id}/steps/new",
        data={"kind": "placement", "course_id": esol_pathway["e2"].id},
    )
    assert "A placement step needs a work placement course." in _text(response)
    assert _count(db, PathwayStep) == 2


def test_a_step_others_depend_on_cannot_be_removed(client, db, esol_pathway):
    from tests.conftest import log_in

    log_in(client, esol_pathway["coordinator"])
    pathway, first, second = esol_pathway["pathway"], esol_pathway["first"], esol_pathway["second"]
    refused = client.post(f"/pathways/{pathway.id}/steps/{first.id}/remove", follow_redirects=True)
    assert "Other steps need this one first" in _text(refused)
    assert _count(db, PathwayStep) == 2
    assert client.post(f"/pathways/{pathway.id}/steps/{second.id}/remove").status_code == 302
    assert _count(db, PathwayStep) == 1


def test_moving_steps_swaps_their_order(client, db, esol_pathway):
    from tests.conftest import log_in

    log_in(client, esol_pathway["coordinator"])
    pathway, second = esol_pathway["pathway"], esol_pathway["second"]
    client.post(f"/pathways/{pathway.id}/steps/{second.id}/up")
    db.expire_all()
    assert [s.title for s in db.get(Pathway, pathway.id).steps] == ["ESOL Entry 2", "ESOL Entry 1"]


def test_coordinator_sees_who_is_ready_for_the_next_step(client, db, esol_pathway):
    from tests.conftest import log_in

    coordinator, pathway = esol_pathway["coordinator"], esol_pathway["pathway"]
    learner = make_learner(organisation=coordinator.organisation, given_name="Selam")
    services.join_pathway(learner, pathway, date(2026, 9, 1), coordinator)
    db.commit()
    log_in(client, coordinator)
    page = _text(client.get(f"/pathways/{pathway.id}"))
    assert page.count("Selam") == 2  # ready for step 1, and listed as a member
    achievements.record_prior_completion(learner, esol_pathway["e1"], date(2026, 7, 1), "", coordinator)
    db.commit()
    page = _text(client.get(f"/pathways/{pathway.id}"))
    step_two = page.split("ESOL Entry 2", 1)[1]
    assert "Selam" in step_two.split("Learners on this pathway")[0]


def test_pathway_page_queries_do_not_grow_with_members(client, db, esol_pathway, count_queries):
    from tests.conftest import log_in

    coordinator, pathway = esol_pathway["coordinator"], esol_pathway["pathway"]
    log_in(client, coordinator)

    def add_members(n: int) -> None:
        for _ in range(n):
            learner = make_learner(organisation=coordinator.organisation)
            services.join_pathway(learner, pathway, date(2026, 9, 1), coordinator)
            achievements.record_esol_levels(
                learner, {"speaking": "e1"}, AssessmentKind.INITIAL, date(2026, 9, 2), coordinator
            )
        db.commit()

    add_members(2)
    with count_queries() as few:
        assert client.get(f"/pathways/{pathway.id}").status_code == 200
    add_members(20)
    with count_queries() as many:
        assert client.get(f"/pathways/{pathway.id}").status_code == 200
    assert many.count == few.count


# --- eligibility rules ---------------------------------------------------------------------------


def test_rule_check_on_the_six_month_boundary_is_recorded_with_reasons(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    rule = services.save_rule(
        coordinator.organisation,
        RuleInput(
            name="ASF ESOL",
            conditions={
                "immigration": [
                    {"statuses": ["refugee"], "min_months": 0},
                    {"statuses": ["asylum_seeker"], "min_months": 6},
                ]
            },
        ),
        coordinator,
    )
    learner = make_learner(organisation=coordinator.organisation)
    people_services.add_immigration_status(
        learner,
        status=ImmigrationStatus.ASYLUM_SEEKER,
        from_date=date(2026, 1, 15),
        until_date=None,
        note="",
        actor=coordinator,
    )
    db.commit()
    before = _text(client.post(f"/rules/{rule.id}", data={"learner_id": learner.id, "on_date": "2026-07-14"}))
    assert "Not eligible" in before and "eligible from 15 July 2026" in before
    on_the_day = _text(client.post(f"/rules/{rule.id}", data={"learner_id": learner.id, "on_date": "2026-07-15"}))
    assert "Eligible" in on_the_day and "accepted" in on_the_day
    checks = db.scalars(sa.select(EligibilityCheck).order_by(EligibilityCheck.id)).all()
    assert [(c.on_date, c.passed) for c in checks] == [(date(2026, 7, 14), False), (date(2026, 7, 15), True)]
    assert checks[0].reasons[0]["code"] == "immigration.too_recent"
    assert checks[0].checked_by_id == coordinator.id


def test_rule_check_cannot_probe_another_organisations_learner(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    rule = services.save_rule(
        coordinator.organisation, RuleInput(name="Age", conditions={"age": {"min": 18}}), coordinator
    )
    stranger = make_learner()
    db.commit()
    response = client.post(f"/rules/{rule.id}", data={"learner_id": stranger.id, "on_date": "2026-07-14"})
    assert "No learner with this number in your organisation." in _text(response)
    assert _count(db, EligibilityCheck) == 0


def test_rule_with_no_conditions_or_bad_ages_is_refused(client, db, login_as):
    login_as(Role.COORDINATOR)
    empty = client.post("/rules/new", data={"name": "Empty"})
    assert "Give the rule at least one condition." in _text(empty)
    ages = client.post("/rules/new", data={"name": "Ages", "min_age": "30", "max_age": "20"})
    assert "The minimum age cannot be above the maximum age." in _text(ages)
    from lms.courses.models import EligibilityRule

    assert _count(db, EligibilityRule) == 0


def test_external_certificate_step_counts_the_certificate(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    hygiene = make_certificate_type(name="Level 2 Food Hygiene", validity_months=36)
    pathway = services.save_pathway(coordinator.organisation, PathwayInput(name="Hospitality"), coordinator)
    services.save_step(pathway, StepInput(kind="external_certificate", certificate_type_id=hygiene.id), coordinator)
    learner = make_learner(organisation=coordinator.organisation)
    services.join_pathway(learner, pathway, date(2026, 9, 1), coordinator)
    db.commit()
    response = client.post(
        f"/learners/{learner.id}/certificates",
        data={
            "certificate-certificate_type_id": hygiene.id,
            "certificate-issued_date": "2025-01-10",
            "certificate-evidence_seen": "y",
        },
    )
    assert response.status_code == 302
    from lms.assessments.progression.models import ExternalCertificate

    certificate = db.scalars(sa.select(ExternalCertificate)).one()
    assert certificate.expiry_date == date(2028, 1, 9)  # 36 months, to the day before
    assert "Completed" in _text(client.get(f"/learners/{learner.id}/progress"))
