"""What a funder return counts, and when: outcomes by their own date, drop-ins after a merge,
completions by the course's rules, periods a funder may ask for, names in the reader's language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from lms.assessments.attendance import services as attendance
from lms.assessments.attendance.models import AttendanceMark
from lms.assessments.progression import services as progression
from lms.assessments.progression.inputs import OutcomeInput
from lms.assessments.progression.jobs import complete_ended_classes
from lms.core.roles import Role
from lms.courses.models import CertificateKind
from lms.people.models import OrganisationKind
from lms.reports.queries import funder_return
from lms.scheduling.cohorts import enrolment as enrolment_service
from lms.scheduling.models import Enrolment, EnrolmentStatus
from tests.conftest import log_in
from tests.factories import (
    make_certificate_type,
    make_cohort,
    make_course,
    make_enrolment,
    make_learner,
    make_organisation,
    make_programme,
    make_session,
    make_user,
)

Q3 = (date(2026, 10, 1), date(2026, 12, 31))
Q4 = (date(2027, 1, 1), date(2027, 3, 31))
GRANT = (date(2026, 4, 1), date(2027, 3, 31))


@pytest.fixture()
def autumn(db, frozen_clock):
    """A programme over April 2026 to March 2027 with one class in November; the clock at the end of March."""
    frozen_clock.now = datetime(2027, 3, 31, 12, tzinfo=UTC)
    coordinator = make_user()
    funder = make_organisation(name="Funder", kind=OrganisationKind.FUNDER)
    programme = make_programme(coordinator.organisation, coordinator, name="Autumn", funder_id=funder.id)
    course = make_course(coordinator.organisation, coordinator, min_attendance_percent=50)
    cohort = make_cohort(
        coordinator,
        course=course,
        programme_id=programme.id,
        start_date=date(2026, 11, 1),
        end_date=date(2026, 11, 30),
        capacity=20,
        allow_late_joiners=True,
    )
    sessions = [make_session(cohort, coordinator, day=date(2026, 11, d), start=time(10), end=time(12)) for d in (2, 9)]
    db.commit()
    return {
        "coordinator": coordinator,
        "funder": funder,
        "programme": programme,
        "cohort": cohort,
        "sessions": sessions,
    }


def attend(autumn, learner, status="present", session_index=0):  # noqa: ANN001, ANN201
    attendance.save_register(
        autumn["sessions"][session_index], [attendance.Entry(f"l{learner.id}", status)], autumn["coordinator"]
    )


def figures(programme, period):  # noqa: ANN001, ANN201
    return funder_return(programme, *period).figures


def test_a_job_after_the_course_counts_in_the_quarter_it_starts_once_per_learner(db, autumn):
    learner = make_learner(organisation=autumn["coordinator"].organisation)
    make_enrolment(autumn["cohort"], learner, actor=autumn["coordinator"])
    attend(autumn, learner)
    record = progression.record_outcome
    record(
        learner,
        OutcomeInput(kind="employment", outcome_date=date(2026, 10, 20), hours_per_week=30),
        autumn["coordinator"],
    )
    record(
        learner,
        OutcomeInput(kind="employment", outcome_date=date(2027, 1, 15), hours_per_week=20),
        autumn["coordinator"],
    )
    record(
        learner,
        OutcomeInput(kind="self_employment", outcome_date=date(2027, 2, 1), hours_per_week=25),
        autumn["coordinator"],
    )
    db.commit()
    # The October job came before she took part; January's is her first after; February's is a second job.
    assert figures(autumn["programme"], Q3)["into_work"] == 0
    assert (figures(autumn["programme"], Q4)["into_work"], figures(autumn["programme"], Q4)["into_work_16_hours"]) == (
        1,
        1,
    )
    assert figures(autumn["programme"], GRANT)["into_work"] == 1


def test_sustainment_counts_in_the_quarter_the_check_falls_due(db, autumn):
    learner = make_learner(organisation=autumn["coordinator"].organisation)
    make_enrolment(autumn["cohort"], learner, actor=autumn["coordinator"])
    attend(autumn, learner)
    job = progression.record_outcome(
        learner,
        OutcomeInput(kind="employment", outcome_date=date(2026, 11, 20), hours_per_week=16),
        autumn["coordinator"],
    )
    progression.confirm_sustained(job, 13, True, autumn["coordinator"])  # due 19 February 2027
    db.commit()
    q3, q4 = figures(autumn["programme"], Q3), figures(autumn["programme"], Q4)
    assert (q3["into_work"], q3["sustained_13_weeks"]) == (1, 0)
    assert (q4["into_work"], q4["sustained_13_weeks"]) == (0, 1)


def test_a_merged_drop_in_attendee_brings_their_attendance(client, db, autumn):
    coordinator = autumn["coordinator"]
    drop_in = make_cohort(
        coordinator,
        programme_id=autumn["programme"].id,
        is_drop_in=True,
        start_date=date(2026, 11, 1),
        end_date=date(2026, 11, 30),
    )
    first, second = (
        make_session(drop_in, coordinator, day=date(2026, 11, d), start=time(14), end=time(16)) for d in (3, 10)
    )
    zainab = enrolment_service.add_drop_in_attendee(drop_in, "Zainab", date(2026, 11, 3), coordinator)
    twice = enrolment_service.add_drop_in_attendee(drop_in, "Zainab H", date(2026, 11, 10), coordinator)
    learner = make_learner(organisation=coordinator.organisation, given_name="Zainab")
    for session in (first, second):
        attendance.save_register(session, [attendance.Entry(f"a{zainab.id}", "present")], coordinator)
    attendance.save_register(second, [attendance.Entry(f"a{twice.id}", "late", minutes_late=30)], coordinator)
    db.commit()
    before = figures(autumn["programme"], Q3)
    assert (before["participants"], before["contact_hours"], before["drop_in_unlinked"]) == (0, 0, 2)

    log_in(client, coordinator)
    assert client.post(f"/drop-in/{twice.id}/merge", data={"learner_id": learner.id}).status_code == 302
    middle = figures(autumn["programme"], Q3)
    assert (middle["participants"], middle["contact_hours"], middle["drop_in_unlinked"]) == (1, 1.5, 1)
    assert client.post(f"/drop-in/{zainab.id}/merge", data={"learner_id": learner.id}).status_code == 302
    after = figures(autumn["programme"], Q3)
    # The first session's mark moved to her; on the second, the mark she already had (late) was kept.
    assert (after["participants"], after["contact_hours"], after["drop_in_unlinked"]) == (1, 3.5, 0)
    marks = db.scalars(sa.select(AttendanceMark).where(AttendanceMark.learner_id == learner.id)).all()
    assert sorted(m.status.value for m in marks) == ["late", "present"]
    assert db.scalar(sa.select(sa.func.count()).where(AttendanceMark.attendee_id == zainab.id)) == 0


def test_completions_follow_the_course_rules_when_certificates_are_issued_or_the_class_ends(db, autumn):
    coordinator, cohort = autumn["coordinator"], autumn["cohort"]
    certificate_type = make_certificate_type(kind=CertificateKind.PROVIDER, validity_months=None)
    cohort.course.certificate_types.append(certificate_type)
    came, also_came, missed = (make_learner(organisation=coordinator.organisation) for _ in range(3))
    places = [make_enrolment(cohort, learner, actor=coordinator) for learner in (came, also_came, missed)]
    for learner in (came, also_came):
        attend(autumn, learner, session_index=0)
        attend(autumn, learner, session_index=1)
    attend(autumn, missed, "absent", 0)
    attend(autumn, missed, "absent", 1)
    progression.issue_certificates(cohort, certificate_type, [places[0].id], coordinator, on=date(2026, 12, 4))
    db.commit()
    assert figures(autumn["programme"], Q3)["completions"] == 1  # the certificate completed the first place
    assert figures(autumn["programme"], Q3)["certificates"] == 1

    summary = complete_ended_classes(datetime(2027, 1, 2, 1, 30, tzinfo=UTC))
    db.commit()
    assert summary == {"classes": 1, "completed": 1}  # the second place met the rules; the third did not
    statuses = {e.learner_id: e.status for e in db.scalars(sa.select(Enrolment))}
    assert statuses[also_came.id] is EnrolmentStatus.COMPLETED and statuses[missed.id] is EnrolmentStatus.ENROLLED
    assert db.get(Enrolment, places[1].id).completed_date == date(2026, 11, 30)
    assert figures(autumn["programme"], Q3)["completions"] == 2
    assert figures(autumn["programme"], Q4)["completions"] == 0


def page_error(response) -> str:  # noqa: ANN001
    found = re.search(
        r'<p class="error-message" role="alert" id="period-error">([^<]*)</p>', response.get_data(as_text=True)
    )
    return found.group(1) if found else ""


def test_periods_a_reader_may_not_have_are_refused_with_a_reason(client, db, autumn):
    funder_viewer = make_user(roles=(Role.FUNDER_VIEWER,), organisation=autumn["funder"])
    db.commit()
    url = f"/reports/programmes/{autumn['programme'].id}"
    log_in(client, funder_viewer)
    short = client.get(f"{url}?from=2026-11-01&to=2026-11-20")
    assert short.status_code == 400 and "a month or more" in page_error(short)
    assert client.get(f"{url}?from=2026-11-01&to=2026-11-30").status_code == 200
    assert client.get(f"{url}.csv?from=2026-11-01&to=2026-11-02").status_code == 400
    api_short = client.get(f"/api/v1/programmes/{autumn['programme'].id}/funder-return?from=2026-11-01&to=2026-11-02")
    assert api_short.status_code in (400, 401)

    client.post("/logout")
    log_in(client, autumn["coordinator"])
    assert client.get(f"{url}?from=2026-11-01&to=2026-11-02").status_code == 200  # coordinators may
    outside = client.get(f"{url}?from=2027-03-01&to=2027-04-30")
    assert outside.status_code == 400 and "within the grant" in page_error(outside)
    backwards = client.get(f"{url}?from=2026-12-01&to=2026-11-01")
    assert backwards.status_code == 400 and "before its start" in page_error(backwards)
    garbled = client.get(f"{url}?from=tomorrow")
    assert garbled.status_code == 400 and "day, month and year" in page_error(garbled)
    empty = client.get(f"{url}?from=2026-05-01&to=2026-05-31")
    assert empty.status_code == 200 and "No sessions were held in this period." in empty.get_data(as_text=True)


def test_arabic_reader_gets_an_arabic_error(client, db, autumn):
    log_in(client, autumn["coordinator"])
    client.post("/language", data={"locale": "ar"})
    response = client.get(f"/reports/programmes/{autumn['programme'].id}?from=2026-12-01&to=2026-11-01")
    assert response.status_code == 400
    assert page_error(response) and page_error(response) != "The end of the period is before its start."


def test_nationalities_and_languages_are_named_in_the_readers_language(client, db, autumn):
    learner = make_learner(
        organisation=autumn["coordinator"].organisation, nationality="SY", preferred_languages="ar en"
    )
    make_enrolment(autumn["cohort"], learner, actor=autumn["coordinator"])
    attend(autumn, learner)
    db.commit()
    report = funder_return(autumn["programme"], *Q3)
    assert report.breakdowns["nationality"] == [("Syria", 1)]
    assert report.breakdowns["language"] == [("Arabic", 1)]


def test_a_funders_charts_and_their_labels_hide_what_the_table_hides(client, db, autumn):
    from lms.courses.inputs import ProgrammeInput  # noqa: F401 - the programme's targets are set by the service

    learner = make_learner(organisation=autumn["coordinator"].organisation)
    make_enrolment(autumn["cohort"], learner, actor=autumn["coordinator"])
    attend(autumn, learner)
    programme = make_programme(
        autumn["coordinator"].organisation,
        autumn["coordinator"],
        name="Targets",
        funder_id=autumn["funder"].id,
        targets={"participants": 30},
    )
    autumn["cohort"].programme_id = programme.id
    funder_viewer = make_user(roles=(Role.FUNDER_VIEWER,), organisation=autumn["funder"])
    db.commit()
    log_in(client, funder_viewer)
    page = client.get(f"/reports/programmes/{programme.id}?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    chart = re.search(r'<div class="bar-chart" id="chart-targets".*?</div></div>', page, re.S).group(0)
    assert "[c]" in chart and ">1<" not in chart and ": 1 " not in chart  # not in the text nor the aria-label
    assert "<rect" not in chart  # no bar whose length could be measured
    assert len(re.findall(r'id="chart-targets"', page)) == 1 and len(re.findall(r'id="chart-gains"', page)) == 1


def test_programmes_side_by_side_and_the_period_before(client, db, autumn):
    coordinator = autumn["coordinator"]
    other = make_programme(coordinator.organisation, coordinator, name="Spring", start_date=date(2027, 1, 1))
    learner = make_learner(organisation=coordinator.organisation)
    make_enrolment(autumn["cohort"], learner, actor=coordinator)
    attend(autumn, learner)
    db.commit()
    log_in(client, coordinator)
    page = client.get(
        f"/reports/compare?programme={autumn['programme'].id}&programme={other.id}&from=2026-10-01&to=2027-03-31"
    ).get_data(as_text=True)
    row = re.search(r"Unique participants</span></th>(.*?)</tr>", page).group(1)  # the compare page
    assert re.findall(r"<td>([^<]*)</td>", row) == ["1", "0"]
    assert "1 Jan 2027" in page  # the spring programme is clipped to its own grant

    december = client.get(f"/reports/programmes/{autumn['programme'].id}?from=2026-12-01&to=2026-12-31")
    assert "Period before" in december.get_data(as_text=True)
    funder_viewer = make_user(roles=(Role.FUNDER_VIEWER,), organisation=autumn["funder"])
    db.commit()
    client.post("/logout")
    log_in(client, funder_viewer)
    assert client.get("/reports/compare").status_code in (403, 404)


def test_a_return_runs_the_same_statements_for_one_learner_or_many(db, autumn, count_queries):
    def add_learner_with_everything() -> None:
        learner = make_learner(organisation=autumn["coordinator"].organisation, nationality="AF")
        make_enrolment(autumn["cohort"], learner, actor=autumn["coordinator"])
        attend(autumn, learner)
        progression.record_outcome(
            learner,
            OutcomeInput(kind="education", outcome_date=date(2027, 1, 10), domains=["education"]),
            autumn["coordinator"],
        )

    add_learner_with_everything()
    db.commit()
    with count_queries() as few:
        funder_return(autumn["programme"], *GRANT)
    for _ in range(6):
        add_learner_with_everything()
    db.commit()
    with count_queries() as many:
        report = funder_return(autumn["programme"], *GRANT)
    assert report.figures["participants"] == 7 and report.figures["into_training"] == 7
    assert len(many.statements) == len(few.statements) == 21


def test_a_funder_sees_no_average_of_fewer_than_five_plans(db, autumn):
    from lms.reports.disclosure import publish
    from lms.reports.queries import FunderReturn

    report = FunderReturn(autumn["programme"], *Q3)
    report.figures = dict.fromkeys(("participants", "referrals_in", "into_work", "into_work_16_hours"), 0)
    report.ratings = [("confidence", 2.0, 4.0, 3), ("wellbeing", 2.5, 3.5, 5)]
    funder = publish(report, protect=True)
    assert [(key, before.shown, after.shown) for key, before, after in funder.ratings] == [
        ("confidence", "[c]", "[c]"),
        ("wellbeing", "2.5", "3.5"),
    ]
    assert publish(report, protect=False).ratings[0][1].shown == "2"
