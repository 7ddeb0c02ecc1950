"""The scheduler process (`lms scheduler`): APScheduler 3 running every job on its timetable.

It runs in its own process, never inside `create_app` or a gunicorn worker (each worker would run
every job). Even so, two schedulers started by mistake send nothing twice: each run claims
(job, period) in `job_run`, and each message has a unique key in the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from lms.core.time import DEFAULT_TZ_NAME, now_utc
from lms.extensions import db

log = logging.getLogger(__name__)
LONDON = ZoneInfo(DEFAULT_TZ_NAME)


@dataclass(frozen=True)
class Job:
    name: str
    #: APScheduler cron fields, in Europe/London wall-clock time.
    cron: dict
    #: The period a run covers: a second run in the same period does nothing.
    period: Callable[[datetime], str]
    work: Callable[[datetime], dict]


def _day(now: datetime) -> str:
    return now.astimezone(LONDON).date().isoformat()


def _quarter_hour(now: datetime) -> str:
    local = now.astimezone(LONDON)
    return local.strftime("%Y-%m-%dT%H:") + f"{local.minute // 15 * 15:02d}"


def _minute(now: datetime) -> str:
    return now.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def jobs() -> list[Job]:
    from lms.assessments.progression.jobs import certificate_expiry_reminders, complete_ended_classes
    from lms.jobs.digest import coordinator_digest
    from lms.jobs.retention import apply_retention
    from lms.messaging.services import deliver_due
    from lms.messaging.transports import configured_transport
    from lms.scheduling.cohorts.jobs import waitlist_offers
    from lms.scheduling.timetable.jobs import session_change_notices, session_reminders

    return [
        Job("session_reminders", {"hour": 17, "minute": 0}, _day, session_reminders),
        Job("session_change_notices", {"minute": "*/15"}, _quarter_hour, session_change_notices),
        Job("waitlist_offers", {"minute": "*/15"}, _quarter_hour, waitlist_offers),
        Job("coordinator_digest", {"hour": 7, "minute": 30}, _day, coordinator_digest),
        Job("certificate_expiry_reminders", {"hour": 9, "minute": 0}, _day, certificate_expiry_reminders),
        Job("complete_ended_classes", {"hour": 1, "minute": 30}, _day, complete_ended_classes),
        Job(
            "data_retention",
            {"hour": 2, "minute": 0},
            _day,
            lambda now: apply_retention(
                now.astimezone(LONDON).date(), now, dry_run=not current_app.config["RETENTION_APPLY"]
            ),
        ),
        Job("deliver_messages", {"minute": "*"}, _minute, lambda now: deliver_due(configured_transport(), now)),
    ]


def run_job(app: Flask, job: Job, now: datetime | None = None) -> dict | None:
    """One run in its own app context and transactions; None when another run already had this period."""
    from lms.jobs.services import run_once

    now = now or now_utc()
    with app.app_context():
        try:
            run = run_once(job.name, job.period(now), lambda: job.work(now))
            return dict(run.summary) if run is not None else None
        finally:
            db.session.remove()


def build_scheduler(app: Flask):  # noqa: ANN201
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    scheduler = BlockingScheduler(timezone=LONDON)
    for job in jobs():
        scheduler.add_job(
            run_job,
            CronTrigger(timezone=LONDON, **job.cron),
            args=[app, job],
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=300,
        )
    return scheduler
