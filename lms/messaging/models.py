"""The outbox and the job-run log. Unique keys make every job and every message happen exactly once."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import UTCDateTime, enum_type
from lms.core.time import now_utc
from lms.extensions import db


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What this message is about, e.g. "reminder:<session>:<learner>". A second attempt to queue
    #: the same message (a job run twice, two schedulers) hits the unique index and queues nothing.
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, "channel", length=8))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    locale: Mapped[str] = mapped_column(sa.String(16), default="en_GB")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    learner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"))
    status: Mapped[MessageStatus] = mapped_column(
        enum_type(MessageStatus, "message_status", length=10), default=MessageStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index(
            "ix_outbox_message_due",
            "next_attempt_dt",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
    )


class JobRun(db.Model):
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
