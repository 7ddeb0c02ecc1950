"""API tokens, rate-limit windows and idempotency records."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import UTCDateTime, enum_type
from lms.core.time import now_utc
from lms.extensions import Model
from lms.people.models import User


class TokenScope(enum.StrEnum):
    READ = "read"
    WRITE = "write"


class ApiToken(Model):
    """A personal token: it acts with exactly its owner's permissions, read-only or read-write."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[TokenScope] = mapped_column(enum_type(TokenScope, "token_scope", length=8))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ApiRateWindow(Model):
    """Requests made with a token in one minute, counted with a conditional UPDATE."""

    __tablename__ = "api_rate_window"

    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True)
    minute: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class IdempotentRequest(Model):
    """The answer to a create sent with an Idempotency-Key: a retry gets the same answer, not a duplicate.

    The row is inserted first, in the request's own transaction, so the unique key claims the
    Idempotency-Key before the create runs: a second request with the same key waits on that row
    until the first commits (then replays its answer) or rolls back (then runs itself)."""

    __tablename__ = "idempotent_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_token.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(100))
    endpoint: Mapped[str] = mapped_column(sa.String(100))
    #: SHA-256 of the method, path and JSON body: a retry must be the same request.
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    #: The answer, filled before the claim commits; empty only inside the claiming transaction.
    status: Mapped[int | None]
    body: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (sa.UniqueConstraint("token_id", "key"),)
