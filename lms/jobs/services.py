"""Running a scheduled job exactly once per period: each run claims (job, period) in `job_run` first."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from lms.core.time import now_utc
from lms.extensions import db
from lms.jobs.models import JobRun


def run_once(job: str, run_key: str, work: Callable[[], dict]) -> JobRun | None:
    """Run `work` for this job and period unless a run already claimed it (another scheduler, or a rerun).
    The claim is committed first, so a second scheduler starting at the same moment sees it."""
    try:
        with db.session.begin_nested():
            run = JobRun(job=job, run_key=run_key)
            db.session.add(run)
            db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return None
    db.session.commit()
    try:
        summary = work() or {}
    except Exception as error:
        db.session.rollback()
        run = db.session.get_one(JobRun, run.id)
        run.ok, run.finished_dt, run.summary = False, now_utc(), {"error": type(error).__name__}
        db.session.commit()
        raise
    run.ok, run.finished_dt, run.summary = True, now_utc(), summary
    db.session.commit()
    return run
