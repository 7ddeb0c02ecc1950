"""The job-run log: the unique (job, period) key makes every scheduled run happen exactly once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import UTCDateTime
from lms.core.time import now_utc
from lms.extensions import Model


class JobRun(Model):
    """One run of a scheduled job for one period. The unique (job, run key) lets only one scheduler in."""

    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(64))
    #: The period the run covers, e.g. the date for a daily job or the minute for a frequent one.
    run_key: Mapped[str] = mapped_column(sa.String(64))
    started_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    finished_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ok: Mapped[bool | None]
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.UniqueConstraint("job", "run_key"), sa.Index("ix_job_run_job_started", "job", "started_dt"))
