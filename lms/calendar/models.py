"""Calendar feed subscriptions: a secret token per feed, stored only as a hash, revocable."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import UTCDateTime, enum_type
from lms.core.enums import TitledEnum
from lms.core.i18n import _l
from lms.core.time import now_utc
from lms.extensions import Model
from lms.people.models import User
from lms.scheduling.models.cohorts import Cohort, Venue


class FeedKind(TitledEnum):
    USER = "user"
    COHORT = "cohort"
    VENUE = "venue"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.USER: _l("My timetable"), cls.COHORT: _l("Cohort"), cls.VENUE: _l("Venue")}


class CalendarFeed(Model):
    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FeedKind] = mapped_column(enum_type(FeedKind, "feed_kind", length=16))
    #: For a user's feed, whose timetable it is (a learner's or an educator's).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venue.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the 256-bit token in the URL. Not derived from any password.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    cohort: Mapped[Cohort | None] = relationship()
    venue: Mapped[Venue | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'user' AND user_id IS NOT NULL) OR (kind = 'cohort' AND cohort_id IS NOT NULL)"
            " OR (kind = 'venue' AND venue_id IS NOT NULL)",
            name="target_matches_kind",
        ),
    )


class FeedBody(Model):
    """The last body served for a feed, kept so that a calendar app polling an unchanged feed without
    a conditional request gets the stored bytes instead of a fresh render. It is valid while the feed's
    ETag (and the host its event UIDs name) is the one it was rendered for; a changed feed simply
    renders again and replaces it. Holds only what the feed itself shows; goes with its feed."""

    __tablename__ = "calendar_feed_body"

    feed_id: Mapped[int] = mapped_column(sa.ForeignKey("calendar_feed.id", ondelete="CASCADE"), primary_key=True)
    etag: Mapped[str] = mapped_column(sa.String(64))
    host: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    stored_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
