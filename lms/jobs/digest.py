"""Scheduled work for coordinators and learners: the daily digest and certificate expiry reminders."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from lms.assessments.attendance import services as attendance
from lms.core.i18n import _, force_locale, format_date
from lms.core.roles import Role
from lms.core.time import DEFAULT_TZ_NAME
from lms.courses import queries as course_queries
from lms.courses.facts import learner_facts
from lms.courses.pathways import StepStatus, pathway_progress
from lms.extensions import db
from lms.messaging.people import user_address
from lms.messaging.services import queue
from lms.people.models import Organisation, User, UserRole


def _ready_for_next_step(organisation_id: int, today) -> list[str]:  # noqa: ANN001
    lines = []
    for listed in course_queries.pathways_of(organisation_id):
        pathway = course_queries.pathway_with_steps(listed.id)
        if pathway is None:  # deleted since it was listed
            continue
        members = course_queries.members_of(pathway.id)
        facts = learner_facts(m.id for m in members)
        rules = course_queries.rules_by_id(organisation_id)
        for member in members:
            ready = [
                p.step.title
                for p in pathway_progress(pathway.steps, facts[member.id], today, rules)
                if p.status is StepStatus.READY and p.step.prerequisites
            ]
            if ready:
                lines.append(f"{member.both_names}: {', '.join(ready)} ({pathway.name})")
    return lines


def coordinator_digest(now: datetime) -> dict:
    """Once a day per coordinator: learners at risk, registers not taken, learners ready for a next step.
    Only to coordinators; learners are never e-mailed about being at risk."""
    today = now.astimezone(ZoneInfo(DEFAULT_TZ_NAME)).date()
    queued = 0
    for organisation in db.session.scalars(sa.select(Organisation)):
        at_risk = attendance.learners_at_risk(organisation.id)
        not_taken = attendance.registers_not_taken(organisation.id, today - timedelta(days=7), now)
        ready = _ready_for_next_step(organisation.id, today)
        if not (at_risk or not_taken or ready):
            continue
        coordinators = db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.organisation_id == organisation.id, UserRole.role == Role.COORDINATOR, User.is_active.is_(True))
        ).all()
        for coordinator in coordinators:
            address = user_address(coordinator)
            if address is None:
                continue
            locale = coordinator.locale or organisation.default_locale or "en_GB"
            with force_locale(locale):
                lines = [_("Learners at risk: %(count)d", count=len(at_risk))]
                lines += [f"- {r.learner_name} ({r.cohort_name})" for r in at_risk]
                lines.append(_("Registers not taken: %(count)d", count=len(not_taken)))
                lines += [f"- {s.cohort.name}, {format_date(s.start_dt.date())}" for s, _names in not_taken]
                lines.append(_("Ready for a next step: %(count)d", count=len(ready)))
                lines += [f"- {line}" for line in ready]
                subject = _("Pathways: today's list")
            queued += queue(
                f"digest:{today.isoformat()}:{coordinator.id}",
                channel=address[0],
                recipient=address[1],
                subject=subject,
                body="\n".join(lines),
                locale=locale,
                user_id=coordinator.id,
            )
    return {"queued": queued}
