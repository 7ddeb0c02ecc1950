"""Enrolment: exact capacity under concurrency, a fair waitlist, eligibility on the day, clear refusals."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lms.core.roles import Role
from lms.courses import services as course_services
from lms.courses.inputs import RuleInput
from lms.courses.models import EligibilityCheck
from lms.extensions import db as _db
from lms.people import services as people_services
from lms.people.models import ImmigrationStatus
from lms.scheduling.cohorts import enrolment as service
from lms.scheduling.cohorts import services as scheduling_services
from lms.scheduling.cohorts.inputs import CohortInput, ReferralInput
from lms.scheduling.models import Cohort, Enrolment, EnrolmentStatus, Referral, ReferralStatus
from lms.scheduling.timetable import staffing
from tests.conftest import log_in
from tests.factories import (
    make_cohort,
    make_course,
    make_enrolment,
    make_learner,
    make_programme,
    make_user,
    make_venue,
)

#: Open for enrolment and not started on the frozen clock's day (2026-11-25); no late joiners.
UPCOMING = {"status": "open", "start_date": date(2026, 12, 1), "end_date": date(2027, 2, 1)}


def statuses(db, cohort: Cohort | int) -> dict[str, int]:
    cohort_id = cohort if isinstance(cohort, int) else cohort.id
    rows = db.execute(
        sa.select(Enrolment.status, sa.func.count()).where(Enrolment.cohort_id == cohort_id).group_by(Enrolment.status)
    ).all()
    return {status.value: count for status, count in rows}


@pytest.fixture()
def coordinator(db):
    user = make_user()
    db.commit()
    return user


# --- capacity under concurrency ------------------------------------------------------------------


@pytest.mark.slow
def test_forty_concurrent_enrolments_fill_exactly_twelve_places(app, client, db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING, capacity=12)
    learners = [make_learner(organisation=coordinator.organisation) for _ in range(40)]
    db.commit()
    cohort_id, learner_ids = cohort.id, [learner.id for learner in learners]
    log_in(client, coordinator)
    cookie = client.get_cookie("session", domain="pathways.test").value
    responses: list[int] = []
    barrier = threading.Barrier(len(learner_ids))

    def apply(learner_id: int) -> None:
        own = app.test_client()  # its own request, app context, session and connection
        own.set_cookie("session", cookie, domain="pathways.test")
        barrier.wait()
        response = own.post(f"/cohorts/{cohort_id}/enrol", data={"enrol-learner_ids": [str(learner_id)]})
        responses.append(response.status_code)

    threads = [threading.Thread(target=apply, args=(learner_id,)) for learner_id in learner_ids]
    db.close()  # hold no transaction (and so no SQLite lock) in the test while the requests run
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(set(responses)) == [200]
    assert len(responses) == 40
    assert statuses(db, cohort_id) == {"enrolled": 12, "waitlisted": 28}
    assert db.get(Cohort, cohort_id).places_taken == 12
    assert db.scalar(sa.select(sa.func.count(sa.distinct(Enrolment.learner_id)))) == 40


@pytest.mark.slow
def test_the_same_learner_enrolled_twice_at_once_gets_one_place(app, client, db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING, capacity=5)
    learner = make_learner(organisation=coordinator.organisation)
    db.commit()
    cohort_id, learner_id = cohort.id, learner.id
    log_in(client, coordinator)
    cookie = client.get_cookie("session", domain="pathways.test").value
    pages: list[str] = []
    barrier = threading.Barrier(8)

    def apply() -> None:
        own = app.test_client()
        own.set_cookie("session", cookie, domain="pathways.test")
        barrier.wait()
        pages.append(
            own.post(f"/cohorts/{cohort_id}/enrol", data={"enrol-learner_ids": [str(learner_id)]}).get_data(
                as_text=True
            )
        )

    threads = [threading.Thread(target=apply) for _ in range(8)]
    db.close()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum("<strong>Enrolled.</strong>" in page for page in pages) == 1
    assert sum("already in this cohort" in page for page in pages) == 7
    assert statuses(db, cohort_id) == {"enrolled": 1}
    assert db.get(Cohort, cohort_id).places_taken == 1


# --- the waitlist --------------------------------------------------------------------------------


def test_a_freed_place_is_offered_to_the_first_in_the_queue(db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING, capacity=2, offer_hours=48)
    first, second, third, fourth = (make_learner(organisation=coordinator.organisation) for _ in range(4))
    results = []
    for learner in (first, second, third, fourth):
        results.append(service.enrol(cohort, learner, actor=coordinator).outcome)
        frozen_clock.advance(minutes=1)
    assert results == ["enrolled", "enrolled", "waitlisted", "waitlisted"]
    offers = service.withdraw(results_enrolment(db, cohort, first), "Found work", coordinator)
    assert [offer.learner_id for offer in offers] == [third.id]
    assert offers[0].status is EnrolmentStatus.OFFERED
    assert offers[0].offer_expires_dt == frozen_clock.now + timedelta(hours=48)
    assert cohort.places_taken == 2  # the place passed on, still held
    service.accept_offer(offers[0], coordinator)
    assert statuses(db, cohort) == {"enrolled": 2, "waitlisted": 1, "withdrawn": 1}


def results_enrolment(db, cohort, learner) -> Enrolment:
    return db.scalar(sa.select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.learner_id == learner.id))


def test_nobody_is_promoted_after_the_start_unless_late_joiners_are_allowed(db, coordinator, frozen_clock):
    cohort = make_cohort(
        coordinator, status="open", start_date=date(2026, 11, 26), end_date=date(2027, 2, 1), capacity=1
    )
    first, second = (make_learner(organisation=coordinator.organisation) for _ in range(2))
    make_enrolment(cohort, first, actor=coordinator)
    make_enrolment(cohort, second, actor=coordinator)
    frozen_clock.advance(days=2)  # the cohort started yesterday
    assert service.withdraw(results_enrolment(db, cohort, first), "Moved away", coordinator) == []
    assert statuses(db, cohort) == {"waitlisted": 1, "withdrawn": 1}
    assert cohort.places_taken == 0
    cohort.allow_late_joiners = True
    offers = service.fill_places(cohort)
    assert [offer.learner_id for offer in offers] == [second.id]


def test_joining_on_the_first_day_is_still_allowed(db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, status="open", start_date=date(2026, 11, 25), end_date=date(2027, 2, 1))
    assert (
        service.enrol(cohort, make_learner(organisation=coordinator.organisation), actor=coordinator).outcome
        == "enrolled"
    )


def test_expired_offers_pass_on_and_running_twice_changes_nothing_more(db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING, capacity=1, offer_hours=24)
    first, second, third = (make_learner(organisation=coordinator.organisation) for _ in range(3))
    for learner in (first, second, third):
        make_enrolment(cohort, learner, actor=coordinator)
        frozen_clock.advance(minutes=1)
    service.withdraw(results_enrolment(db, cohort, first), "Ill", coordinator)
    frozen_clock.advance(hours=23)
    assert service.expire_offers() == 0
    frozen_clock.advance(hours=2)
    assert service.expire_offers() == 1
    assert results_enrolment(db, cohort, second).status is EnrolmentStatus.WITHDRAWN
    assert results_enrolment(db, cohort, third).status is EnrolmentStatus.OFFERED
    assert service.expire_offers() == 0
    assert cohort.places_taken == 1
    with pytest.raises(Exception, match="There is no open offer"):
        service.accept_offer(results_enrolment(db, cohort, second), coordinator)


def test_creche_places_are_counted_separately(db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING, capacity=5, creche_capacity=1)
    mother, father, single = (make_learner(organisation=coordinator.organisation) for _ in range(3))
    assert service.enrol(cohort, mother, actor=coordinator, needs_creche=True).outcome == "enrolled"
    waiting = service.enrol(cohort, father, actor=coordinator, needs_creche=True)
    assert (waiting.outcome, waiting.message) == ("waitlisted", "On the waitlist: no crèche place is free.")
    assert service.enrol(cohort, single, actor=coordinator).outcome == "enrolled"
    offers = service.withdraw(results_enrolment(db, cohort, mother), "Childminder found elsewhere", coordinator)
    assert [offer.learner_id for offer in offers] == [father.id]
    assert (cohort.places_taken, cohort.creche_places_taken) == (2, 1)


# --- refusals change nothing ---------------------------------------------------------------------


def _snapshot(db, cohort):
    db.expire_all()
    return (
        statuses(db, cohort),
        db.get(Cohort, cohort.id).places_taken,
        db.scalar(sa.select(sa.func.count()).select_from(EligibilityCheck)),
    )


def test_ineligible_learner_is_refused_with_the_reason_and_nothing_changes(client, db, coordinator, frozen_clock):
    rule = course_services.save_rule(
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
    programme = make_programme(
        coordinator.organisation,
        coordinator,
        name="ESOL Hub",
        start_date=date(2026, 8, 1),
        end_date=date(2027, 7, 31),
        eligibility_rule_id=rule.id,
    )
    cohort = make_cohort(coordinator, **UPCOMING, programme_id=programme.id)
    recent = make_learner(organisation=coordinator.organisation, given_name="Selam")
    people_services.add_immigration_status(
        recent,
        status=ImmigrationStatus.ASYLUM_SEEKER,
        from_date=date(2026, 7, 1),
        until_date=None,
        note="",
        actor=coordinator,
    )
    settled = make_learner(organisation=coordinator.organisation, given_name="Maryam")
    people_services.add_immigration_status(
        settled,
        status=ImmigrationStatus.REFUGEE,
        from_date=date(2025, 6, 1),
        until_date=None,
        note="",
        actor=coordinator,
    )
    db.commit()
    before = _snapshot(db, cohort)
    log_in(client, coordinator)
    page = client.post(f"/cohorts/{cohort.id}/enrol", data={"enrol-learner_ids": [str(recent.id)]}).get_data(
        as_text=True
    )
    assert "Not eligible on 2026-11-25" in page and "eligible from 1 January 2027" in page
    assert _snapshot(db, cohort) == before
    page = client.post(f"/cohorts/{cohort.id}/enrol", data={"enrol-learner_ids": [str(settled.id)]}).get_data(
        as_text=True
    )
    assert "<strong>Enrolled.</strong>" in page
    enrolment = results_enrolment(db, cohort, settled)
    assert enrolment.eligibility_check.passed and enrolment.eligibility_check.purpose == f"enrolment:{cohort.id}"
    assert enrolment.eligibility_check.on_date == date(2026, 11, 25)


def test_programme_referrer_list_is_enforced(db, coordinator, frozen_clock):
    programme = make_programme(
        coordinator.organisation, coordinator, name="WIRE", allowed_referral_sources=["Probation Service"]
    )
    cohort = make_cohort(coordinator, **UPCOMING, programme_id=programme.id)
    walk_in = make_learner(organisation=coordinator.organisation, referral_source="Jobcentre")
    probation = make_learner(organisation=coordinator.organisation, referral_source="probation service")
    with pytest.raises(Exception, match="accepts referrals only from: Probation Service"):
        service.enrol(cohort, walk_in, actor=coordinator)
    assert service.enrol(cohort, probation, actor=coordinator).outcome == "enrolled"


@pytest.mark.parametrize("case", ["duplicate", "withdrawn", "cancelled", "drop_in", "started", "other_org"])
def test_refusals_explain_and_change_nothing(db, coordinator, frozen_clock, case):
    cohort = make_cohort(coordinator, **UPCOMING, capacity=3)
    learner = make_learner(organisation=coordinator.organisation)
    expected = {
        "duplicate": "already in this cohort (enrolled)",
        "withdrawn": "withdrew from this cohort. Reinstate them",
        "cancelled": "This cohort is cancelled: nobody can join it.",
        "drop_in": "Drop-in groups have no enrolment",
        "started": "This cohort has started and does not take late joiners.",
        "other_org": "Choose the learner from your organisation.",
    }[case]
    if case == "duplicate":
        make_enrolment(cohort, learner, actor=coordinator)
    elif case == "withdrawn":
        service.withdraw(make_enrolment(cohort, learner, actor=coordinator), "Moved", coordinator)
    elif case == "cancelled":
        cohort.status = cohort.status.CANCELLED
    elif case == "drop_in":
        cohort.is_drop_in = True
    elif case == "started":
        cohort.start_date = date(2026, 11, 1)
    else:
        learner = make_learner()
    db.commit()
    before = _snapshot(db, cohort)
    [result] = service.enrol_many(db.get(Cohort, cohort.id), [learner], actor=coordinator)
    assert result.outcome == "refused"
    assert expected in result.message
    assert _snapshot(db, cohort) == before


def test_reinstating_a_withdrawn_learner_respects_capacity(db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING, capacity=1)
    first, second = (make_learner(organisation=coordinator.organisation) for _ in range(2))
    withdrawn = make_enrolment(cohort, first, actor=coordinator)
    service.withdraw(withdrawn, "Holiday", coordinator)
    make_enrolment(cohort, second, actor=coordinator)
    assert service.reinstate(withdrawn, coordinator).outcome == "waitlisted"


# --- through the pages ---------------------------------------------------------------------------


def test_bulk_enrol_reports_each_learner(client, db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING, capacity=1)
    a, b = (
        make_learner(organisation=coordinator.organisation, given_name=name, given_name_latin=name)
        for name in ("Amal", "Bashir")
    )
    db.commit()
    log_in(client, coordinator)
    page = client.post(f"/cohorts/{cohort.id}/enrol", data={"enrol-learner_ids": [str(a.id), str(b.id)]})
    text = page.get_data(as_text=True)
    assert "<bdi>Amal Test</bdi></span>: <strong>Enrolled.</strong>" in text
    assert "<bdi>Bashir Test</bdi></span>: <strong>On the waitlist: the cohort is full.</strong>" in text


def test_enrolling_nobody_is_a_clear_error(client, db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING)
    db.commit()
    log_in(client, coordinator)
    response = client.post(f"/cohorts/{cohort.id}/enrol", data={})
    assert response.status_code == 400 and "Tick at least one learner." in response.get_data(as_text=True)


def test_educator_sees_the_cohort_but_cannot_enrol_or_withdraw(client, db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING)
    learner = make_learner(organisation=coordinator.organisation)
    enrolment = make_enrolment(cohort, learner, actor=coordinator)
    educator = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation)
    staffing.assign_to_cohort(cohort, educator, "lead", coordinator)  # educators read the cohorts they teach
    db.commit()
    log_in(client, educator)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    assert client.post(f"/cohorts/{cohort.id}/enrol", data={"enrol-learner_ids": [str(learner.id)]}).status_code == 403
    assert client.post(f"/enrolments/{enrolment.id}/withdraw", data={"withdraw-reason": "x"}).status_code == 403
    assert statuses(db, cohort) == {"enrolled": 1}


def test_another_organisations_cohort_is_not_found(client, db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING)
    enrolment = make_enrolment(cohort, actor=coordinator)
    outsider = make_user()
    db.commit()
    log_in(client, outsider)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 404
    assert client.post(f"/enrolments/{enrolment.id}/withdraw", data={"withdraw-reason": "x"}).status_code == 404
    assert statuses(db, cohort) == {"enrolled": 1}


def test_cohort_page_queries_do_not_grow_with_the_roster(client, db, coordinator, frozen_clock, count_queries):
    cohort = make_cohort(coordinator, **UPCOMING, capacity=40)
    log_in(client, coordinator)

    def add(n: int) -> None:
        for _ in range(n):
            make_enrolment(cohort, actor=coordinator)
        db.commit()

    add(3)
    with count_queries() as few:
        assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    add(30)
    with count_queries() as many:
        assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    assert many.count == few.count


def test_cohort_list_queries_do_not_grow_with_cohorts(client, db, coordinator, frozen_clock, count_queries):
    log_in(client, coordinator)
    make_cohort(coordinator, **UPCOMING)
    db.commit()
    with count_queries() as few:
        client.get("/cohorts")
    for _ in range(10):
        make_cohort(coordinator, **UPCOMING)
    db.commit()
    with count_queries() as many:
        client.get("/cohorts")
    assert many.count == few.count


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_date": "2026-11-01"}, "The end date must be on or after the start date."),
        ({"end_date": "2030-01-01"}, "A cohort cannot run for more than two years."),
        ({"capacity": "0"}, "A cohort needs at least one place."),
        ({"capacity": "25"}, "holds 20 people"),
        ({"creche_capacity": "3"}, "has no crèche"),
    ],
)
def test_bad_cohort_input_saves_nothing(client, db, coordinator, frozen_clock, changes, message):
    course = make_course(coordinator.organisation, coordinator)
    venue = make_venue(coordinator.organisation, coordinator, name="Hall", capacity=20)
    db.commit()
    log_in(client, coordinator)
    data = {
        "name": "Autumn",
        "course_id": course.id,
        "venue_id": venue.id,
        "start_date": "2026-12-01",
        "end_date": "2027-02-01",
        "capacity": "12",
        "delivery_mode": "group",
        "delivery_setting": "in_person",
        "status": "open",
        "offer_hours": "72",
        **changes,
    }
    response = client.post("/cohorts/new", data=data)
    assert message in response.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Cohort)) == 0


def test_lowering_places_below_those_taken_is_refused(db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING, capacity=3)
    for _ in range(2):
        make_enrolment(cohort, actor=coordinator)
    with pytest.raises(Exception, match="2 places are taken"):
        scheduling_services.save_cohort(
            coordinator.organisation,
            CohortInput(
                name=cohort.name,
                course_id=cohort.course_id,
                start_date=cohort.start_date,
                end_date=cohort.end_date,
                capacity=1,
            ),
            coordinator,
            cohort,
        )


# --- referrals and learners' own requests --------------------------------------------------------


def test_referral_accepted_into_a_cohort_enrols_the_learner(client, db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING)
    learner = make_learner(organisation=coordinator.organisation)
    db.commit()
    log_in(client, coordinator)
    response = client.post(
        "/referrals/new",
        data={
            "learner_id": learner.id,
            "source": "partner",
            "referrer_name": "Caseworker",
            "referrer_email": "cw@example.org",
            "consent_to_share_progress": "y",
            "cohort_id": cohort.id,
        },
    )
    assert response.status_code == 302
    referral = db.scalars(sa.select(Referral)).one()
    assert referral.consent_to_share_progress and referral.status is ReferralStatus.NEW
    client.post(f"/referrals/{referral.id}", data={"decision": "accept", "cohort_id": cohort.id, "note": ""})
    db.expire_all()
    assert referral.status is ReferralStatus.ACCEPTED
    assert results_enrolment(db, cohort, learner).referral_id == referral.id


def test_declining_a_referral_needs_a_reason(client, db, coordinator, frozen_clock):
    learner = make_learner(organisation=coordinator.organisation)
    referral = service.create_referral(coordinator.organisation, learner, ReferralInput(source="self"), coordinator)
    db.commit()
    log_in(client, coordinator)
    page = client.post(f"/referrals/{referral.id}", data={"decision": "decline", "note": ""}).get_data(as_text=True)
    assert "Say why, so the referrer can be told." in page
    db.expire_all()
    assert referral.status is ReferralStatus.NEW
    client.post(f"/referrals/{referral.id}", data={"decision": "decline", "note": "Needs ESOL first"})
    db.expire_all()
    assert referral.status is ReferralStatus.DECLINED


def test_learner_asks_for_a_place_and_answers_their_own_offer_only(client, db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING, capacity=1, offer_hours=48)
    learner = make_learner(organisation=coordinator.organisation, phone="07700 900431")
    people_services.create_learner_login(learner, "2468", coordinator)
    other = make_learner(organisation=coordinator.organisation)
    taken = make_enrolment(cohort, other, actor=coordinator)
    db.commit()
    log_in(client, learner.user)
    assert client.post(f"/my/request/{cohort.id}").status_code == 302
    assert (
        client.post(f"/my/request/{cohort.id}", follow_redirects=True)
        .get_data(as_text=True)
        .count("You have already asked for a place on this course.")
        == 1
    )
    referral = db.scalars(sa.select(Referral)).one()
    service.accept_referral(referral, cohort, coordinator)
    service.withdraw(taken, "Moved", coordinator)
    db.commit()
    mine = results_enrolment(db, cohort, learner)
    assert mine.status is EnrolmentStatus.OFFERED
    assert client.post(f"/my/offers/{taken.id}/accept").status_code == 404
    client.post(f"/my/offers/{mine.id}/accept")
    db.expire_all()
    assert mine.status is EnrolmentStatus.ENROLLED


# --- drop-in groups ------------------------------------------------------------------------------


def test_drop_in_attendee_by_name_then_merged_into_a_learner(client, db, coordinator, frozen_clock):
    cohort = make_cohort(coordinator, **UPCOMING, is_drop_in=True, capacity=0)
    learner = make_learner(organisation=coordinator.organisation, given_name="Hamid")
    db.commit()
    log_in(client, coordinator)
    assert client.post(f"/cohorts/{cohort.id}/drop-in", data={"dropin-name": "Hamid from the hub"}).status_code == 302
    refused = client.post(f"/cohorts/{cohort.id}/drop-in", data={"dropin-name": ""})
    assert refused.status_code == 400
    from lms.scheduling.models import DropInAttendee

    attendee = db.scalars(sa.select(DropInAttendee)).one()
    client.post(f"/drop-in/{attendee.id}/merge", data={"learner_id": learner.id})
    db.expire_all()
    assert attendee.learner_id == learner.id
    again = client.post(f"/drop-in/{attendee.id}/merge", data={"learner_id": learner.id}, follow_redirects=True)
    assert "already linked" in again.get_data(as_text=True)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 0
