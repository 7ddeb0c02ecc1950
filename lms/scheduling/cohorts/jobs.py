"""Scheduled work for sessions and places: reminders, change notices, waitlist offers and their expiry."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from lms.core.i18n import _, format_datetime
from lms.core.time import DEFAULT_TZ_NAME
from lms.courses.models import Course
from lms.extensions import db
from lms.messaging.people import queue_for_learner
from lms.people.models import Learner
from lms.scheduling.cohorts.enrolment import expire_offers
from lms.scheduling.models import Cohort, Enrolment, EnrolmentStatus


def _deadline(enrolment: Enrolment) -> datetime:
    assert enrolment.offer_expires_dt is not None  # only offers with a deadline are selected
    return enrolment.offer_expires_dt


def waitlist_offers(now: datetime) -> dict:
    """Withdraw offers past their deadline (passing the place on), then tell each new offer's learner."""
    expired = expire_offers(now)
    offers = db.session.execute(
        sa.select(Enrolment, Learner)
        .join(Learner, Learner.id == Enrolment.learner_id)
        .where(Enrolment.status == EnrolmentStatus.OFFERED, Enrolment.offer_expires_dt > now)
        .options(
            joinedload(Enrolment.cohort).joinedload(Cohort.course).selectinload(Course.translations),
            selectinload(Learner.user),
        )
    ).all()

    def offer(enrolment: Enrolment, learner: Learner):  # noqa: ANN202
        def compose(locale: str) -> tuple[str, str]:
            deadline = format_datetime(_deadline(enrolment).astimezone(ZoneInfo(DEFAULT_TZ_NAME)), "EEEE d MMMM, HH:mm")
            title = enrolment.cohort.course.translated([locale, *learner.language_tags])[0]
            body = _(
                "A place is free for you on %(course)s. Please answer in Pathways by %(when)s.",
                course=title,
                when=deadline,
            )
            return _("A place for you"), body

        return compose

    queued = sum(
        queue_for_learner(
            learner, f"offer:{enrolment.id}:{_deadline(enrolment).isoformat()}", offer(enrolment, learner)
        )
        for enrolment, learner in offers
    )
    return {"expired": expired, "queued": queued}
