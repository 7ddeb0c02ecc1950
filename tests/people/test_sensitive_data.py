"""Sensitive learner data (immigration, health, convictions, safeguarding) reaches only those who need it."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from lms.core.audit import AuditEvent
from lms.core.roles import Role
from lms.people import services
from lms.people.models import ConvictionFlag, ImmigrationStatus, LearnerSensitive
from tests.factories import make_learner, make_user

SECRETS = ("Asylum seeker (claim pending)", "Epilepsy: needs a quiet room", "Known to children's services")


@pytest.fixture()
def learner_with_secrets(db):
    learner = make_learner(given_name="Fatima")
    coordinator = make_user(organisation=learner.organisation)
    services.add_immigration_status(
        learner,
        status=ImmigrationStatus.ASYLUM_SEEKER,
        from_date=date(2026, 1, 5),
        until_date=None,
        note="",
        actor=coordinator,
    )
    services.update_sensitive(
        learner,
        health_and_access_needs="Epilepsy: needs a quiet room",
        relevant_unspent_conviction=ConvictionFlag.NO,
        safeguarding_notes="Known to children's services",
        actor=coordinator,
    )
    db.commit()
    return learner


def _shows_secrets(response) -> bool:
    text = response.get_data(as_text=True).replace("&#39;", "'")
    return any(secret in text for secret in SECRETS)


def test_coordinator_sees_them_only_after_asking_and_the_look_is_audited(client, db, login_as, learner_with_secrets):
    coordinator = login_as(Role.COORDINATOR, organisation=learner_with_secrets.organisation)
    page = client.get(f"/learners/{learner_with_secrets.id}")
    assert page.status_code == 200 and not _shows_secrets(page)
    assert client.post(f"/learners/{learner_with_secrets.id}/sensitive/reveal").status_code == 302
    shown = client.get(f"/learners/{learner_with_secrets.id}?sensitive=1")
    assert all(secret in shown.get_data(as_text=True).replace("&#39;", "'") for secret in SECRETS)
    views = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "learner.sensitive.view")).all()
    assert [(event.actor_id, event.subject_id) for event in views] == [(coordinator.id, learner_with_secrets.id)]


def test_the_query_flag_alone_reveals_nothing_to_an_educator(client, db, login_as, learner_with_secrets):
    login_as(Role.EDUCATOR, organisation=learner_with_secrets.organisation)
    assert client.get(f"/learners/{learner_with_secrets.id}?sensitive=1").status_code == 404
    assert client.post(f"/learners/{learner_with_secrets.id}/sensitive/reveal").status_code == 403
    assert client.get(f"/learners/{learner_with_secrets.id}/sensitive").status_code == 403


def test_coordinator_of_another_organisation_gets_404(client, db, login_as, learner_with_secrets):
    login_as(Role.COORDINATOR)  # a different organisation
    assert client.get(f"/learners/{learner_with_secrets.id}").status_code == 404
    assert client.post(f"/learners/{learner_with_secrets.id}/sensitive/reveal").status_code == 404
    assert client.get(f"/learners/{learner_with_secrets.id}/sensitive").status_code == 404
    assert (
        client.post(
            f"/learners/{learner_with_secrets.id}/sensitive",
            data={
                "health_and_access_needs": "overwritten",
                "relevant_unspent_conviction": "yes",
                "safeguarding_notes": "",
            },
        ).status_code
        == 404
    )
    sensitive = db.get(LearnerSensitive, learner_with_secrets.id)
    assert sensitive.health_and_access_needs == "Epilepsy: needs a quiet room"


def test_learner_sees_own_record_without_sensitive_details_and_not_others(client, db, login_as, learner_with_secrets):
    own = login_as(Role.LEARNER, organisation=learner_with_secrets.organisation)
    learner_with_secrets.user_id = own.id
    other = make_learner(organisation=learner_with_secrets.organisation)
    db.commit()
    page = client.get(f"/learners/{learner_with_secrets.id}?sensitive=1")
    assert page.status_code == 200
    assert "Fatima" in page.get_data(as_text=True)
    assert not _shows_secrets(page)
    assert client.get(f"/learners/{other.id}").status_code == 404


def test_funder_viewer_cannot_reach_learners(client, db, login_as, learner_with_secrets):
    login_as(Role.FUNDER_VIEWER, organisation=learner_with_secrets.organisation)
    assert client.get("/learners").status_code == 403
    assert client.get(f"/learners/{learner_with_secrets.id}").status_code == 404


def test_audit_records_changed_fields_not_values(client, db, login_as, learner_with_secrets):
    login_as(Role.COORDINATOR, organisation=learner_with_secrets.organisation)
    response = client.post(
        f"/learners/{learner_with_secrets.id}/sensitive",
        data={
            "health_and_access_needs": "Diabetes",
            "relevant_unspent_conviction": "no",
            "safeguarding_notes": "Known to children's services",
        },
    )
    assert response.status_code == 302
    event = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "learner.sensitive.update").order_by(AuditEvent.id.desc())
    ).first()
    assert event.detail == {"fields": ["health_and_access_needs"]}
    assert "Diabetes" not in str(event.detail)


def test_immigration_status_with_dates_out_of_order_is_refused(client, db, login_as, learner_with_secrets):
    login_as(Role.COORDINATOR, organisation=learner_with_secrets.organisation)
    response = client.post(
        f"/learners/{learner_with_secrets.id}/immigration",
        data={"status": "refugee", "from_date": "2026-05-01", "until_date": "2026-04-01", "note": ""},
        follow_redirects=True,
    )
    assert "The end date must be on or after the start date." in response.get_data(as_text=True)
    db.refresh(learner_with_secrets)
    assert [record.status for record in learner_with_secrets.immigration_history] == [ImmigrationStatus.ASYLUM_SEEKER]


def test_sensitive_details_never_reach_the_logs(client, db, login_as, learner_with_secrets, caplog):
    login_as(Role.COORDINATOR, organisation=learner_with_secrets.organisation)
    with caplog.at_level("DEBUG"):
        client.post(f"/learners/{learner_with_secrets.id}/sensitive/reveal")
        client.get(f"/learners/{learner_with_secrets.id}?sensitive=1")
    assert not any(secret in caplog.text for secret in SECRETS)
