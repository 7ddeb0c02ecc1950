"""Scheduled work for sessions and places: reminders, change notices, waitlist offers and their expiry."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lms.core.i18n import _, format_datetime
from lms.core.time import DEFAULT_TZ_NAME
from lms.courses.models import Course
from lms.extensions import db
from lms.messaging.people import queue_for_learner
from lms.people.models import Learner
from lms.scheduling.models import Cohort, Enrolment, EnrolmentStatus, Session, SessionStatus

ON_COURSE = (EnrolmentStatus.ENROLLED,)


def _when(session: Session) -> str:
    return format_datetime(session.start_dt.astimezone(ZoneInfo(session.timezone)), "EEEE d MMMM, HH:mm")


def _title(session: Session, learner: Learner, locale: str) -> str:
    return session.cohort.course.translated([locale, *learner.language_tags])[0]


def _learners(cohort_ids: list[int]) -> dict[int, list[Learner]]:
    rows = db.session.execute(
        sa.select(Enrolment.cohort_id, Learner)
        .join(Learner, Learner.id == Enrolment.learner_id)
        .where(Enrolment.cohort_id.in_(cohort_ids or [0]), Enrolment.status.in_(ON_COURSE))
        .options(joinedload(Learner.user))
    ).all()
    found: dict[int, list[Learner]] = {}
    for cohort_id, learner in rows:
        found.setdefault(cohort_id, []).append(learner)
    return found


def _sessions(query: sa.Select) -> list[Session]:
    return list(
        db.session.scalars(
            query.options(
                joinedload(Session.cohort).joinedload(Cohort.course).selectinload(Course.translations),
                joinedload(Session.venue),
            )
        ).unique()
    )


def session_reminders(now: datetime) -> dict:
    """The day before: every learner on the course, in their language, by SMS or e-mail."""
    zone = ZoneInfo(DEFAULT_TZ_NAME)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time.min, tzinfo=zone).astimezone(UTC)
    sessions = _sessions(
        sa.select(Session).where(
            Session.status == SessionStatus.SCHEDULED,
            Session.start_dt >= start,
            Session.start_dt < start + timedelta(days=1),
        )
    )
    learners = _learners([s.cohort_id for s in sessions])

    def reminder(session: Session, learner: Learner):  # noqa: ANN202
        def compose(locale: str) -> tuple[str, str]:
            body = _(
                "Reminder: %(course)s tomorrow, %(when)s, %(place)s. If you cannot come, tell us in Pathways.",
                course=_title(session, learner, locale),
                when=_when(session),
                place=session.venue.name if session.venue else "",
            )
            return _("Your class tomorrow"), body

        return compose

    queued = sum(
        queue_for_learner(learner, f"reminder:{session.id}:{learner.id}", reminder(session, learner))
        for session in sessions
        for learner in learners.get(session.cohort_id, [])
    )
    return {"sessions": len(sessions), "queued": queued}


def session_change_notices(now: datetime) -> dict:
    """A moved or cancelled session still to come: one notice per learner per change (revision)."""
    sessions = _sessions(
        sa.select(Session).where(
            Session.revision > 0, Session.start_dt > now, Session.updated_dt >= now - timedelta(days=2)
        )
    )
    learners = _learners([s.cohort_id for s in sessions])

    def notice(session: Session, learner: Learner):  # noqa: ANN202
        def compose(locale: str) -> tuple[str, str]:
            title = _title(session, learner, locale)
            if session.is_cancelled:
                return _("Class cancelled"), _(
                    "%(course)s on %(when)s is cancelled.", course=title, when=_when(session)
                )
            body = _(
                "%(course)s has a new time or place: %(when)s, %(place)s.",
                course=title,
                when=_when(session),
                place=session.venue.name if session.venue else "",
            )
            return _("Class changed"), body

        return compose

    queued = sum(
        queue_for_learner(learner, f"change:{session.id}:{session.revision}:{learner.id}", notice(session, learner))
        for session in sessions
        for learner in learners.get(session.cohort_id, [])
    )
    return {"sessions": len(sessions), "queued": queued}
