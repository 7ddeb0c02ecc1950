"""Recording achievements and seeing progress: bad input changes nothing; people see only their own."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from lms.assessments.progression.models import CourseCompletion, EsolAssessment, ExternalCertificate
from lms.core.roles import Role
from lms.courses import services as course_services
from lms.courses.inputs import PathwayInput, StepInput
from lms.people import services as people_services
from tests.conftest import log_in
from tests.factories import make_certificate_type, make_course, make_learner, make_user


def _count(db, model) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model))


def test_esol_levels_recorded_per_skill_and_shown(client, db, login_as, frozen_clock):
    coordinator = login_as(Role.COORDINATOR)
    learner = make_learner(organisation=coordinator.organisation)
    db.commit()
    response = client.post(
        f"/learners/{learner.id}/esol",
        data={
            "esol-kind": "initial",
            "esol-assessed_date": "2026-11-20",
            "esol-speaking": "e2",
            "esol-listening": "e1",
        },
    )
    assert response.status_code == 302
    rows = db.execute(sa.select(EsolAssessment.skill, EsolAssessment.level).order_by(EsolAssessment.skill)).all()
    assert [(skill.value, level.value) for skill, level in rows] == [("listening", "e1"), ("speaking", "e2")]
    page = client.get(f"/learners/{learner.id}/progress").get_data(as_text=True)
    assert "Entry 2" in page and "Entry 1" in page


def test_bad_achievement_input_changes_nothing(client, db, login_as, frozen_clock):
    coordinator = login_as(Role.COORDINATOR)
    learner = make_learner(organisation=coordinator.organisation)
    course = make_course(coordinator.organisation, coordinator)
    external = make_certificate_type()
    db.commit()
    cases = [
        (
            f"/learners/{learner.id}/esol",
            {"esol-kind": "initial", "esol-assessed_date": "2026-11-20", "esol-speaking": "c2"},
            "Not a valid choice.",
        ),
        (
            f"/learners/{learner.id}/esol",
            {"esol-kind": "initial", "esol-assessed_date": "2026-11-20"},
            "Give a level for at least one skill.",
        ),
        (
            f"/learners/{learner.id}/esol",
            {"esol-kind": "exit", "esol-assessed_date": "2026-12-20", "esol-speaking": "e2"},
            "The date cannot be in the future.",
        ),
        (
            f"/learners/{learner.id}/completions",
            {"completion-course_id": course.id, "completion-completed_date": "2027-01-01"},
            "The date cannot be in the future.",
        ),
        (
            f"/learners/{learner.id}/certificates",
            {
                "certificate-certificate_type_id": external.id,
                "certificate-issued_date": "2026-01-10",
                "certificate-expiry_date": "2025-01-10",
            },
            "The expiry date must be after the issue date.",
        ),
    ]
    for path, data, message in cases:
        response = client.post(path, data=data)
        assert response.status_code == 400, (path, data)
        assert message in response.get_data(as_text=True), (path, data)
    assert _count(db, EsolAssessment) == _count(db, CourseCompletion) == _count(db, ExternalCertificate) == 0


def test_learner_sees_own_progress_in_their_language_and_nobody_elses(client, db, frozen_clock):
    coordinator = make_user()
    course = make_course(coordinator.organisation, coordinator, title="ESOL Entry 1")
    course_services.save_course_translation(course, "ar", "الإنجليزية ١", "")
    pathway = course_services.save_pathway(coordinator.organisation, PathwayInput(name="ESOL"), coordinator)
    course_services.save_step(pathway, StepInput(kind="course", course_id=course.id), coordinator)
    learner = make_learner(organisation=coordinator.organisation, phone="07700 900111", preferred_languages="ar")
    other = make_learner(organisation=coordinator.organisation)
    course_services.join_pathway(learner, pathway, date(2026, 9, 1), coordinator)
    people_services.create_learner_login(learner, "2468", coordinator)
    db.commit()
    log_in(client, learner.user)
    own = client.get("/my/progress", follow_redirects=True).get_data(as_text=True)
    assert 'dir="rtl"' in own and "الإنجليزية ١" in own
    assert client.get(f"/learners/{other.id}/progress").status_code == 404
    assert client.post(f"/learners/{learner.id}/esol", data={"esol-kind": "initial"}).status_code == 403


def test_educator_cannot_record_achievements_of_a_learner_she_does_not_teach(client, db, login_as):
    educator = login_as(Role.EDUCATOR)
    learner = make_learner(organisation=educator.organisation)
    db.commit()
    response = client.post(
        f"/learners/{learner.id}/esol",
        data={"esol-kind": "initial", "esol-assessed_date": "2026-11-20", "esol-speaking": "e2"},
    )
    assert response.status_code == 404  # not on any cohort she teaches: as if the learner did not exist
    assert client.post(f"/learners/{learner.id}/outcomes", data={"kind": "employment"}).status_code == 403
    assert _count(db, EsolAssessment) == 0
