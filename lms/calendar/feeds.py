"""Calendar feeds: issuing and revoking secret URLs, and what each feed holds.

A feed's version (its ETag and Last-Modified) comes from one aggregate query, so a calendar app that
polls an unchanged feed gets 304 without the feed being built. The feed itself is built in a fixed
number of queries however many sessions it holds, and its body is stored (`FeedBody`) so that an app
that asks again without a conditional request is sent the stored bytes while the version holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from lms.calendar.ical import FeedEvent, session_uid
from lms.calendar.models import CalendarFeed, FeedBody, FeedKind
from lms.core import audit
from lms.core.db import upsert_insert
from lms.core.i18n import _, force_locale
from lms.core.time import now_utc
from lms.core.tokens import new_token, token_hash
from lms.courses.models import Course
from lms.extensions import db
from lms.people.models import Learner, User
from lms.scheduling.models import Cohort, Enrolment, EnrolmentStatus, Session, SessionEducator

WINDOW_BACK = timedelta(days=30)
#: A learner's feed shows the cohorts they are in, or finished recently.
ON_FEED = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.DID_NOT_COMPLETE)


# --- issuing and revoking ------------------------------------------------------------------------


def _active(kind: FeedKind, target_column, target_id: int) -> sa.Select:  # noqa: ANN001
    return sa.select(CalendarFeed).where(
        CalendarFeed.kind == kind, target_column == target_id, CalendarFeed.revoked_dt.is_(None)
    )


def _target(kind: FeedKind):  # noqa: ANN202
    return {
        FeedKind.USER: CalendarFeed.user_id,
        FeedKind.COHORT: CalendarFeed.cohort_id,
        FeedKind.VENUE: CalendarFeed.venue_id,
    }[kind]


def active_feed(kind: FeedKind, target_id: int) -> CalendarFeed | None:
    return db.session.scalar(_active(kind, _target(kind), target_id))


def issue_feed(kind: FeedKind, target_id: int, actor: User) -> str:
    """A new secret URL token for the feed; any earlier one stops working. Only its hash is kept."""
    revoke_feed(kind, target_id, actor)
    token = new_token()
    feed = CalendarFeed(kind=kind, token_hash=token_hash(token), created_by_id=actor.id)
    setattr(feed, _target(kind).key, target_id)
    db.session.add(feed)
    db.session.flush()
    audit.record("calendar.feed.issue", actor_id=actor.id, subject_type=kind.value, subject_id=target_id)
    return token


def revoke_feed(kind: FeedKind, target_id: int, actor: User) -> bool:
    feeds = db.session.scalars(_active(kind, _target(kind), target_id)).all()
    for feed in feeds:
        feed.revoked_dt = now_utc()
    if feeds:
        audit.record("calendar.feed.revoke", actor_id=actor.id, subject_type=kind.value, subject_id=target_id)
    db.session.flush()
    return bool(feeds)


def revoke_feeds_of_deactivated(user: User, actor: User) -> None:
    """A deactivated user's own timetable feed link ends with the account (registered with people.hooks).
    Cohort and venue feeds belong to the cohort or venue, not to whoever issued them, and stay."""
    revoke_feed(FeedKind.USER, user.id, actor)


@dataclass(frozen=True)
class FoundFeed:
    feed: CalendarFeed
    owner_locale: str
    #: The ETag and host of the body stored for it, if any.
    stored_etag: str | None
    stored_host: str | None


def feed_for_token(token: str) -> FoundFeed | None:
    """The live feed for a token, with its owner's language and which body is stored for it (one
    query, for the cheap 304 path)."""
    if not token or len(token) > 100:
        return None
    row = db.session.execute(
        sa.select(CalendarFeed, User.locale, FeedBody.etag, FeedBody.host)
        .outerjoin(User, User.id == CalendarFeed.user_id)
        .outerjoin(FeedBody, FeedBody.feed_id == CalendarFeed.id)
        .where(CalendarFeed.token_hash == token_hash(token), CalendarFeed.revoked_dt.is_(None))
    ).first()
    return FoundFeed(row[0], row[1] or "", row[2], row[3]) if row else None


def stored_body(found: FoundFeed, etag: str, host: str) -> bytes | None:
    """The stored body, if it was rendered for this version of the feed and this host (one lookup)."""
    if found.stored_etag != etag or found.stored_host != host:
        return None
    return db.session.scalar(sa.select(FeedBody.body).where(FeedBody.feed_id == found.feed.id, FeedBody.etag == etag))


def store_body(connection: sa.Connection, feed_id: int, etag: str, host: str, body: bytes) -> None:
    """Keep a freshly rendered body for the next poll, replacing the one before. Written on a
    connection of its own (`lms.core.db.transaction_apart`): a feed poll is a read, and two polls
    rendering at once both write the same bytes, so the later simply wins."""
    values = {"feed_id": feed_id, "etag": etag, "host": host[:255], "body": body, "stored_dt": now_utc()}
    insert = upsert_insert(connection, FeedBody).values(values)
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=[FeedBody.feed_id],
            set_={name: insert.excluded[name] for name in ("etag", "host", "body", "stored_dt")},
        )
    )


# --- what a feed holds ---------------------------------------------------------------------------


def _learner_cohorts(user_id: int) -> sa.Select:
    return (
        sa.select(Enrolment.cohort_id)
        .join(Learner, Learner.id == Enrolment.learner_id)
        .where(Learner.user_id == user_id, Enrolment.status.in_(ON_FEED))
    )


def _session_filter(kind: FeedKind, target_id: int) -> sa.ColumnElement:
    if kind is FeedKind.COHORT:
        return Session.cohort_id == target_id
    if kind is FeedKind.VENUE:
        return Session.venue_id == target_id
    learner_cohorts = _learner_cohorts(target_id)
    taught = sa.select(SessionEducator.session_id).where(SessionEducator.user_id == target_id)
    return sa.or_(Session.cohort_id.in_(learner_cohorts), Session.id.in_(taught))


def _window(now: datetime) -> sa.ColumnElement:
    return Session.end_dt >= now - WINDOW_BACK


def _version_arms(kind: FeedKind, target_id: int, now: datetime) -> list[sa.Select]:
    """The feed's sessions in the window as (id, updated) rows, one indexed SELECT per way a session
    gets into the feed. A person's feed is the UNION of the classes they are on and the sessions they
    teach: as one WHERE with an OR, the planner scanned every session in the window (35 ms at tier L)."""
    rows = sa.select(Session.id, Session.updated_dt)
    if kind is not FeedKind.USER:
        return [rows.where(_session_filter(kind, target_id), _window(now))]
    learner_cohorts = _learner_cohorts(target_id)
    return [
        rows.where(Session.cohort_id.in_(learner_cohorts), _window(now)),
        rows.join(SessionEducator, SessionEducator.session_id == Session.id).where(
            SessionEducator.user_id == target_id, _window(now)
        ),
    ]


def feed_version(feed: CalendarFeed, owner_locale: str = "", now: datetime | None = None) -> tuple[str, datetime]:
    """ETag and Last-Modified from one aggregate query: they change whenever anything in the feed does."""
    now = now or now_utc()
    arms = _version_arms(feed.kind, _target_id(feed), now)
    rows = sa.union(*arms).subquery() if len(arms) > 1 else arms[0].subquery()
    count, latest = db.session.execute(sa.select(sa.func.count(), sa.func.max(rows.c.updated_dt))).one()
    latest = latest or feed.created_dt
    if latest.tzinfo is None:  # aggregates bypass the column type on SQLite
        latest = datetime.fromisoformat(str(latest)).replace(tzinfo=UTC)
    # The window moves with the day, and the owner may change language: both are part of the version.
    fingerprint = (
        f"{feed.id}:{feed.created_dt.isoformat()}:{count}:{latest.isoformat()}:{owner_locale}:"
        f"{(now - WINDOW_BACK).date().isoformat()}"
    )
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:32], latest.astimezone(UTC)


@dataclass(frozen=True)
class FeedContent:
    name: str
    events: list[FeedEvent]


def _target_id(feed: CalendarFeed) -> int:
    return getattr(feed, _target(feed.kind).key)


def feed_sessions(feed: CalendarFeed, now: datetime | None = None) -> list[Session]:
    return sessions_for(feed.kind, _target_id(feed), now)


def sessions_for(kind: FeedKind, target_id: int, now: datetime | None = None) -> list[Session]:
    """A feed's sessions with everything an event shows, in six queries. Cohorts and courses are
    loaded once each (selectin), not again on every session row: a course row carries four JSON columns."""
    now = now or now_utc()
    return list(
        db.session.scalars(
            sa.select(Session)
            .where(_session_filter(kind, target_id), _window(now))
            .options(
                selectinload(Session.cohort).selectinload(Cohort.course).selectinload(Course.translations),
                joinedload(Session.venue),
                joinedload(Session.room),
                selectinload(Session.educator_links).joinedload(SessionEducator.user),
            )
            .order_by(Session.start_dt, Session.id)
        ).unique()
    )


def _learner_needs(feed: CalendarFeed) -> dict[int, tuple[bool, bool]]:
    """For a learner's feed: which cohorts they have a crèche or interpreter place in (one query)."""
    if feed.kind is not FeedKind.USER or feed.user is None or feed.user.learner is None:
        return {}
    rows = db.session.execute(
        sa.select(Enrolment.cohort_id, Enrolment.needs_creche, Enrolment.needs_interpreter).where(
            Enrolment.learner_id == feed.user.learner.id
        )
    )
    return {cohort_id: (creche, interpreter) for cohort_id, creche, interpreter in rows}


