"""Queue messages and deliver them: each message once, retried with backoff, failures reported."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from lms.core.db import rowcount
from lms.core.time import now_utc
from lms.extensions import db
from lms.messaging.models import Channel, MessageStatus, OutboxMessage
from lms.messaging.transports import Transport, TransportError

MAX_ATTEMPTS = 5


def queue(
    key: str,
    *,
    channel: Channel,
    recipient: str,
    subject: str,
    body: str,
    locale: str,
    user_id: int | None = None,
    learner_id: int | None = None,
) -> bool:
    """Queue a message unless one with this key exists. Returns whether it was queued now."""
    if db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.key == key)):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(
                OutboxMessage(
                    key=key,
                    channel=channel,
                    recipient=recipient,
                    subject=subject[:200],
                    body=body,
                    locale=locale,
                    user_id=user_id,
                    learner_id=learner_id,
                )
            )
            db.session.flush()
    except sa.exc.IntegrityError:
        return False  # queued a moment ago by another scheduler
    return True


def deliver_due(transport: Transport, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send what is due. Each message is claimed with a conditional UPDATE first, so two deliverers never
    send the same one, and a failing message never stops the others."""
    now = now or now_utc()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    due = db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.next_attempt_dt <= now)
        .order_by(OutboxMessage.next_attempt_dt, OutboxMessage.id)
        .limit(limit)
    ).all()
    for message_id in due:
        claimed = rowcount(
            db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == MessageStatus.PENDING)
                .values(status=MessageStatus.SENDING)
                .execution_options(synchronize_session=False)
            )
        )
        db.session.commit()
        if not claimed:
            continue
        message = db.session.get_one(OutboxMessage, message_id)
        db.session.refresh(message)
        message.attempts += 1
        try:
            transport.send(message)
        except TransportError as error:
            message.last_error = str(error)[:1000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = MessageStatus.FAILED
                counts["failed"] += 1
            else:
                message.status = MessageStatus.PENDING
                message.next_attempt_dt = now + timedelta(minutes=5 * 2 ** (message.attempts - 1))
                counts["retry"] += 1
        else:
            message.status, message.sent_dt, message.last_error = MessageStatus.SENT, now, ""
            counts["sent"] += 1
        db.session.commit()
    return counts
