"""Calendar feeds for calendar apps, one-off .ics downloads, and learners' own timetable pages."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, render_template, request, url_for
from flask_login import current_user

from lms.calendar import feeds
from lms.calendar.access import load_cohort_download, load_session_download
from lms.calendar.ical import build_calendar
from lms.calendar.models import FeedKind
from lms.core.access import get_or_404, login_required, public, role_required
from lms.core.db import transaction_apart
from lms.core.i18n import _
from lms.core.roles import Role
from lms.core.time import now_utc, today_local
from lms.extensions import db
from lms.people.access import can_manage_user
from lms.people.models import User
from lms.scheduling.access import load_cohort, load_venue
from lms.scheduling.models import Enrolment, Session

log = logging.getLogger(__name__)

bp = Blueprint("calendar", __name__, template_folder="templates")


def _calendar_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")  # a text type: Werkzeug adds "; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _session_link(for_learner: bool):  # noqa: ANN202
    if for_learner:
        return lambda session: url_for("calendar.my_timetable", _external=True)
    return lambda session: url_for("timetable.session", session_id=session.id, _external=True)


@bp.get("/feeds/<token>.ics")
@public
def feed(token: str):
    """What calendar apps poll, without a login. A wrong or revoked token is simply not found. An
    unchanged feed is 304 to a conditional request, and its stored body to any other."""
    found = feeds.feed_for_token(token)
    if found is None:
        abort(404)
    etag, last_modified = feeds.feed_version(found.feed, found.owner_locale)
    if request.if_none_match.contains(etag) or (
        not request.if_none_match and request.if_modified_since and request.if_modified_since >= last_modified
    ):
        response = Response(status=304)
    else:
        response = _calendar_response(_feed_body(found, etag), "pathways.ics")
    response.set_etag(etag)
    response.last_modified = last_modified
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _feed_body(found: feeds.FoundFeed, etag: str) -> bytes:
    host = request.host.split(":")[0]
    body = feeds.stored_body(found, etag, host)
    if body is None:
        calendar_feed = found.feed
        for_learner = calendar_feed.user is not None and calendar_feed.user.learner is not None
        content = feeds.feed_content(calendar_feed, host, _session_link(for_learner))
        body = build_calendar(content.name, content.events)
        try:
            with transaction_apart(db.engine) as connection:
                feeds.store_body(connection, calendar_feed.id, etag, host, body)
        except sa.exc.OperationalError:  # the write lock busy past the timeout: serve it unstored
            log.warning("calendar feed %s: body not stored, the database was busy", calendar_feed.id)
    return body


def _feed_page(kind: FeedKind, target_id: int, title: str, back_url: str, *, token: str | None = None):
    url = url_for("calendar.feed", token=token, _external=True) if token else None
    return render_template(
        "calendar/calendar.html",
        title=title,
        feed=feeds.active_feed(kind, target_id),
        url=url,
        webcal=url.replace("https://", "webcal://").replace("http://", "webcal://") if url else None,
        action=request.path,
        back_url=back_url,
    )


def _issue_or_revoke(kind: FeedKind, target_id: int) -> str | None:
    """POST handling shared by every feed page: returns the new token, once, when one was issued."""
    if request.form.get("action") == "revoke":
        feeds.revoke_feed(kind, target_id, current_user)
        flash(_("The link is stopped. Calendars using it will stop updating."), "success")
        return None
    token = feeds.issue_feed(kind, target_id, current_user)
    return token


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def my_calendar():
    """The user's own feed: make a secret link (shown once), or stop it."""
    token = _issue_or_revoke(FeedKind.USER, current_user.id) if request.method == "POST" else None
    return _feed_page(
        FeedKind.USER, current_user.id, _("Add your timetable to your calendar"), url_for("core.home"), token=token
    )


