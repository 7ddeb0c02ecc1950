"""Learning plans, completion, certificates (PDF in any script, public verification) and outcomes."""

from __future__ import annotations

import io
import re
from datetime import date, time

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from lms.assessments.attendance import services as attendance
from lms.assessments.progression import services as progression
from lms.assessments.progression.inputs import PlanEndInput, PlanStartInput, ReviewInput
from lms.assessments.progression.models import Certificate, CourseCompletion, LearningPlan, ObjectiveRevision, Outcome
from lms.core.errors import ServiceError
from lms.core.roles import Role
from lms.courses import services as course_services
from lms.courses.models import CertificateKind
from lms.people import services as people_services
from lms.people.models import ConvictionFlag
from lms.scheduling.models import EnrolmentStatus
from lms.scheduling.timetable import staffing
from tests.conftest import log_in
from tests.factories import (
    make_certificate_type,
    make_cohort,
    make_course,
    make_enrolment,
    make_learner,
    make_session,
    make_user,
)


@pytest.fixture()
def course_run(db, frozen_clock):
    """A course needing 80% attendance and sign-off, with five sessions held."""
    coordinator = make_user()
    tutor = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation)
    completion = make_certificate_type(name="Course completion", kind=CertificateKind.PROVIDER, validity_months=None)
    course = make_course(
        coordinator.organisation,
        coordinator,
        title="English and Skills: Hospitality",
        min_attendance_percent=80,
        requires_signoff=True,
        certificate_type_ids=[completion.id],
    )
    cohort = make_cohort(
        coordinator,
        course=course,
        name="Hospitality",
        start_date=date(2026, 10, 1),
        end_date=date(2026, 11, 30),
        capacity=10,
        allow_late_joiners=True,
    )
    staffing.assign_to_cohort(cohort, tutor, "lead", coordinator)
    sessions = [
        make_session(cohort, coordinator, day=date(2026, 11, day), start=time(10), end=time(12))
        for day in (2, 4, 9, 11, 16)
    ]
    db.commit()
    return {
        "coordinator": coordinator,
        "tutor": tutor,
        "cohort": cohort,
        "course": course,
        "sessions": sessions,
        "type": completion,
    }


def enrol_with_attendance(run, attended: int, **learner_fields):
    learner = make_learner(organisation=run["coordinator"].organisation, **learner_fields)
    row = make_enrolment(run["cohort"], learner, actor=run["coordinator"])
    for index, session in enumerate(run["sessions"]):
        status = "present" if index < attended else "absent"
        attendance.save_register(session, [attendance.Entry(f"l{learner.id}", status)], run["coordinator"])
    return learner, row


def sign_off(run, enrolment_row):
    plan = progression.plan_for(enrolment_row)
    progression.add_objective(plan, "Take an order in English", run["tutor"])
    progression.save_end(plan, PlanEndInput(outcome="fully"), run["tutor"], sign_off=True)


def test_exactly_80_percent_attendance_qualifies_and_79_does_not(db, course_run):
    four_of_five, _e1 = enrol_with_attendance(course_run, 4)
    three_of_five, _e2 = enrol_with_attendance(course_run, 3)
    for check in progression.completion_check(course_run["cohort"]):
        sign_off(course_run, check.enrolment)
    checks = {c.enrolment.learner_id: c for c in progression.completion_check(course_run["cohort"])}
    assert checks[four_of_five.id].qualifies and checks[four_of_five.id].rate == 0.8
    assert checks[three_of_five.id].reasons == ["Attendance 60%, below 80%."]


def test_sign_off_is_required_when_the_course_says_so(db, course_run):
    learner, _row = enrol_with_attendance(course_run, 5)
    [check] = progression.completion_check(course_run["cohort"])
    assert check.reasons == ["The learning plan is not signed off."]


def test_completing_makes_the_next_pathway_step_ready(db, course_run):
    learner, row = enrol_with_attendance(course_run, 5)
    sign_off(course_run, row)
    assert progression.complete_cohort(course_run["cohort"], course_run["coordinator"]) == (1, 0)
    assert row.status is EnrolmentStatus.COMPLETED
    assert (
        db.scalar(sa.select(CourseCompletion.course_id).where(CourseCompletion.learner_id == learner.id))
        == course_run["course"].id
    )


def test_issue_after_preview_refuses_anyone_who_does_not_qualify_and_issues_nothing(client, db, course_run):
    good, good_row = enrol_with_attendance(course_run, 5)
    poor, poor_row = enrol_with_attendance(course_run, 2)
    sign_off(course_run, good_row)
    sign_off(course_run, poor_row)
    db.commit()
    log_in(client, course_run["coordinator"])
    url = f"/cohorts/{course_run['cohort'].id}/certificates"
    preview = client.get(url).get_data(as_text=True)
    assert f'name="enrolment_ids" value="{good_row.id}"' in preview
    assert f'name="enrolment_ids" value="{poor_row.id}"' not in preview
    refused = client.post(
        url, data={"type": course_run["type"].id, "enrolment_ids": [good_row.id, poor_row.id]}, follow_redirects=True
    )
    assert "Nothing was issued" in refused.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 0
    client.post(url, data={"type": course_run["type"].id, "enrolment_ids": [good_row.id]})
    certificate = db.scalar(sa.select(Certificate))
    assert certificate.learner_id == good.id and re.fullmatch(r"[2-9A-HJKMNP-Z]{10}", certificate.code)


