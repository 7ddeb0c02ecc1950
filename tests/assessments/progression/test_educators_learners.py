"""Educators and the learners they teach: the learner's record (never the sensitive tier) and progress,
ESOL levels, RARPA reviews and completion; certificates as the organisation's setting says."""

from __future__ import annotations

import sqlalchemy as sa

from lms.assessments.progression.models import Certificate, EsolAssessment, LearningPlan
from lms.core.roles import Role
from lms.people import services as people_services
from lms.people.models import ConvictionFlag
from lms.scheduling.models import EnrolmentStatus
from tests.assessments.progression import test_progression
from tests.assessments.progression.test_progression import enrol_with_attendance, sign_off
from tests.conftest import log_in
from tests.factories import make_cohort, make_enrolment, make_learner, make_user

ESOL = {"esol-kind": "initial", "esol-assessed_date": "2026-11-20", "esol-speaking": "e2", "esol-reading": "e1"}

course_run = test_progression.course_run  # the fixture: a course needing 80% and sign-off, five sessions held


def _count(db, model) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model))


def test_an_educator_opens_a_learner_of_her_cohort_but_not_the_sensitive_tier(client, db, course_run):
    learner, _row = enrol_with_attendance(course_run, 5, given_name="Zainab", family_name="Hussein")
    people_services.update_sensitive(
        learner,
        health_and_access_needs="Epilepsy",
        relevant_unspent_conviction=ConvictionFlag.NO,
        safeguarding_notes="Do not share address",
        actor=course_run["coordinator"],
    )
    db.commit()
    log_in(client, course_run["tutor"])
    record = client.get(f"/learners/{learner.id}")
    assert record.status_code == 200
    html = record.get_data(as_text=True)
    assert "Zainab Hussein" in html
    for hidden in ("Sensitive details", "Epilepsy", "Do not share address", "Immigration status", "Edit details"):
        assert hidden not in html
    assert client.get(f"/learners/{learner.id}?sensitive=1").get_data(as_text=True).count("Epilepsy") == 0
    assert client.post(f"/learners/{learner.id}/sensitive/reveal").status_code == 403
    assert client.get(f"/learners/{learner.id}/sensitive").status_code in (403, 404, 405)
    progress = client.get(f"/learners/{learner.id}/progress")
    assert progress.status_code == 200
    assert "Record levels" in progress.get_data(as_text=True)
    assert "Record outcome" not in progress.get_data(as_text=True)  # outcomes stay with coordinators


def test_an_educator_records_esol_levels_for_a_learner_she_teaches(client, db, course_run, frozen_clock):
    learner, _row = enrol_with_attendance(course_run, 5)
    db.commit()
    log_in(client, course_run["tutor"])
    assert client.post(f"/learners/{learner.id}/esol", data=ESOL).status_code == 302
    rows = db.execute(sa.select(EsolAssessment.skill, EsolAssessment.level, EsolAssessment.learner_id)).all()
    assert sorted((skill.value, level.value) for skill, level, _id in rows) == [("reading", "e1"), ("speaking", "e2")]
    assert {learner_id for *_levels, learner_id in rows} == {learner.id}
    assert "Entry 2" in client.get(f"/learners/{learner.id}/progress").get_data(as_text=True)
    refused = client.post(f"/learners/{learner.id}/esol", data=ESOL | {"esol-assessed_date": "2027-01-30"})
    assert refused.status_code == 400 and "The date cannot be in the future." in refused.get_data(as_text=True)
    assert _count(db, EsolAssessment) == 2


def test_a_cover_educator_reaches_the_learners_of_the_session_she_covers(client, db, course_run):
    from lms.scheduling.timetable import staffing

    learner, _row = enrol_with_attendance(course_run, 5)
    cover = make_user(roles=(Role.EDUCATOR,), organisation=course_run["coordinator"].organisation)
    session = course_run["sessions"][-1]
    staffing.cover(session, course_run["tutor"], cover, course_run["coordinator"])
    db.commit()
    log_in(client, cover)
    assert client.get(f"/learners/{learner.id}").status_code == 200
    assert client.get(f"/learners/{learner.id}/progress").status_code == 200