def feed_content(
    feed: CalendarFeed, host: str, link: Callable[[Session], str], now: datetime | None = None
) -> FeedContent:
    """Events in the owner's language. Nothing sensitive and no other learner's name ever goes in."""
    sessions = feed_sessions(feed, now)
    needs = _learner_needs(feed)
    learner = feed.user.learner if feed.user is not None else None
    tags = ([feed.user.locale] if feed.user and feed.user.locale else []) + (learner.language_tags if learner else [])
    locale = feed.user.locale if feed.user and feed.user.locale else None
    with force_locale(locale or "en_GB"):
        name = _feed_name(feed)
        events = [
            _event(session, host, link, tags, needs.get(session.cohort_id), learner is not None) for session in sessions
        ]
    return FeedContent(name, events)


def _feed_name(feed: CalendarFeed) -> str:
    if feed.kind is FeedKind.COHORT:
        assert feed.cohort is not None  # the target_matches_kind constraint
        return _("Pathways: %(name)s", name=feed.cohort.name)
    if feed.kind is FeedKind.VENUE:
        assert feed.venue is not None  # the target_matches_kind constraint
        return _("Pathways: %(name)s", name=feed.venue.name)
    return _("Pathways: my timetable")


def _location(session: Session) -> str:
    venue = session.venue
    if venue is None:
        return ""
    if venue.is_virtual:
        return _("Online: %(link)s", link=venue.meeting_url) if venue.meeting_url else venue.name
    parts = [venue.name, session.room.name if session.room else "", venue.address.replace("\n", ", "), venue.postcode]
    return ", ".join(part for part in parts if part)