@bp.route("/users/<int:user_id>/calendar", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def user_calendar(user_id: int):
    """A coordinator makes a new link for someone (a lost phone) or stops theirs."""
    user = get_or_404(User, user_id, can_manage_user)
    token = _issue_or_revoke(FeedKind.USER, user.id) if request.method == "POST" else None
    return _feed_page(
        FeedKind.USER,
        user.id,
        _("Calendar link for %(name)s", name=user.display_name),
        url_for("people.users"),
        token=token,
    )


@bp.route("/cohorts/<int:cohort_id>/calendar", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def cohort_calendar(cohort_id: int):
    cohort = load_cohort(cohort_id, manage=True)
    token = _issue_or_revoke(FeedKind.COHORT, cohort.id) if request.method == "POST" else None
    return _feed_page(
        FeedKind.COHORT,
        cohort.id,
        _("Calendar link for %(name)s", name=cohort.name),
        url_for("cohorts.cohort", cohort_id=cohort.id),
        token=token,
    )


@bp.route("/venues/<int:venue_id>/calendar", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def venue_calendar(venue_id: int):
    venue = load_venue(venue_id, manage=True)
    token = _issue_or_revoke(FeedKind.VENUE, venue.id) if request.method == "POST" else None
    return _feed_page(
        FeedKind.VENUE,
        venue.id,
        _("Calendar link for %(name)s", name=venue.name),
        url_for("cohorts.venues"),
        token=token,
    )


# --- one-off downloads ---------------------------------------------------------------------------


def _download(sessions: list[Session], name: str, filename: str) -> Response:
    for_learner = current_user.learner is not None and not current_user.has_role(Role.COORDINATOR, Role.EDUCATOR)
    tags = [
        tag
        for tag in [current_user.locale or "", *(current_user.learner.language_tags if current_user.learner else [])]
        if tag
    ]
    events = [
        feeds._event(s, request.host.split(":")[0], _session_link(for_learner), tags, None, for_learner)
        for s in sessions
    ]
    return _calendar_response(build_calendar(name, events), filename)


@bp.get("/sessions/<int:session_id>.ics")
@login_required
def session_ics(session_id: int):
    session = load_session_download(session_id)
    return _download([session], session.cohort.name, f"session-{session.id}.ics")


@bp.get("/cohorts/<int:cohort_id>.ics")
@login_required
def cohort_ics(cohort_id: int):
    cohort = load_cohort_download(cohort_id)
    sessions = db.session.scalars(
        sa.select(Session)
        .where(Session.cohort_id == cohort.id)
        .options(
            sa.orm.joinedload(Session.venue),
            sa.orm.joinedload(Session.room),
            sa.orm.selectinload(Session.educator_links),
        )
        .order_by(Session.start_dt)
    ).all()
    return _download(list(sessions), cohort.name, f"cohort-{cohort.id}.ics")


# --- a learner's timetable -----------------------------------------------------------------------


@bp.get("/my/timetable")
@role_required(Role.LEARNER)
def my_timetable():
    """The learner's week (or the next eight weeks as a list), in their language, on a phone."""
    learner = current_user.learner
    if learner is None:
        abort(404)
    zone = ZoneInfo(learner.organisation.timezone)
    try:
        day = date.fromisoformat(request.args["date"]) if request.args.get("date") else today_local(zone)
    except ValueError:
        day = today_local(zone)
    view = "list" if request.args.get("view") == "list" else "week"
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time.min, tzinfo=zone).astimezone(UTC)
    end = start + timedelta(weeks=8 if view == "list" else 1)
    # The same sessions the learner's calendar feed holds, from the Monday shown.
    sessions = [
        s for s in feeds.sessions_for(FeedKind.USER, current_user.id, now=start + feeds.WINDOW_BACK) if s.start_dt < end
    ]
    needs = {e.cohort_id: e for e in db.session.scalars(sa.select(Enrolment).where(Enrolment.learner_id == learner.id))}
    tags = [tag for tag in [current_user.locale or "", *learner.language_tags] if tag]
    days: dict[date, list[Session]] = {}
    for item in sessions:
        days.setdefault(item.start_dt.astimezone(zone).date(), []).append(item)
    return render_template(
        "calendar/my_timetable.html",
        days=sorted(days.items()),
        zone=zone,
        tags=tags,
        needs=needs,
        view=view,
        monday=monday,
        previous=monday - timedelta(weeks=1),
        following=monday + timedelta(weeks=1),
        now=now_utc(),
    )