def test_an_educator_still_cannot_open_a_learner_of_another_cohort(client, db, course_run):
    coordinator = course_run["coordinator"]
    elsewhere = make_cohort(coordinator, name="Another class", allow_late_joiners=True)
    stranger = make_learner(organisation=coordinator.organisation)
    make_enrolment(elsewhere, stranger, actor=coordinator)
    waiting, _row = enrol_with_attendance(course_run, 0)
    withdrawn_place = db.scalars(sa.select(type(_row)).where(type(_row).learner_id == waiting.id)).one()
    withdrawn_place.status = EnrolmentStatus.WITHDRAWN  # no longer on her roster
    db.commit()
    log_in(client, course_run["tutor"])
    for learner in (stranger, waiting):
        assert client.get(f"/learners/{learner.id}").status_code == 404
        assert client.get(f"/learners/{learner.id}/progress").status_code == 404
        assert client.post(f"/learners/{learner.id}/esol", data=ESOL).status_code == 404
        assert client.get(f"/api/v1/learners/{learner.id}").status_code == 401  # the API wants a token
    assert _count(db, EsolAssessment) == 0
    assert client.get("/learners").status_code == 403  # the organisation's list stays with coordinators


def test_the_api_agrees_with_the_pages(client, db, course_run):
    from lms.api.models import TokenScope
    from lms.api.tokens import create_token

    learner, _row = enrol_with_attendance(course_run, 5)
    stranger = make_learner(organisation=course_run["coordinator"].organisation)
    headers = {"Authorization": f"Bearer {create_token(course_run['tutor'], 'api', TokenScope.READ)}"}
    db.commit()
    assert client.get(f"/api/v1/learners/{learner.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/learners/{stranger.id}", headers=headers).status_code == 404


def test_an_educator_records_a_rarpa_review_and_completion(client, db, course_run):
    learner, row = enrol_with_attendance(course_run, 5)
    db.commit()
    log_in(client, course_run["tutor"])
    url = f"/enrolments/{row.id}/plan"
    assert client.post(url, data={"action": "objective", "text": "Order food in English"}).status_code == 302
    objective = db.scalars(sa.select(LearningPlan)).one().objectives[0]
    review = client.post(
        url,
        data={
            "action": "review",
            "review_date": "2026-11-20",
            "educator_comment": "Good",
            f"rating-{objective.id}": "4",
        },
    )
    assert review.status_code == 302
    assert client.post(url, data={"action": "sign_off", "outcome": "fully"}).status_code == 302
    done = client.post(
        f"/cohorts/{course_run['cohort'].id}/certificates", data={"action": "complete"}, follow_redirects=True
    )
    assert "Completed: 1. Did not complete: 0." in done.get_data(as_text=True)
    db.refresh(row)
    assert row.status is EnrolmentStatus.COMPLETED


def test_certificates_page_says_why_an_educator_may_not_issue(client, db, course_run):
    _learner, row = enrol_with_attendance(course_run, 5)
    sign_off(course_run, row)
    db.commit()
    log_in(client, course_run["tutor"])
    url = f"/cohorts/{course_run['cohort'].id}/certificates"
    page = client.get(url).get_data(as_text=True)
    assert "certificates issued by coordinators only" in page
    assert 'name="enrolment_ids"' not in page and 'value="issue"' not in page
    assert "ready" in page  # she sees who qualifies
    refused = client.post(url, data={"type": course_run["type"].id, "enrolment_ids": [row.id], "action": "issue"})
    assert refused.status_code == 403
    assert client.get(f"/cohorts/{course_run['cohort'].id}/certificates.pdf").status_code == 404
    assert _count(db, Certificate) == 0


def test_educators_issue_when_the_organisation_allows_it(client, db, course_run):
    _learner, row = enrol_with_attendance(course_run, 5)
    sign_off(course_run, row)
    course_run["coordinator"].organisation.educators_issue_certificates = True
    db.commit()
    log_in(client, course_run["tutor"])
    url = f"/cohorts/{course_run['cohort'].id}/certificates"
    page = client.get(url).get_data(as_text=True)
    assert f'name="enrolment_ids" value="{row.id}" checked' in page and "coordinators only" not in page
    issued = client.post(
        url, data={"type": course_run["type"].id, "enrolment_ids": [row.id], "action": "issue"}, follow_redirects=True
    )
    assert "Certificates issued: 1." in issued.get_data(as_text=True)
    assert db.scalar(sa.select(Certificate.issued_by_id)) == course_run["tutor"].id
    stranger_tutor = make_user(roles=(Role.EDUCATOR,), organisation=course_run["coordinator"].organisation)
    db.commit()
    log_in(client, stranger_tutor)
    assert client.get(url).status_code == 404