@pytest.mark.parametrize(
    ("given", "family", "latin"),
    [
        ("فاطمة", "الحسن", "Fatima Al-Hassan"),
        ("ሰላም", "ተስፋይ", "Selam Tesfay"),
        ("مریم", "احمدی", "Maryam Ahmadi"),
        ("Олена", "Коваленко", "Olena Kovalenko"),
    ],
)
def test_the_pdf_carries_the_name_exactly_as_written(app, client, db, course_run, given, family, latin):
    first, last = latin.split(" ", 1)
    learner, row = enrol_with_attendance(
        course_run, 5, given_name=given, family_name=family, given_name_latin=first, family_name_latin=last
    )
    sign_off(course_run, row)
    [certificate] = progression.issue_certificates(
        course_run["cohort"], course_run["type"], [row.id], course_run["coordinator"]
    )
    db.commit()
    log_in(client, course_run["coordinator"])
    response = client.get(f"/certificates/{certificate.id}.pdf")
    assert response.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert f"{given} {family}" in text.splitlines()
    assert latin in text
    assert progression.format_code(certificate.code) in text


def test_verification_shows_valid_expired_and_revoked_and_nothing_else(client, db, course_run, frozen_clock):
    learner, row = enrol_with_attendance(
        course_run, 5, given_name="Amal", family_name="Yousef", phone="07700 900777", email="amal@example.org"
    )
    people_services.update_sensitive(
        learner,
        health_and_access_needs="Diabetes",
        relevant_unspent_conviction=ConvictionFlag.NO,
        safeguarding_notes="",
        actor=course_run["coordinator"],
    )
    sign_off(course_run, row)
    course_run["type"].validity_months = 12
    [certificate] = progression.issue_certificates(
        course_run["cohort"], course_run["type"], [row.id], course_run["coordinator"]
    )
    db.commit()
    code = progression.format_code(certificate.code)
    valid = client.get(f"/verify/{code.lower()}").get_data(as_text=True)
    assert "Valid" in valid and "Amal Yousef" in valid and "English and Skills: Hospitality" in valid
    for private in ("07700", "amal@example.org", "Diabetes", str(learner.id) + "/", "Hospitality</bdi> ·"):
        assert private not in valid
    frozen_clock.advance(days=400)
    assert "Expired" in client.get(f"/verify/{code}").get_data(as_text=True)
    progression.revoke_certificate(certificate, "Issued in error", course_run["coordinator"])
    db.commit()
    assert "Revoked" in client.get(f"/verify/{code}").get_data(as_text=True)
    unknown = client.get("/verify/2222-3333-44")
    assert unknown.status_code == 404 and "No certificate has this code" in unknown.get_data(as_text=True)


def test_certificates_are_private_to_the_learner_and_their_coordinators(client, db, course_run):
    learner, row = enrol_with_attendance(course_run, 5, phone="07700 900778")
    sign_off(course_run, row)
    [certificate] = progression.issue_certificates(
        course_run["cohort"], course_run["type"], [row.id], course_run["coordinator"]
    )
    people_services.create_learner_login(learner, "2468", course_run["coordinator"])
    other = make_learner(organisation=course_run["coordinator"].organisation, phone="07700 900779")
    people_services.create_learner_login(other, "2468", course_run["coordinator"])
    db.commit()
    log_in(client, learner.user)
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code == 200
    assert "Course completion" in client.get("/my/certificates").get_data(as_text=True)
    client.post("/logout")
    log_in(client, other.user)
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code == 404
    client.post("/logout")
    log_in(client, make_user())
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code == 404


def test_educators_edit_plans_only_for_their_cohorts_and_learners_only_read_their_own(client, db, course_run):
    learner, row = enrol_with_attendance(course_run, 5, phone="07700 900780")
    people_services.create_learner_login(learner, "2468", course_run["coordinator"])
    stranger_tutor = make_user(roles=(Role.EDUCATOR,), organisation=course_run["coordinator"].organisation)
    db.commit()
    url = f"/enrolments/{row.id}/plan"
    log_in(client, course_run["tutor"])
    assert client.post(url, data={"action": "objective", "text": "Read a menu"}).status_code == 302
    client.post("/logout")
    log_in(client, stranger_tutor)
    assert client.get(url).status_code == 404
    assert client.post(url, data={"action": "objective", "text": "Hack"}).status_code == 404
    client.post("/logout")
    log_in(client, learner.user)
    assert "Read a menu" in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"action": "objective", "text": "Mine"}).status_code == 403
    texts = db.scalars(sa.select(LearningPlan)).one().objectives
    assert [o.text for o in texts] == ["Read a menu"]


