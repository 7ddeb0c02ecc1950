"""The JSON API: tokens, the pages' permissions, idempotent creates, cursors, problem details, OpenAPI."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa

from lms.api.models import ApiToken, IdempotentRequest, TokenScope
from lms.api.tokens import create_token
from lms.assessments.attendance.models import AttendanceMark, AttendanceStatus
from lms.assessments.progression.inputs import OutcomeInput
from lms.core.roles import Role
from lms.extensions import db as _db
from lms.scheduling.cohorts import enrolment
from lms.scheduling.models import Enrolment
from lms.scheduling.timetable import staffing
from tests.conftest import log_in
from tests.factories import (
    make_cohort,
    make_course,
    make_enrolment,
    make_learner,
    make_programme,
    make_session,
    make_user,
)


@pytest.fixture()
def world(db, frozen_clock):
    coordinator = make_user()
    organisation = coordinator.organisation
    tutor = make_user(roles=(Role.EDUCATOR,), organisation=organisation)
    other_tutor = make_user(roles=(Role.EDUCATOR,), organisation=organisation)
    course = make_course(organisation, coordinator)
    cohort = make_cohort(
        coordinator,
        course=course,
        name="ESOL Entry 2",
        start_date=date(2026, 11, 1),
        end_date=date(2027, 3, 1),
        capacity=2,
        allow_late_joiners=True,
    )
    staffing.assign_to_cohort(cohort, tutor, "lead", coordinator)
    session = make_session(cohort, coordinator, day=date(2026, 11, 25), start=time(9, 30), end=time(12, 0))
    learner = make_learner(organisation=organisation)
    make_enrolment(cohort, learner, actor=coordinator)
    stranger = make_user()  # a coordinator of another organisation
    db.commit()
    return {
        "coordinator": coordinator,
        "tutor": tutor,
        "other_tutor": other_tutor,
        "cohort": cohort,
        "session": session,
        "learner": learner,
        "stranger": stranger,
        "course": course,
    }


def token_for(user, scope: TokenScope = TokenScope.WRITE) -> dict:
    secret = create_token(user, "partner CRM", scope)
    _db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"]
    return body


def test_no_or_bad_or_revoked_token_is_401(client, world):
    assert_problem(client.get("/api/v1/me"), 401)
    assert_problem(client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}), 401)
    headers = token_for(world["coordinator"])
    assert client.get("/api/v1/me", headers=headers).get_json()["id"] == world["coordinator"].id
    token = _db.session.scalar(sa.select(ApiToken))
    token.revoked_dt = token.created_dt
    _db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=headers), 401)


def test_tokens_are_stored_hashed(client, world):
    headers = token_for(world["coordinator"])
    secret = headers["Authorization"].split()[1]
    stored = _db.session.scalar(sa.select(ApiToken))
    assert secret not in stored.token_hash and len(stored.token_hash) == 64


def test_read_only_token_cannot_write(client, world):
    headers = token_for(world["coordinator"], TokenScope.READ)
    response = client.post(f"/api/v1/cohorts/{world['cohort'].id}/enrolments", json={"learner_id": 1}, headers=headers)
    assert_problem(response, 403)


def test_other_organisations_cohorts_are_not_found(client, world):
    headers = token_for(world["stranger"])
    assert_problem(client.get(f"/api/v1/cohorts/{world['cohort'].id}", headers=headers), 404)
    assert client.get("/api/v1/cohorts", headers=headers).get_json()["items"] == []
    assert_problem(client.get(f"/api/v1/sessions/{world['session'].id}/attendance", headers=headers), 404)


def test_learner_token_cannot_read_cohorts_or_registers(client, world):
    learner_user = make_user(roles=(Role.LEARNER,), organisation=world["coordinator"].organisation)
    _db.session.commit()
    headers = token_for(learner_user)
    assert_problem(client.get("/api/v1/cohorts", headers=headers), 403)
    assert_problem(client.get(f"/api/v1/sessions/{world['session'].id}/attendance", headers=headers), 404)


def test_educator_marks_only_sessions_they_teach(client, world):
    session, learner = world["session"], world["learner"]
    body = {"entries": [{"key": f"l{learner.id}", "status": "present"}]}
    url = f"/api/v1/sessions/{session.id}/attendance"
    # Not teaching the cohort: the session is not even found.
    assert_problem(client.put(url, json=body, headers=token_for(world["other_tutor"])), 404)
    # Teaching the cohort (another of its sessions) but not this session: seen, not marked.
    later = make_session(world["cohort"], world["coordinator"], day=date(2026, 11, 26), start=time(9, 30), end=time(12))
    staffing.assign_to_session(later, world["other_tutor"], "support", world["coordinator"])
    _db.session.commit()
    assert_problem(client.put(url, json=body, headers=token_for(world["other_tutor"])), 403)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceMark)) == 0

    headers = token_for(world["tutor"])
    response = client.put(url, json=body, headers=headers)
    assert response.status_code == 200 and response.get_json()["changed"] == 1
    mark = _db.session.scalar(sa.select(AttendanceMark))
    assert mark.status is AttendanceStatus.PRESENT
    rows = client.get(f"/api/v1/sessions/{session.id}/attendance", headers=headers).get_json()["rows"]
    assert rows == [
        {
            "key": f"l{learner.id}",
            "learner_id": learner.id,
            "name": learner.full_name,
            "status": "present",
            "minutes_late": 0,
            "minutes_left_early": 0,
        }
    ]


def test_bad_attendance_entry_changes_nothing_and_names_the_field(client, world):
    headers = token_for(world["tutor"])
    learner = world["learner"]
    body = {
        "entries": [
            {"key": f"l{learner.id}", "status": "present"},
            {"key": f"l{learner.id}", "status": "present", "minutes_late": -5},
        ]
    }
    problem = assert_problem(
        client.put(f"/api/v1/sessions/{world['session'].id}/attendance", json=body, headers=headers), 422
    )
    assert problem["errors"][0]["field"] == "entries.1.minutes_late"
    problem = assert_problem(
        client.put(
            f"/api/v1/sessions/{world['session'].id}/attendance",
            json={"entries": [{"key": "l999999", "status": "present"}]},
            headers=headers,
        ),
        422,
    )
    assert "not in this cohort" in problem["detail"]
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceMark)) == 0


def test_enrolment_create_reports_outcome_and_is_idempotent(client, world):
    headers = token_for(world["coordinator"]) | {"Idempotency-Key": "referral-778"}
    newcomer = make_learner(organisation=world["coordinator"].organisation)
    _db.session.commit()
    url = f"/api/v1/cohorts/{world['cohort'].id}/enrolments"
    first = client.post(url, json={"learner_id": newcomer.id}, headers=headers)
    assert first.status_code == 201 and first.get_json()["outcome"] == "enrolled"
    again = client.post(url, json={"learner_id": newcomer.id}, headers=headers)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (
        _db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment).where(Enrolment.learner_id == newcomer.id))
        == 1
    )

    # Without a key, a second create is refused with the service's reason; the cohort is now full.
    refused = client.post(url, json={"learner_id": newcomer.id}, headers=token_for(world["coordinator"]))
    assert "already" in assert_problem(refused, 422)["detail"]
    third = make_learner(organisation=world["coordinator"].organisation)
    _db.session.commit()
    waitlisted = client.post(url, json={"learner_id": third.id}, headers=token_for(world["coordinator"]))
    assert waitlisted.get_json()["outcome"] == "waitlisted"


def test_educator_cannot_enrol_and_foreign_learner_is_refused(client, world):
    url = f"/api/v1/cohorts/{world['cohort'].id}/enrolments"
    assert_problem(client.post(url, json={"learner_id": world["learner"].id}, headers=token_for(world["tutor"])), 403)
    outsider = make_learner()
    _db.session.commit()
    problem = assert_problem(
        client.post(url, json={"learner_id": outsider.id}, headers=token_for(world["coordinator"])), 422
    )
    assert problem["errors"][0]["field"] == "learner_id"


@pytest.mark.parametrize("body", [None, [], {"learner_id": "x"}, {"learner_id": 1, "unknown": True}])
def test_malformed_bodies_are_4xx(client, world, body):
    response = client.post(
        f"/api/v1/cohorts/{world['cohort'].id}/enrolments", json=body, headers=token_for(world["coordinator"])
    )
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_bad_query_values_are_400(client, world):
    headers = token_for(world["coordinator"])
    assert_problem(client.get("/api/v1/cohorts?starts_from=yesterday", headers=headers), 400)
    assert_problem(client.get("/api/v1/cohorts?cursor=!!!", headers=headers), 400)
    assert_problem(client.get("/api/v1/cohorts?starts_from=", headers=headers), 400)
    assert_problem(client.get("/api/v1/cohorts?limit=201", headers=headers), 400)
    misspelt = assert_problem(client.get("/api/v1/cohorts?start_from=2026-01-01", headers=headers), 400)
    assert misspelt["errors"][0]["field"] == "start_from"
    assert_problem(client.get("/api/v1/cohorts/99999999999", headers=headers), 404)
    assert_problem(client.get("/api/v1/cohorts/-3", headers=headers), 404)
    assert_problem(client.get("/api/v1/nothing-here", headers=headers), 404)


def test_pagination_walks_every_item_in_constant_queries(client, world, count_queries):
    coordinator = world["coordinator"]
    for n in range(45):
        make_course(coordinator.organisation, coordinator, code=f"C{n:03}")
    _db.session.commit()
    headers = token_for(coordinator, TokenScope.READ)
    client.get("/api/v1/me", headers=headers)  # opens this minute's rate-limit window
    seen, cursor, counts = [], None, []
    while True:
        with count_queries() as counter:
            body = client.get(
                "/api/v1/courses?limit=10" + (f"&cursor={cursor}" if cursor else ""), headers=headers
            ).get_json()
        counts.append(counter.count)
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 46
    assert len(set(counts)) == 1, counts


def test_sessions_filter_by_date_and_carry_offsets(client, world):
    cohort, coordinator = world["cohort"], world["coordinator"]
    make_session(cohort, coordinator, day=date(2027, 1, 6), start=time(9, 30), end=time(12, 0))
    _db.session.commit()
    headers = token_for(coordinator)
    everything = client.get(f"/api/v1/cohorts/{cohort.id}/sessions", headers=headers).get_json()["items"]
    assert [s["start_dt"] for s in everything] == ["2026-11-25T09:30:00+00:00", "2027-01-06T09:30:00+00:00"]
    january = client.get(
        f"/api/v1/cohorts/{cohort.id}/sessions?from=2027-01-01&to=2027-01-31", headers=headers
    ).get_json()["items"]
    assert len(january) == 1


def test_etag_gives_304(client, world):
    headers = token_for(world["coordinator"])
    first = client.get(f"/api/v1/cohorts/{world['cohort'].id}", headers=headers)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(
        f"/api/v1/cohorts/{world['cohort'].id}", headers=headers | {"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


def test_rate_limit(app, client, world):
    headers = token_for(world["coordinator"])
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 3
    try:
        codes = [client.get("/api/v1/me", headers=headers).status_code for _ in range(4)]
    finally:
        app.config["API_RATE_LIMIT_PER_MINUTE"] = 120
    assert codes == [200, 200, 200, 429]


def test_problem_titles_are_translated(client, world):
    body = assert_problem(client.get("/api/v1/me", headers={"Accept-Language": "ar"}), 401)
    assert body["title"] != "Not authenticated"


def test_openapi_is_generated_and_docs_page_lists_it(client, world):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    enrol = document["paths"]["/cohorts/{cohort_id}/enrolments"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in enrol["parameters"]]
    assert set(document["components"]["schemas"]) >= {"CohortOut", "EnrolmentIn", "Problem"}
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/cohorts/{cohort_id}/sessions" in page


def test_token_page_creates_shows_once_and_revokes(client, world):
    log_in(client, world["tutor"])
    page = client.post("/account/api-tokens", data={"name": "Lamplight", "scope": "read"}).get_data(as_text=True)
    token = _db.session.scalar(sa.select(ApiToken))
    assert token.user_id == world["tutor"].id and token.scope is TokenScope.READ and "pw_" in page
    assert "pw_" not in client.get("/account/api-tokens").get_data(as_text=True)
    # Another user's token cannot be revoked.
    log_in(client, world["coordinator"])
    assert client.post(f"/account/api-tokens/{token.id}/revoke").status_code == 404
    log_in(client, world["tutor"])
    client.post(f"/account/api-tokens/{token.id}/revoke")
    _db.session.refresh(token)
    assert token.revoked_dt is not None


def test_certificate_verification_is_public(client, world):
    assert_problem(client.get("/api/v1/certificates/ABCD-EFGH"), 404)


def test_learner_token_reads_only_their_own_record(client, world):
    from lms.people import services as people_services

    organisation = world["coordinator"].organisation
    me = make_learner(organisation=organisation, phone="07700 900123")
    other = make_learner(organisation=organisation)
    login = people_services.create_learner_login(me, "482913", world["coordinator"])
    _db.session.commit()
    headers = token_for(login)
    assert client.get(f"/api/v1/learners/{me.id}", headers=headers).get_json()["id"] == me.id
    assert_problem(client.get(f"/api/v1/learners/{other.id}", headers=headers), 404)
    # The educator has no page listing a learner's contact details either.
    assert_problem(client.get(f"/api/v1/learners/{other.id}", headers=token_for(world["tutor"])), 404)
    # A learner cannot change their record through the API (the pages do not let them either).
    assert_problem(client.patch(f"/api/v1/learners/{me.id}", json={"email": "x@example.org"}, headers=headers), 403)


def test_referral_creates_a_learner_once_and_contact_updates_are_checked(client, world):
    headers = token_for(world["coordinator"]) | {"Idempotency-Key": "lamplight-991"}
    body = {"given_name": "Amal", "family_name": "Haddad", "phone": "07700 900456", "referral_source": "Lamplight"}
    first = client.post("/api/v1/learners", json=body, headers=headers)
    again = client.post("/api/v1/learners", json=body, headers=headers)
    assert first.status_code == 201 and again.get_json() == first.get_json()
    learner_id = first.get_json()["id"]
    assert first.get_json()["phone"].startswith("+44")  # normalised by the same service as the form

    plain = token_for(world["coordinator"])
    problem = assert_problem(
        client.patch(f"/api/v1/learners/{learner_id}", json={"email": "not an email"}, headers=plain), 422
    )
    assert problem["errors"][0]["field"] == "email"
    updated = client.patch(f"/api/v1/learners/{learner_id}", json={"email": "amal@example.org"}, headers=plain)
    assert updated.get_json()["email"] == "amal@example.org" and updated.get_json()["phone"].startswith("+44")
    assert "immigration" not in str(updated.get_json()).lower()


def test_withdraw_frees_the_place_for_the_waitlist(client, world):
    coordinator, cohort = world["coordinator"], world["cohort"]
    waiting = []
    for _ in range(2):
        learner = make_learner(organisation=coordinator.organisation)
        waiting.append(enrolment.enrol(cohort, learner, actor=coordinator))
    _db.session.commit()
    assert waiting[-1].outcome == "waitlisted"
    first = _db.session.scalar(sa.select(Enrolment).where(Enrolment.learner_id == world["learner"].id))
    url = f"/api/v1/enrolments/{first.id}/withdraw"
    assert_problem(client.post(url, json={"reason": "moved"}, headers=token_for(world["tutor"])), 403)
    assert_problem(client.post(url, json={"reason": ""}, headers=token_for(coordinator)), 422)
    response = client.post(url, json={"reason": "Moved to Leeds"}, headers=token_for(coordinator))
    assert response.status_code == 201 and response.get_json()["status"] == "withdrawn"
    assert response.get_json()["places_offered_to"] == [waiting[-1].learner.id]


def test_only_coordinators_move_and_cancel_sessions(client, world):
    session = world["session"]
    assert_problem(
        client.post(
            f"/api/v1/sessions/{session.id}/cancel", json={"reason": "Snow"}, headers=token_for(world["tutor"])
        ),
        403,
    )
    headers = token_for(world["coordinator"])
    moved = client.post(
        f"/api/v1/sessions/{session.id}/move",
        json={"day": "2026-12-02", "start_time": "10:00", "end_time": "12:00"},
        headers=headers,
    )
    assert moved.status_code == 201 and moved.get_json()["start_dt"] == "2026-12-02T10:00:00+00:00"
    assert_problem(
        client.post(
            f"/api/v1/sessions/{session.id}/move",
            json={"day": "2026-12-02", "start_time": "12:00", "end_time": "10:00"},
            headers=headers,
        ),
        422,
    )
    cancelled = client.post(f"/api/v1/sessions/{session.id}/cancel", json={"reason": "Snow"}, headers=headers)
    assert cancelled.get_json()["status"] == "cancelled"
    assert_problem(client.post(f"/api/v1/sessions/{session.id}/cancel", json={"reason": "Snow"}, headers=headers), 422)


def test_programmes_and_pathways_are_scoped_to_the_organisation(client, world):
    for owner in (world["coordinator"], world["stranger"]):
        make_programme(owner.organisation, owner, name=f"Skills {owner.id}")
    _db.session.commit()
    items = client.get("/api/v1/programmes", headers=token_for(world["coordinator"])).get_json()["items"]
    assert [item["name"] for item in items] == [f"Skills {world['coordinator'].id}"]
    assert_problem(client.get("/api/v1/pathways?limit=0", headers=token_for(world["coordinator"])), 400)


def test_referral_is_created_once_and_its_status_readable_by_coordinators_only(client, world):
    headers = token_for(world["coordinator"]) | {"Idempotency-Key": "ref-1"}
    body = {
        "learner_id": world["learner"].id,
        "referrer_name": "Jo at the Refugee Council",
        "cohort_id": world["cohort"].id,
        "consent_to_share_progress": True,
    }
    first = client.post("/api/v1/referrals", json=body, headers=headers)
    assert first.status_code == 201 and first.get_json()["status"] == "new"
    assert client.post("/api/v1/referrals", json=body, headers=headers).get_json() == first.get_json()
    url = f"/api/v1/referrals/{first.get_json()['id']}"
    assert client.get(url, headers=token_for(world["coordinator"])).get_json()["id"] == first.get_json()["id"]
    assert_problem(client.get(url, headers=token_for(world["tutor"])), 404)
    assert_problem(client.get(url, headers=token_for(world["stranger"])), 404)


def test_referral_to_another_organisations_cohort_is_refused(client, world):
    stranger = world["stranger"]
    their_cohort = make_cohort(
        stranger, name="Theirs", start_date=date(2026, 11, 1), end_date=date(2027, 3, 1), capacity=5, status="planned"
    )
    _db.session.commit()
    body = {"learner_id": world["learner"].id, "referrer_name": "Jo", "cohort_id": their_cohort.id}
    problem = assert_problem(client.post("/api/v1/referrals", json=body, headers=token_for(world["coordinator"])), 422)
    assert problem["errors"][0]["field"] == "cohort_id"


def test_progress_shows_outcomes_to_the_learner_their_tutor_and_coordinator_only(client, world):
    from lms.assessments.progression import services as progression
    from lms.people import services as people_services

    coordinator = world["coordinator"]
    learner = make_learner(organisation=coordinator.organisation, phone="07700 900789")
    login = people_services.create_learner_login(learner, "591734", coordinator)
    make_enrolment(world["cohort"], learner, actor=coordinator)
    progression.record_outcome(
        learner,
        OutcomeInput(
            kind="employment", outcome_date=date(2026, 11, 20), organisation_name="Hilton Leicester", hours_per_week=20
        ),
        coordinator,
    )
    _db.session.commit()
    url = f"/api/v1/learners/{learner.id}/progress"
    for user in (login, coordinator, world["tutor"]):  # the tutor teaches the learner's cohort, as on the pages
        body = client.get(url, headers=token_for(user)).get_json()
        assert [o["organisation_name"] for o in body["outcomes"]] == ["Hilton Leicester"]
        assert [e["cohort_id"] for e in body["enrolments"]] == [world["cohort"].id]
    assert_problem(client.get(url, headers=token_for(world["other_tutor"])), 404)
    assert_problem(client.get(url, headers=token_for(world["stranger"])), 404)


def test_field_errors_are_translated_and_types_are_strict(client, world):
    headers = token_for(world["coordinator"]) | {"Accept-Language": "ar"}
    body = {"learner_id": world["learner"].id, "referrer_name": "Jo", "consent_to_share_progress": 0}
    problem = assert_problem(client.post("/api/v1/referrals", json=body, headers=headers), 422)
    assert problem["errors"][0]["field"] == "consent_to_share_progress"
    assert problem["errors"][0]["message"] == "النوع أو الصيغة غير صحيحة."


def test_cohort_create_checks_the_course_and_is_idempotent(client, world):
    headers = token_for(world["coordinator"]) | {"Idempotency-Key": "cohort-spring"}
    body = {
        "name": "ESOL Spring",
        "course_id": world["course"].id,
        "start_date": "2027-01-11",
        "end_date": "2027-03-26",
        "capacity": 14,
    }
    first = client.post("/api/v1/cohorts", json=body, headers=headers)
    assert first.status_code == 201 and first.get_json()["status"] == "planned"
    assert client.post("/api/v1/cohorts", json=body, headers=headers).get_json()["id"] == first.get_json()["id"]
    stranger_course = make_course(world["stranger"].organisation, world["stranger"])
    _db.session.commit()
    problem = assert_problem(
        client.post(
            "/api/v1/cohorts",
            json=body | {"name": "X", "course_id": stranger_course.id},
            headers=token_for(world["coordinator"]),
        ),
        422,
    )
    assert problem["errors"][0]["field"] == "course_id"
    assert_problem(client.post("/api/v1/cohorts", json=body | {"name": "Y"}, headers=token_for(world["tutor"])), 403)


def test_organisations_own_and_partners_only(client, world):
    from lms.people.models import OrganisationKind
    from tests.factories import make_organisation

    partner = make_organisation(kind=OrganisationKind.PARTNER)
    _db.session.commit()
    coordinator = token_for(world["coordinator"])
    own = client.get(f"/api/v1/organisations/{world['coordinator'].organisation_id}", headers=coordinator)
    assert own.get_json()["kind"] == "provider"
    assert client.get(f"/api/v1/organisations/{partner.id}", headers=coordinator).status_code == 200
    assert_problem(client.get(f"/api/v1/organisations/{world['stranger'].organisation_id}", headers=coordinator), 404)
    assert_problem(client.get(f"/api/v1/organisations/{partner.id}", headers=token_for(world["tutor"])), 404)


def test_an_idempotency_key_reused_for_another_cohort_is_refused(client, world):
    coordinator = world["coordinator"]
    other_cohort = make_cohort(
        coordinator,
        course=world["course"],
        name="Other",
        start_date=date(2026, 11, 1),
        end_date=date(2027, 3, 1),
        capacity=5,
        allow_late_joiners=True,
    )
    newcomer = make_learner(organisation=coordinator.organisation)
    _db.session.commit()
    headers = token_for(coordinator) | {"Idempotency-Key": "same-key"}
    first = client.post(
        f"/api/v1/cohorts/{world['cohort'].id}/enrolments", json={"learner_id": newcomer.id}, headers=headers
    )
    assert first.status_code == 201
    problem = assert_problem(
        client.post(f"/api/v1/cohorts/{other_cohort.id}/enrolments", json={"learner_id": newcomer.id}, headers=headers),
        422,
    )
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert (
        _db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment).where(Enrolment.learner_id == newcomer.id))
        == 1
    )


def test_an_idempotency_key_reused_with_another_body_is_refused(client, world):
    coordinator = world["coordinator"]
    amal, bashir = (make_learner(organisation=coordinator.organisation) for _ in range(2))
    _db.session.commit()
    url = f"/api/v1/cohorts/{world['cohort'].id}/enrolments"
    headers = token_for(coordinator) | {"Idempotency-Key": "crm-1"}
    assert client.post(url, json={"learner_id": amal.id}, headers=headers).status_code == 201
    problem = assert_problem(client.post(url, json={"learner_id": bashir.id}, headers=headers), 422)
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert _db.session.scalar(sa.select(Enrolment).where(Enrolment.learner_id == bashir.id)) is None
    # The same object serialised another way is the same request: replayed.
    again = client.post(url, data=f'{{ "needs_creche" : false, "learner_id" : {amal.id} }}', headers=headers | _JSON)
    assert again.status_code == 422  # an added field is a different body, even with its default value
    same = client.post(url, data=f'{{  "learner_id":{amal.id}  }}', headers=headers | _JSON)
    assert same.status_code == 201 and same.headers["Idempotent-Replayed"] == "true"


_JSON = {"Content-Type": "application/json"}


def test_a_refused_create_does_not_use_up_its_idempotency_key(client, world):
    coordinator = world["coordinator"]
    outsider = make_learner()  # another organisation's: refused
    newcomer = make_learner(organisation=coordinator.organisation)
    _db.session.commit()
    url = f"/api/v1/cohorts/{world['cohort'].id}/enrolments"
    headers = token_for(coordinator) | {"Idempotency-Key": "crm-2"}
    assert_problem(client.post(url, json={"learner_id": outsider.id}, headers=headers), 422)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(IdempotentRequest)) == 0
    fixed = client.post(url, json={"learner_id": newcomer.id}, headers=headers)
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers


def test_a_request_over_the_limit_is_told_when_to_retry(app, client, world):
    headers = token_for(world["coordinator"])
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 1
    try:
        client.get("/api/v1/me", headers=headers)
        over = client.get("/api/v1/me", headers=headers)
    finally:
        app.config["API_RATE_LIMIT_PER_MINUTE"] = 120
    assert_problem(over, 429)
    assert 1 <= int(over.headers["Retry-After"]) <= 60


def test_a_read_answered_with_an_error_still_counts(app, client, world):
    headers = token_for(world["coordinator"])
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 2
    try:
        codes = [client.get(path, headers=headers).status_code for path in ("/api/v1/cohorts/999", "/api/v1/me")]
        codes.append(client.get("/api/v1/me", headers=headers).status_code)
    finally:
        app.config["API_RATE_LIMIT_PER_MINUTE"] = 120
    assert codes == [404, 200, 429]


def test_openapi_documents_what_idempotency_keys_answer(client):
    document = client.get("/api/v1/openapi.json").get_json()
    create = document["paths"]["/learners"]["post"]
    assert "409" in create["responses"] and "Retry-After" in create["responses"]["409"]["headers"]
    assert "Idempotency-Key" in create["responses"]["422"]["description"]
    key = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert "422" in key["description"] and "409" in key["description"]
    assert "Retry-After" in create["responses"]["429"]["headers"]
    assert "409" not in document["paths"]["/me"]["get"]["responses"]
    move = document["paths"]["/sessions/{session_id}/move"]["post"]["responses"]
    assert "clashes" in move["409"]["description"]


def test_a_correction_of_an_earlier_register_through_the_api_needs_a_reason(client, world, frozen_clock):
    from lms.assessments.attendance.models import AttendanceChange

    session, learner = world["session"], world["learner"]
    url = f"/api/v1/sessions/{session.id}/attendance"
    headers = token_for(world["coordinator"])
    client.put(url, json={"entries": [{"key": f"l{learner.id}", "status": "absent"}]}, headers=headers)
    frozen_clock.advance(hours=24)
    body = {"entries": [{"key": f"l{learner.id}", "status": "excused"}]}
    problem = assert_problem(client.put(url, json=body, headers=headers), 422)
    assert "say why you are changing marks" in problem["detail"]
    assert _db.session.scalar(sa.select(AttendanceMark.status)) is AttendanceStatus.ABSENT
    response = client.put(url, json={**body, "reason": "Hospital letter came"}, headers=headers)
    assert response.status_code == 200
    assert _db.session.scalars(sa.select(AttendanceChange.reason).order_by(AttendanceChange.id)).all() == [
        "",
        "Hospital letter came",
    ]