def _event(
    session: Session,
    host: str,
    link: Callable[[Session], str],
    tags: list[str],
    needs: tuple[bool, bool] | None,
    for_learner: bool,
) -> FeedEvent:
    cohort = session.cohort
    title, _summary, _tag = cohort.course.translated(tags)
    lines = []
    if session.is_cancelled:
        reason = session.cancel_reason.removeprefix("timetable: ")
        lines.append(_("Cancelled: %(reason)s", reason=reason))
    educators = [link_.user.display_name.split()[0] for link_ in session.educator_links if link_.user.display_name]
    if educators:
        lines.append(_("With %(names)s", names=", ".join(educators)))
    if cohort.what_to_bring:
        lines.append(_("Bring: %(things)s", things=cohort.what_to_bring))
    if needs:
        if needs[0]:
            lines.append(_("Crèche place booked."))
        if needs[1]:
            lines.append(_("Interpreter booked."))
    if not for_learner:
        lines.append(cohort.name)
    return FeedEvent(
        uid=session_uid(session.id, host),
        start_dt=session.start_dt,
        end_dt=session.end_dt,
        timezone=session.timezone,
        summary=(_("Cancelled: %(title)s", title=title) if session.is_cancelled else title),
        location=_location(session),
        description="\n".join(lines),
        url=link(session),
        sequence=session.revision,
        last_modified=session.updated_dt,
        cancelled=session.is_cancelled,
    )
