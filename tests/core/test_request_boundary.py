"""One transaction per request, ended at the boundary (core/web.py): what is committed, what is not.

Each check reads the database through a fresh connection, so it sees only what was committed.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
import sqlalchemy as sa

from lms.api.models import ApiRateWindow, IdempotentRequest, TokenScope
from lms.api.tokens import create_token
from lms.assessments.progression.models import LearningPlan
from lms.core import audit
from lms.core.audit import AuditEvent
from lms.core.errors import ServiceError
from lms.core.roles import Role
from lms.extensions import db as _db
from lms.people import queries as people_queries
from lms.people import services as people_services
from lms.people.models import Learner, LoginThrottle
from lms.scheduling.cohorts import enrolment
from lms.scheduling.cohorts import services as cohort_services
from lms.scheduling.cohorts.inputs import CohortInput, VenueInput
from lms.scheduling.models import Venue
from tests.conftest import log_in
from tests.factories import PASSWORD, make_course, make_learner, make_user


def committed(statement: sa.Select) -> list:
    """Rows as another connection sees them: only what has been committed."""
    with _db.engine.connect() as connection:
        return list(connection.execute(statement))


def venue_names() -> list[str]:
    return [row.name for row in committed(sa.select(Venue.name).order_by(Venue.name))]


def audit_actions() -> list[str]:
    return [row.action for row in committed(sa.select(AuditEvent.action).order_by(AuditEvent.id))]


@pytest.fixture()
def coordinator(db, login_as):
    return login_as(Role.COORDINATOR)


@pytest.fixture()
def hall(db, coordinator):
    venue = cohort_services.save_venue(coordinator.organisation, VenueInput(name="Main hall", capacity=20), coordinator)
    db.commit()
    return venue


def test_a_successful_post_is_committed(client, db, coordinator):
    response = client.post("/venues/new", data={"name": "Community centre", "capacity": "30"})
    assert response.status_code == 302
    assert venue_names() == ["Community centre"]
    assert "venue.save" in audit_actions()


def test_a_refused_form_changes_nothing(client, db, hall):
    before = audit_actions()
    response = client.post(
        f"/venues/{hall.id}/edit", data={"name": "Annexe", "capacity": "25", "is_virtual": "y", "meeting_url": ""}
    )
    assert response.status_code == 200  # the form again, with the service's message on its field
    assert "A virtual room needs a meeting link starting with https://." in response.get_data(as_text=True)
    assert venue_names() == ["Main hall"]
    assert committed(sa.select(Venue.capacity)) == [(20,)]
    assert audit_actions() == before


def test_a_refusal_keeps_nothing_written_before_it(client, db, frozen_clock):
    """The plan view starts the learner's plan, then the service refuses an empty objective: the page
    comes back with the message (400; it starts the plan again to show it), and the new plan is not saved."""
    coordinator = make_user()
    organisation = coordinator.organisation
    cohort = cohort_services.save_cohort(
        organisation,
        CohortInput(
            name="ESOL Entry 2",
            course_id=make_course(organisation, coordinator).id,
            start_date=date(2026, 11, 1),
            end_date=date(2027, 3, 1),
            capacity=5,
            status="running",
            allow_late_joiners=True,
        ),
        coordinator,
    )
    row = enrolment.enrol(cohort, make_learner(organisation=organisation), actor=coordinator).enrolment
    db.commit()
    log_in(client, coordinator)
    url = f"/enrolments/{row.id}/plan"
    refused = client.post(url, data={"action": "objective", "text": "   "})
    assert refused.status_code == 400 and "Write the objective." in refused.get_data(as_text=True)
    assert committed(sa.select(LearningPlan.id)) == []
    client.get(url)
    # That GET is marked @writes_on_get: the teacher's first look starts the plan, and it is kept.
    assert len(committed(sa.select(LearningPlan.id))) == 1


def test_a_refusing_service_keeps_nothing_even_after_a_flush(client, db, coordinator, monkeypatch):
    learner = make_learner(organisation=coordinator.organisation)
    db.commit()
    before = audit_actions()

    def refuse_after_writing(learner, **_kwargs):  # noqa: ANN001, ANN003, ANN202
        audit.record("half.done", actor_id=None)
        _db.session.flush()
        raise ServiceError("Refused after writing.")

    monkeypatch.setattr(people_services, "add_immigration_status", refuse_after_writing)
    response = client.post(
        f"/learners/{learner.id}/immigration",
        data={"status": "refugee", "from_date": "2024-01-01"},
        follow_redirects=True,
    )
    assert "Refused after writing." in response.get_data(as_text=True)
    assert audit_actions() == before


def test_an_unexpected_exception_commits_nothing(client, db, app, coordinator, monkeypatch):
    real_save = cohort_services.save_venue

    def save_then_fail(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        real_save(*args, **kwargs)  # flushed: the venue row and its audit event
        raise RuntimeError("a bug")

    monkeypatch.setattr(cohort_services, "save_venue", save_then_fail)
    with pytest.raises(RuntimeError):  # the test app lets exceptions through
        client.post("/venues/new", data={"name": "Community centre"})
    assert venue_names() == []
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production: the error page
    response = client.post("/venues/new", data={"name": "Community centre"})
    assert response.status_code == 500
    assert venue_names() == []
    assert "venue.save" not in audit_actions()


def test_a_commit_that_fails_is_an_error_not_a_success(client, db, app, coordinator, monkeypatch):
    real_save = cohort_services.save_venue

    def save_with_a_duplicate(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        venue = real_save(*args, **kwargs)
        _db.session.add(Venue(organisation_id=coordinator.organisation_id, name=venue.name))  # flushed at commit
        return venue

    monkeypatch.setattr(cohort_services, "save_venue", save_with_a_duplicate)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    assert client.post("/venues/new", data={"name": "Community centre"}).status_code == 500
    assert venue_names() == []
    assert "Venue saved." not in client.get("/venues").get_data(as_text=True)


def test_a_get_that_writes_unmarked_is_rolled_back_and_logged(client, db, coordinator, monkeypatch, caplog):
    before = audit_actions()
    real_users_select = people_queries.users_select

    def users_select_and_write(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        audit.record("sneaky.write", actor_id=None)
        _db.session.flush()
        return real_users_select(*args, **kwargs)

    monkeypatch.setattr(people_queries, "users_select", users_select_and_write)
    with caplog.at_level(logging.WARNING, logger="lms.core.web"):
        assert client.get("/users").status_code == 200
    assert audit_actions() == before
    assert "wrote without @writes_on_get" in caplog.text


def test_a_get_marked_writes_on_get_keeps_its_audit_record(client, db, coordinator):
    learner = make_learner(organisation=coordinator.organisation)
    db.commit()
    assert client.get(f"/learners/{learner.id}/sensitive").status_code == 200
    assert audit_actions()[-1] == "learner.sensitive.view"


def test_a_failed_login_is_counted_although_the_login_is_refused(client, db):
    make_user(email="tutor@example.org")
    db.commit()
    account_key = people_services._throttle_keys("tutor@example.org", None)[0]
    for attempt in range(1, 6):
        assert client.post("/login", data={"email": "tutor@example.org", "password": "guess"}).status_code == 401
        assert committed(sa.select(LoginThrottle.failures).where(LoginThrottle.key_hash == account_key)) == [(attempt,)]
    response = client.post("/login", data={"email": "tutor@example.org", "password": PASSWORD})
    assert response.status_code == 429


def test_an_api_refusal_commits_nothing_but_the_rate_count(client, db):
    coordinator = make_user()
    headers = {"Authorization": f"Bearer {create_token(coordinator, 'partner CRM', TokenScope.WRITE)}"}
    db.commit()
    response = client.post("/api/v1/learners", json={"given_name": "Amal", "phone": "12"}, headers=headers)
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "phone"
    assert committed(sa.select(Learner.id)) == []
    assert [row.count for row in committed(sa.select(ApiRateWindow.count))] == [1]


def test_an_api_create_is_committed_with_its_idempotency_record(client, db):
    coordinator = make_user()
    headers = {
        "Authorization": f"Bearer {create_token(coordinator, 'partner CRM', TokenScope.WRITE)}",
        "Idempotency-Key": "referral-1",
    }
    db.commit()
    first = client.post("/api/v1/learners", json={"given_name": "Amal"}, headers=headers)
    again = client.post("/api/v1/learners", json={"given_name": "Amal"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    assert len(committed(sa.select(Learner.id))) == 1
    assert [row.key for row in committed(sa.select(IdempotentRequest.key))] == ["referral-1"]