def test_objectives_keep_their_history_and_bad_plan_input_changes_nothing(db, course_run, frozen_clock):
    _learner, row = enrol_with_attendance(course_run, 5)
    plan = progression.plan_for(row)
    objective = progression.add_objective(plan, "Speak on the phone", course_run["tutor"])
    progression.revise_objective(objective, "Take a booking on the phone", course_run["tutor"])
    assert [(r.old_text, r.new_text) for r in db.scalars(sa.select(ObjectiveRevision))] == [
        ("Speak on the phone", "Take a booking on the phone")
    ]
    with pytest.raises(ServiceError, match="Write the objective."):
        progression.add_objective(plan, "   ", course_run["tutor"])
    with pytest.raises(ServiceError, match="Ratings go from 1 to 5."):
        progression.save_start(plan, PlanStartInput(confidence=7), course_run["tutor"])
    with pytest.raises(ServiceError, match="cannot be in the future"):
        progression.add_review(
            plan, ReviewInput(review_date=date(2027, 1, 1), educator_comment="x"), course_run["tutor"]
        )
    with pytest.raises(ServiceError, match="before signing off"):
        progression.save_end(plan, PlanEndInput(), course_run["tutor"], sign_off=True)


def test_outcomes_need_a_real_date_and_hours_for_work(client, db, course_run, frozen_clock):
    learner, _row = enrol_with_attendance(course_run, 5)
    db.commit()
    log_in(client, course_run["coordinator"])
    url = f"/learners/{learner.id}/outcomes"
    future = client.post(
        url, data={"kind": "employment", "outcome_date": "2027-01-01", "hours_per_week": "20"}, follow_redirects=True
    )
    assert "The date cannot be in the future." in future.get_data(as_text=True)
    no_hours = client.post(url, data={"kind": "employment", "outcome_date": "2026-11-20"}, follow_redirects=True)
    assert "Enter the hours a week." in no_hours.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Outcome)) == 0
    client.post(
        url,
        data={
            "kind": "employment",
            "outcome_date": "2026-11-20",
            "hours_per_week": "20",
            "organisation_name": "Haymarket Hotel",
            "domains": ["work", "language"],
        },
    )
    outcome = db.scalar(sa.select(Outcome))
    assert (outcome.hours_per_week, outcome.domains) == (20, ["language", "work"])
    with pytest.raises(ServiceError, match="due on 2027-02-19"):
        progression.confirm_sustained(outcome, 13, True, course_run["coordinator"])


def test_course_translation_does_not_change_the_certificate(db, course_run):
    _learner, row = enrol_with_attendance(course_run, 5)
    sign_off(course_run, row)
    course_services.save_course_translation(course_run["course"], "ar", "الضيافة", "")
    [certificate] = progression.issue_certificates(
        course_run["cohort"], course_run["type"], [row.id], course_run["coordinator"]
    )
    assert certificate.course_title == "English and Skills: Hospitality"


def test_api_preview_then_issue_all_or_none_and_verify(client, db, course_run):
    from lms.api.models import TokenScope
    from lms.api.tokens import create_token

    qualifies, ok_row = enrol_with_attendance(course_run, 5)
    sign_off(course_run, ok_row)
    _, short_row = enrol_with_attendance(course_run, 2)
    coordinator, tutor = course_run["coordinator"], course_run["tutor"]
    headers = {u: {"Authorization": f"Bearer {create_token(u, 'api', TokenScope.WRITE)}"} for u in (coordinator, tutor)}
    db.commit()
    cohort_id, type_id = course_run["cohort"].id, course_run["type"].id

    preview = client.get(
        f"/api/v1/cohorts/{cohort_id}/certificate-preview?certificate_type_id={type_id}", headers=headers[tutor]
    ).get_json()["rows"]
    by_enrolment = {row["enrolment_id"]: row for row in preview}
    assert by_enrolment[ok_row.id]["qualifies"] and not by_enrolment[short_row.id]["qualifies"]
    assert by_enrolment[short_row.id]["reasons"]

    url = f"/api/v1/cohorts/{cohort_id}/certificates"
    body = {"certificate_type_id": type_id, "enrolment_ids": [ok_row.id, short_row.id]}
    assert client.post(url, json=body, headers=headers[tutor]).status_code == 403
    refused = client.post(url, json=body, headers=headers[coordinator])
    assert refused.status_code == 422 and db.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 0
    issued = client.post(url, json=body | {"enrolment_ids": [ok_row.id]}, headers=headers[coordinator])
    [certificate] = issued.get_json()["issued"]
    check = client.get(f"/api/v1/certificates/{certificate['code']}").get_json()
    assert check["status"] == "valid" and check["holder_name"] == qualifies.full_name
