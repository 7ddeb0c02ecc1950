"""Scheduled work: certificate expiry reminders, and completing ended classes whose rules are met."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from lms.assessments.progression import services
from lms.assessments.progression.models import ExternalCertificate
from lms.core.i18n import _, format_date
from lms.core.time import DEFAULT_TZ_NAME
from lms.extensions import db
from lms.messaging.people import queue_for_learner
from lms.people.models import Learner
from lms.scheduling.models import Cohort, Enrolment, EnrolmentStatus

EXPIRY_NOTICE_DAYS = 60
#: How long after a class ends the nightly check still looks for places whose rules became met.
COMPLETION_WINDOW_DAYS = 365


def certificate_expiry_reminders(now: datetime) -> dict:
    """Tell learners 60 days before an external certificate (Food Hygiene, CSCS card...) expires."""
    today = now.astimezone(ZoneInfo(DEFAULT_TZ_NAME)).date()
    rows = db.session.execute(
        sa.select(ExternalCertificate, Learner)
        .join(Learner, Learner.id == ExternalCertificate.learner_id)
        .where(
            ExternalCertificate.expiry_date >= today,
            ExternalCertificate.expiry_date <= today + timedelta(days=EXPIRY_NOTICE_DAYS),
        )
        .options(sa.orm.joinedload(ExternalCertificate.certificate_type), sa.orm.selectinload(Learner.user))
    ).all()

    def reminder(certificate: ExternalCertificate):  # noqa: ANN202
        def compose(locale: str) -> tuple[str, str]:
            body = _(
                "Your %(certificate)s expires on %(date)s. Ask us about renewing it.",
                certificate=certificate.certificate_type.name,
                date=format_date(certificate.expiry_date, "long"),
            )
            return _("Certificate expiring soon"), body

        return compose

    queued = sum(
        queue_for_learner(learner, f"expiry:{certificate.id}:{certificate.expiry_date}", reminder(certificate))
        for certificate, learner in rows
    )
    return {"certificates": len(rows), "queued": queued}


def complete_ended_classes(now: datetime) -> dict:
    """Every night: places on classes that have ended whose learners now meet the course's completion
    rules are recorded as completed on the class's end date, so that funder returns count them even
    when nobody pressed "Complete the class"."""
    today = now.astimezone(ZoneInfo(DEFAULT_TZ_NAME)).date()
    cohorts = db.session.scalars(
        sa.select(Cohort)
        .where(
            Cohort.end_date < today,
            Cohort.end_date >= today - timedelta(days=COMPLETION_WINDOW_DAYS),
            Cohort.is_drop_in.is_(False),
            sa.exists().where(Enrolment.cohort_id == Cohort.id, Enrolment.status == EnrolmentStatus.ENROLLED),
        )
        .order_by(Cohort.id)
    ).all()
    completed = sum(services.complete_qualifying(cohort, cohort.end_date) for cohort in cohorts)
    return {"classes": len(cohorts), "completed": completed}
