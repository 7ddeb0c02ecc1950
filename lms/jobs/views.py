"""The coordinator's view of background work: jobs and their last runs, the outbox and its failures."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from lms.core.access import role_required
from lms.core.roles import Role
from lms.extensions import db
from lms.jobs.models import JobRun
from lms.messaging.models import MessageStatus, OutboxMessage
from lms.people.models import Learner, User

bp = Blueprint("jobs", __name__, template_folder="templates")


@bp.get("/jobs")
@role_required(Role.COORDINATOR)
def jobs():
    from lms.jobs.scheduler import jobs as scheduled_jobs

    names = [job.name for job in scheduled_jobs()]
    runs = db.session.scalars(sa.select(JobRun).order_by(JobRun.started_dt.desc()).limit(200)).all()
    last = {name: [run for run in runs if run.job == name][:5] for name in names}
    mine = sa.or_(
        OutboxMessage.learner_id.in_(
            sa.select(Learner.id).where(Learner.organisation_id == current_user.organisation_id)
        ),
        OutboxMessage.user_id.in_(sa.select(User.id).where(User.organisation_id == current_user.organisation_id)),
    )
    recent = db.session.scalars(sa.select(OutboxMessage).where(mine).order_by(OutboxMessage.id.desc()).limit(50)).all()
    failed = db.session.scalars(
        sa.select(OutboxMessage)
        .where(mine, sa.or_(OutboxMessage.status == MessageStatus.FAILED, OutboxMessage.attempts > 1))
        .order_by(OutboxMessage.id.desc())
        .limit(50)
    ).all()
    return render_template(
        "jobs/jobs.html",
        names=names,
        last=last,
        recent=recent,
        failed=failed,
        masked=lambda value: value[:3] + "…" + value[-3:] if len(value) > 6 else "…",
    )
