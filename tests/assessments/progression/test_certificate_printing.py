"""Reissuing a revoked certificate, the organisation's logo and signatory on certificates, a cohort's
certificates as one PDF, and progression forms that keep what was typed when refused."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image
from pypdf import PdfReader

from lms.assessments.progression import services as progression
from lms.assessments.progression.models import Certificate, LearningPlan, Outcome, Placement
from lms.people import services as people_services
from tests.assessments.progression import test_progression
from tests.assessments.progression.test_progression import enrol_with_attendance, sign_off
from tests.conftest import log_in
from tests.factories import make_organisation

course_run = test_progression.course_run  # the fixture: a course needing 80% and sign-off, five sessions held


def _png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (300, 100), (0, 114, 178)).save(output, format="PNG")
    return output.getvalue()


def _issue_page(client, run, *rows):  # noqa: ANN001, ANN202
    url = f"/cohorts/{run['cohort'].id}/certificates"
    return client.post(
        url,
        data={"type": run["type"].id, "action": "issue", "enrolment_ids": [row.id for row in rows]},
        follow_redirects=True,
    )


def test_a_revoked_certificate_is_reissued_with_a_new_code_and_stays_revoked(client, db, course_run):
    _learner, row = enrol_with_attendance(course_run, 5, given_name="Zainab", family_name="Husein")
    sign_off(course_run, row)
    db.commit()
    log_in(client, course_run["coordinator"])
    assert "Certificates issued: 1." in _issue_page(client, course_run, row).get_data(as_text=True)
    old = db.scalar(sa.select(Certificate))
    revoked = client.post(f"/certificates/{old.id}/revoke", data={"reason": "name misspelt"}, follow_redirects=True)
    assert "Certificate revoked." in revoked.get_data(as_text=True)
    page = client.get(f"/cohorts/{course_run['cohort'].id}/certificates").get_data(as_text=True)
    assert f'name="enrolment_ids" value="{row.id}" checked' in page  # offered again
    assert "name misspelt" in page
    again = _issue_page(client, course_run, row).get_data(as_text=True)
    assert "Certificates issued: 1." in again
    db.expire_all()
    old_row, new_row = db.scalars(sa.select(Certificate).order_by(Certificate.id)).all()
    assert new_row.code != old_row.code and new_row.revoked_dt is None and old_row.revoked_dt is not None
    old_check = client.get(f"/verify/{progression.format_code(old_row.code)}").get_data(as_text=True)
    assert "Revoked" in old_check and "name misspelt" in old_check
    new_check = client.get(f"/verify/{progression.format_code(new_row.code)}").get_data(as_text=True)
    assert "Valid" in new_check and "name misspelt" not in new_check
    api = client.get(f"/api/v1/certificates/{progression.format_code(old_row.code)}").get_json()
    assert api["status"] == "revoked" and api["revoked_reason"] == "name misspelt"


def test_issuing_again_to_someone_who_holds_the_certificate_says_so(client, db, course_run):
    _learner, row = enrol_with_attendance(course_run, 5)
    sign_off(course_run, row)
    db.commit()
    log_in(client, course_run["coordinator"])
    _issue_page(client, course_run, row)
    twice = _issue_page(client, course_run, row).get_data(as_text=True)
    assert "the learners chosen already hold this certificate" in twice
    assert db.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1


def test_certificates_carry_the_logo_and_the_signatory_as_issued(client, db, course_run):
    coordinator = course_run["coordinator"]
    organisation = coordinator.organisation
    organisation.signatory_name, organisation.signatory_title = "Amina Rahman", "Programme Manager"
    people_services.set_logo(organisation, _png(), coordinator)
    _learner, row = enrol_with_attendance(course_run, 5, given_name="Fatima", family_name="Al-Hassan")
    sign_off(course_run, row)
    [certificate] = progression.issue_certificates(course_run["cohort"], course_run["type"], [row.id], coordinator)
    organisation.signatory_name = "Someone Later"  # a later change does not rewrite what was issued
    db.commit()
    log_in(client, coordinator)
    response = client.get(f"/certificates/{certificate.id}.pdf")
    assert response.status_code == 200
    page = PdfReader(io.BytesIO(response.data)).pages[0]
    text = page.extract_text()
    assert "Amina Rahman" in text and "Programme Manager" in text and "Someone Later" not in text
    assert len(page.images) == 2  # the logo and the QR code


def test_a_cohorts_certificates_download_as_one_pdf_one_page_each(client, db, course_run):
    coordinator = course_run["coordinator"]
    coordinator.organisation.signatory_name = "Amina Rahman"
    names = [("Zainab", "Hussein"), ("Selam", "Tesfay"), ("فاطمة", "الحسن")]
    rows = []
    for given, family in names:
        _learner, row = enrol_with_attendance(course_run, 5, given_name=given, family_name=family)
        sign_off(course_run, row)
        rows.append(row)
    issued = progression.issue_certificates(course_run["cohort"], course_run["type"], [r.id for r in rows], coordinator)
    progression.revoke_certificate(issued[1], "name misspelt", coordinator)
    [reissued] = progression.issue_certificates(course_run["cohort"], course_run["type"], [rows[1].id], coordinator)
    db.commit()
    log_in(client, coordinator)
    page = client.get(f"/cohorts/{course_run['cohort'].id}/certificates").get_data(as_text=True)
    assert f"/cohorts/{course_run['cohort'].id}/certificates.pdf" in page
    response = client.get(f"/cohorts/{course_run['cohort'].id}/certificates.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 3  # the revoked one is not printed; its reissue is
    texts = [p.extract_text() for p in reader.pages]
    codes = [progression.format_code(c.code) for c in (issued[0], reissued, issued[2])]
    for code in codes:
        assert sum(code in text for text in texts) == 1
    assert progression.format_code(issued[1].code) not in "".join(texts)
    assert all("Amina Rahman" in text for text in texts)
    assert "فاطمة الحسن" in "\n".join(texts)


def test_no_certificates_yet_gives_a_message_not_an_empty_pdf(client, db, course_run):
    db.commit()
    log_in(client, course_run["coordinator"])
    response = client.get(f"/cohorts/{course_run['cohort'].id}/certificates.pdf", follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "No certificates have been issued for this cohort yet." in response.get_data(as_text=True)


def test_another_organisations_coordinator_cannot_print_them(client, db, course_run):
    from tests.factories import make_user

    _learner, row = enrol_with_attendance(course_run, 5)
    sign_off(course_run, row)
    progression.issue_certificates(course_run["cohort"], course_run["type"], [row.id], course_run["coordinator"])
    stranger = make_user(organisation=make_organisation(name="Elsewhere"))
    db.commit()
    log_in(client, stranger)
    assert client.get(f"/cohorts/{course_run['cohort'].id}/certificates.pdf").status_code == 404


# --- refused forms keep what was typed -------------------------------------------------------------


def test_a_refused_sign_off_returns_the_review_as_typed(client, db, course_run):
    _learner, row = enrol_with_attendance(course_run, 5)
    db.commit()
    log_in(client, course_run["tutor"])
    url = f"/enrolments/{row.id}/plan"
    typed = {
        "action": "sign_off",
        "learner_self_assessment": "I can order coffee now",
        "tutor_judgement": "Confident with menus",
        "planned_outcomes": "Ordering food",
        "unplanned_outcomes": "Made friends in class",
        "next_steps": "Entry 2 in January",
        "confidence": "4",
        "outcome": "",
    }
    refused = client.post(url, data=typed)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "Choose whether the aims were fully, partly or not achieved before signing off." in html
    for value in ("I can order coffee now", "Confident with menus", "Made friends in class", "Entry 2 in January"):
        assert value in html
    assert '<option value="4" selected>' in html
    plan = db.scalars(sa.select(LearningPlan)).one_or_none()
    assert plan is None or (plan.tutor_judgement == "" and plan.signed_off_dt is None)
    no_objectives = client.post(url, data=typed | {"outcome": "partly"}).get_data(as_text=True)
    assert "Add the learning objectives before signing off." in no_objectives
    assert "Confident with menus" in no_objectives and '<option value="partly" selected>' in no_objectives


def test_other_refused_plan_forms_keep_what_was_typed(client, db, course_run):
    _learner, row = enrol_with_attendance(course_run, 5)
    db.commit()
    log_in(client, course_run["tutor"])
    url = f"/enrolments/{row.id}/plan"
    client.post(url, data={"action": "objective", "text": "Read a bus timetable"})
    review = client.post(
        url, data={"action": "review", "review_date": "2027-06-01", "learner_comment": "أنا أتعلم بسرعة"}
    )
    assert review.status_code == 400
    html = review.get_data(as_text=True)
    assert "أنا أتعلم بسرعة" in html and 'value="2027-06-01"' in html
    start = client.post(url, data={"action": "start", "aims": "Get a job in a kitchen", "confidence": "9"})
    assert start.status_code == 400 and "Get a job in a kitchen" in start.get_data(as_text=True)
    too_long = client.post(url, data={"action": "objective", "text": "x" * 1001})
    assert too_long.status_code == 400 and "x" * 1001 in too_long.get_data(as_text=True)
    assert [o.text for o in db.scalars(sa.select(LearningPlan)).one().objectives] == ["Read a bus timetable"]


def test_refused_outcomes_and_placements_come_back_as_typed(client, db, course_run):
    learner, _row = enrol_with_attendance(course_run, 5)
    employer = make_organisation(name="Hilton Leicester", kind="employer")
    db.commit()
    log_in(client, course_run["coordinator"])
    outcome = client.post(
        f"/learners/{learner.id}/outcomes",
        data={
            "kind": "employment",
            "outcome_date": "2027-05-01",
            "organisation_name": "Hilton Leicester",
            "evidence_note": "Payslip seen",
            "hours_per_week": "20",
            "domains": ["work"],
        },
    )
    assert outcome.status_code == 400
    html = outcome.get_data(as_text=True)
    assert "The date cannot be in the future." in html
    assert 'value="Hilton Leicester"' in html and "Payslip seen" in html and 'value="20"' in html
    assert 'value="work" checked' in html and '<option value="employment" selected>' in html
    placement = client.post(
        f"/learners/{learner.id}/placements",
        data={
            "employer_id": employer.id,
            "start_date": "2026-11-10",
            "end_date": "2026-11-01",
            "hours_per_week": "16",
            "mentor_name": "Dev Patel",
            "employer_feedback": "Punctual and keen",
        },
    )
    assert placement.status_code == 400
    html = placement.get_data(as_text=True)
    assert 'value="Dev Patel"' in html and "Punctual and keen" in html and 'value="2026-11-10"' in html
    assert db.scalar(sa.select(sa.func.count()).select_from(Outcome)) == 0
    assert db.scalar(sa.select(sa.func.count()).select_from(Placement)) == 0
