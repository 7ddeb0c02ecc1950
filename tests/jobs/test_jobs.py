"""Scheduled jobs: each message exactly once, in the learner's language, at the right local time."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger

from lms.assessments.attendance import services as attendance
from lms.assessments.progression.jobs import certificate_expiry_reminders
from lms.core.roles import Role
from lms.jobs.digest import coordinator_digest
from lms.jobs.models import JobRun
from lms.jobs.retention import apply_retention
from lms.jobs.scheduler import jobs, run_job
from lms.messaging.models import Channel, MessageStatus, OutboxMessage
from lms.messaging.services import deliver_due, queue
from lms.messaging.transports import LogTransport, TransportError
from lms.people import services as people_services
from lms.people.models import Learner
from lms.scheduling.cohorts import enrolment
from lms.scheduling.cohorts.jobs import waitlist_offers
from lms.scheduling.models import EnrolmentStatus
from lms.scheduling.timetable import services as timetable
from lms.scheduling.timetable.jobs import session_change_notices, session_reminders
from tests.factories import (
    make_certificate_type,
    make_cohort,
    make_course,
    make_enrolment,
    make_learner,
    make_programme,
    make_session,
    make_user,
)

LONDON = ZoneInfo("Europe/London")


@pytest.fixture()
def setup(db, frozen_clock):
    coordinator = make_user()
    course = make_course(coordinator.organisation, coordinator, title="ESOL Entry 2")
    from lms.courses import services as course_services

    course_services.save_course_translation(course, "ar", "الإنجليزية ٢", "")
    cohort = make_cohort(
        coordinator,
        course=course,
        name="ESOL",
        start_date=date(2026, 10, 1),
        end_date=date(2026, 12, 31),
        capacity=2,
        allow_late_joiners=True,
    )
    fatima = make_learner(organisation=coordinator.organisation, phone="07700 900601", preferred_languages="ar")
    olena = make_learner(organisation=coordinator.organisation, email="olena@example.org")
    nobody = make_learner(organisation=coordinator.organisation)  # no phone, no e-mail
    for learner in (fatima, olena):
        make_enrolment(cohort, learner, actor=coordinator)
    make_enrolment(cohort, nobody, actor=coordinator)  # waitlisted: cohort of two
    db.commit()
    return {"coordinator": coordinator, "cohort": cohort, "fatima": fatima, "olena": olena, "nobody": nobody}


def outbox(db) -> list[OutboxMessage]:
    return db.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_reminders_go_the_day_before_once_each_in_the_learners_language(db, setup):
    session = make_session(setup["cohort"], setup["coordinator"], day=date(2026, 11, 26), start=time(10), end=time(12))
    make_session(setup["cohort"], setup["coordinator"], day=date(2026, 11, 28), start=time(10), end=time(12))
    now = datetime(2026, 11, 25, 17, tzinfo=LONDON)
    assert session_reminders(now) == {"sessions": 1, "queued": 2}
    assert session_reminders(now) == {"sessions": 1, "queued": 0}  # run again: nothing twice
    messages = outbox(db)
    assert [(m.channel, m.recipient, m.locale) for m in messages] == [
        (Channel.SMS, "+447700900601", "ar"),
        (Channel.EMAIL, "olena@example.org", "en_GB"),
    ]
    assert "الإنجليزية ٢" in messages[0].body and "10:00" in messages[0].body
    assert "ESOL Entry 2" in messages[1].body and str(session.id) in messages[1].key


def test_the_reminder_job_runs_at_17_00_london_time_across_the_clock_change():
    trigger = CronTrigger(timezone=LONDON, **next(job.cron for job in jobs() if job.name == "session_reminders"))
    before = trigger.get_next_fire_time(None, datetime(2026, 10, 24, 12, tzinfo=UTC))
    after = trigger.get_next_fire_time(None, datetime(2026, 10, 25, 18, tzinfo=UTC))
    assert before.astimezone(LONDON).hour == after.astimezone(LONDON).hour == 17
    assert (before.astimezone(UTC).hour, after.astimezone(UTC).hour) == (16, 17)


def test_a_reminder_for_a_session_after_the_clock_change_uses_the_local_date(db, setup):
    # Saturday 24 October at 17:00 BST: tomorrow (Sunday 25th, when the clocks go back) is what counts.
    make_session(setup["cohort"], setup["coordinator"], day=date(2026, 10, 25), start=time(18), end=time(20))
    make_session(setup["cohort"], setup["coordinator"], day=date(2026, 10, 26), start=time(0, 30), end=time(1, 30))
    assert session_reminders(datetime(2026, 10, 24, 17, tzinfo=LONDON))["sessions"] == 1
    assert "18:00" in outbox(db)[0].body


def test_changes_and_cancellations_are_announced_once_per_change(db, setup, frozen_clock):
    session = make_session(setup["cohort"], setup["coordinator"], day=date(2026, 12, 3), start=time(10), end=time(12))
    timetable.move_session(session, date(2026, 12, 3), time(13), time(15), setup["coordinator"])
    now = frozen_clock.now
    assert session_change_notices(now)["queued"] == 2
    assert session_change_notices(now)["queued"] == 0
    timetable.cancel_session(session, "Tutor ill", setup["coordinator"])
    assert session_change_notices(now)["queued"] == 2
    assert "cancelled" in outbox(db)[-1].body


def test_an_expired_offer_passes_the_place_on_and_the_next_learner_is_told(db, setup, frozen_clock):
    cohort = setup["cohort"]
    fourth = make_learner(organisation=setup["coordinator"].organisation, phone="07700 900604")
    make_enrolment(cohort, fourth, actor=setup["coordinator"])
    first = db.scalar(sa.select(enrolment.Enrolment).where(enrolment.Enrolment.learner_id == setup["olena"].id))
    enrolment.withdraw(first, "Moved", setup["coordinator"])  # offered to `nobody` (first in the queue)
    db.commit()
    frozen_clock.advance(hours=73)
    summary = waitlist_offers(frozen_clock.now)
    assert summary == {"expired": 1, "queued": 1}
    assert outbox(db)[0].recipient == "+447700900604"


def test_a_failing_transport_is_retried_then_reported_and_never_blocks_others(db, setup, frozen_clock):
    class Flaky(LogTransport):
        def send(self, message):  # noqa: ANN001, ANN202
            if message.recipient.endswith("broken"):
                raise TransportError("mailbox unavailable")
            super().send(message)

    queue("test:1", channel=Channel.EMAIL, recipient="x@broken", subject="s", body="b", locale="en_GB")
    queue("test:2", channel=Channel.EMAIL, recipient="ok@example.org", subject="s", body="b", locale="en_GB")
    db.commit()
    transport = Flaky()
    assert deliver_due(transport, frozen_clock.now) == {"sent": 1, "retry": 1, "failed": 0}
    assert deliver_due(transport, frozen_clock.now) == {"sent": 0, "retry": 0, "failed": 0}  # backing off
    for minutes in (5, 10, 20, 40):
        frozen_clock.advance(minutes=minutes)
        deliver_due(transport, frozen_clock.now)
    broken, fine = outbox(db)
    assert (broken.status, broken.attempts, broken.last_error) == (MessageStatus.FAILED, 5, "mailbox unavailable")
    assert fine.status is MessageStatus.SENT and len(transport.sent) == 1


@pytest.mark.slow
def test_two_schedulers_at_once_run_each_job_once(app, db, setup, frozen_clock):
    make_session(setup["cohort"], setup["coordinator"], day=date(2026, 11, 26), start=time(10), end=time(12))
    db.commit()
    db.close()
    job = next(job for job in jobs() if job.name == "session_reminders")
    now = datetime(2026, 11, 25, 17, tzinfo=LONDON)
    results = []
    barrier = threading.Barrier(2)

    def scheduler() -> None:
        barrier.wait()
        results.append(run_job(app, job, now))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results, key=lambda r: r is None) == [{"sessions": 1, "queued": 2}, None]
    assert db.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 1
    assert len(outbox(db)) == 2


def test_certificate_expiry_reminders_60_days_ahead(db, setup, frozen_clock):
    from lms.assessments.progression import achievements

    card = make_certificate_type(name="CSCS Labourer card", validity_months=24)
    achievements.record_external_certificate(
        setup["fatima"],
        card,
        number="123",
        issued=date(2025, 1, 15),
        expiry=None,
        renewal=False,
        evidence_seen=True,
        actor=setup["coordinator"],
    )
    assert certificate_expiry_reminders(frozen_clock.now)["queued"] == 1  # expires 14 January 2027
    assert certificate_expiry_reminders(frozen_clock.now)["queued"] == 0


def test_the_digest_goes_to_coordinators_not_to_learners(db, setup, frozen_clock):
    session = make_session(setup["cohort"], setup["coordinator"], day=date(2026, 11, 24), start=time(10), end=time(12))
    db.commit()
    assert session is not None
    assert coordinator_digest(frozen_clock.now)["queued"] == 1
    [message] = outbox(db)
    assert message.recipient == setup["coordinator"].email and message.learner_id is None
    assert "Registers not taken: 1" in message.body


def test_retention_reports_first_and_anonymises_only_when_applied(db, setup, frozen_clock):
    coordinator = setup["coordinator"]
    programme = make_programme(
        coordinator.organisation,
        coordinator,
        name="Old project",
        start_date=date(2023, 1, 1),
        end_date=date(2024, 12, 31),
        retention_months=12,
    )
    old = make_cohort(
        coordinator,
        course=setup["cohort"].course,
        name="Old",
        programme_id=programme.id,
        start_date=date(2024, 1, 1),
        end_date=date(2024, 6, 30),
        capacity=5,
        status="finished",
    )
    past = make_learner(organisation=coordinator.organisation, given_name="Hamid", phone="07700 900605")
    people_services.create_learner_login(past, "2468", coordinator)
    make_enrolment(old, past, status=EnrolmentStatus.COMPLETED)
    db.commit()
    today = date(2026, 11, 25)
    report = apply_retention(today, frozen_clock.now, dry_run=True)
    assert report["learner_ids"] == [past.id] and report["anonymised"] == 0
    assert db.get(Learner, past.id).given_name == "Hamid"
    apply_retention(today, frozen_clock.now, dry_run=False)
    db.commit()
    gone = db.get(Learner, past.id)
    assert (gone.given_name, gone.phone, gone.user_id) == ("Removed", None, None)
    assert gone.anonymised_dt is not None
    assert setup["fatima"].given_name != "Removed"  # still on a current course


def test_the_jobs_page_is_for_coordinators(client, db, setup, login_as):
    from tests.conftest import log_in

    log_in(client, setup["coordinator"])
    assert "session_reminders" in client.get("/jobs").get_data(as_text=True)
    client.post("/logout")
    login_as(Role.EDUCATOR)
    assert client.get("/jobs").status_code == 403
    assert attendance is not None
