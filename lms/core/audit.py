"""An append-only audit trail: who read or changed sensitive data, and who changed what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import UTCDateTime
from lms.core.time import now_utc
from lms.extensions import Model, db


class AuditEvent(Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: A dotted verb such as "learner.sensitive.view" or "auth.login.failed".
    action: Mapped[str] = mapped_column(sa.String(64))
    subject_type: Mapped[str] = mapped_column(sa.String(32), default="")
    subject_id: Mapped[int | None]
    #: Field names and non-sensitive values only; never the sensitive values themselves.
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (sa.Index("ix_audit_event_subject", "subject_type", "subject_id", "created_dt"),)


def record(
    action: str,
    *,
    actor_id: int | None,
    subject_type: str = "",
    subject_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (it commits with the change it records)."""
    event = AuditEvent(
        actor_id=actor_id, action=action, subject_type=subject_type, subject_id=subject_id, detail=detail
    )
    db.session.add(event)
    return event
