"""Registers, notices of absence, self check-in, paper registers, alerts and attendance figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import segno
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from lms.assessments.attendance import services as attendance
from lms.assessments.attendance.access import load_cohort_to_mark, load_session_to_mark
from lms.assessments.attendance.forms import CheckInForm, NoticeForm, StaffNoticeForm
from lms.assessments.attendance.models import AttendanceChange, AttendanceMark, AttendanceStatus, MarkSource
from lms.core.access import get_or_404, login_required, role_required
from lms.core.errors import ServiceError
from lms.core.forms import form_id
from lms.core.i18n import _
from lms.core.inputs import parse_id
from lms.core.roles import Role
from lms.core.time import now_utc, today_local
from lms.core.web import attempt
from lms.extensions import db
from lms.people.models import Learner, User
from lms.scheduling import queries as scheduling_queries
from lms.scheduling.access import can_manage_drop_in
from lms.scheduling.cohorts.enrolment import add_drop_in_attendee
from lms.scheduling.cohorts.forms import MergeForm
from lms.scheduling.models import Cohort, DropInAttendee, Enrolment, Session, SessionStatus

bp = Blueprint("attendance", __name__, template_folder="templates")


@bp.app_context_processor
def _attendance_helpers() -> dict:
    return {
        "attendance_title": lambda value: AttendanceStatus(value).title,
        "source_title": lambda value: MarkSource(value).title if value in MarkSource._value2member_map_ else value,
    }


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _entries_from_form(rows: list[attendance.RegisterRow]) -> list[attendance.Entry]:
    entries = []
    for row in rows:
        status = request.form.get(f"status-{row.key}")
        if not status:
            continue
        try:
            late = int(request.form.get(f"late-{row.key}") or 0)
            early = int(request.form.get(f"early-{row.key}") or 0)
        except ValueError:
            raise ServiceError(_("Minutes late or left early must be between 0 and 600."))
        entries.append(attendance.Entry(row.key, status, late, early, request.form.get(f"note-{row.key}", "").strip()))
    # Keys for people not on this register are refused, not ignored: the page is out of date.
    known = {row.key for row in rows}
    for name in request.form:
        if name.startswith("status-") and name.removeprefix("status-") not in known:
            entries.append(attendance.Entry(name.removeprefix("status-"), request.form[name]))
    return entries


@bp.route("/sessions/<int:session_id>/register", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def register(session_id: int):
    session = load_session_to_mark(session_id)
    kept: list[str] = []
    error = None
    if request.method == "POST":
        rows = attendance.register_rows(session)
        done = attempt(
            lambda: attendance.save_register(
                session,
                _entries_from_form(rows),
                current_user,
                all_present=request.form.get("action") == "all_present",
                override_notices=request.form.get("override_notices") == "1",
                source=MarkSource.PAPER if request.form.get("paper") == "1" else MarkSource.REGISTER,
                reason=request.form.get("reason", ""),
            ),
            show=False,
        )
        if not done:
            if _wants_json():
                return (
                    {"title": _("Not saved"), "detail": done.error.message, "status": 400},
                    400,
                    {"Content-Type": "application/problem+json"},
                )
            error = done.error.message
        else:
            result = done.value
            if _wants_json():
                return {"saved": result.changed, "kept_notices": result.kept_notices}
            if result.kept_notices:
                kept = result.kept_notices
                flash(
                    _(
                        "Saved. These learners told us they could not come, so they stay absent: %(names)s.",
                        names=", ".join(result.kept_notices),
                    ),
                    "info",
                )
            else:
                flash(_("Register saved."), "success")
                return redirect(url_for("attendance.register", session_id=session.id))
    zone = ZoneInfo(session.timezone)
    rows = attendance.register_rows(session)
    return render_template(
        "attendance/register.html",
        session=session,
        rows=rows,
        statuses=list(AttendanceStatus),
        error=error,
        kept=kept,
        local_start=session.start_dt.astimezone(zone),
        local_end=session.end_dt.astimezone(zone),
        minutes=attendance.session_minutes(session),
        is_over=attendance.is_past_register(session, now_utc()),
        notice_form=StaffNoticeForm(),
    ), 400 if error else 200


@bp.post("/sessions/<int:session_id>/register/drop-in")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def register_drop_in(session_id: int):
    """Add a name-only attendee to a drop-in session, already marked present: two taps."""
    session = load_session_to_mark(session_id)

    def add() -> None:
        attendance.check_register_open(session, current_user, now_utc())
        attendee = add_drop_in_attendee(
            session.cohort,
            request.form.get("name", ""),
            session.start_dt.astimezone(ZoneInfo(session.timezone)).date(),
            current_user,
        )
        attendance.save_register(
            session, [attendance.Entry(f"a{attendee.id}", AttendanceStatus.PRESENT.value)], current_user
        )

    attempt(add)
    return redirect(url_for("attendance.register", session_id=session.id))


@bp.get("/sessions/<int:session_id>/register/history")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def register_history(session_id: int):
    session = load_session_to_mark(session_id)
    changes = db.session.execute(
        sa.select(AttendanceChange, User.display_name, Learner, DropInAttendee)
        .join(AttendanceMark, AttendanceMark.id == AttendanceChange.mark_id)
        .outerjoin(User, User.id == AttendanceChange.changed_by_id)
        .outerjoin(Learner, Learner.id == AttendanceMark.learner_id)
        .outerjoin(DropInAttendee, DropInAttendee.id == AttendanceMark.attendee_id)
        .where(AttendanceMark.session_id == session.id)
        .order_by(AttendanceChange.changed_dt.desc(), AttendanceChange.id.desc())
    ).all()
    return render_template("attendance/register_history.html", session=session, changes=changes)


@bp.get("/sessions/<int:session_id>/check-in-code")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def check_in_code(session_id: int):
    """The code (and a QR code of the check-in page) for the educator to show; it changes every minute."""
    session = load_session_to_mark(session_id)
    code = attendance.check_in_code(session)
    link = url_for("attendance.check_in", code=code, _external=True)
    # segno writes the SVG itself and escapes the title, so it is safe to insert as markup.
    qr = Markup(segno.make(link, error="m").svg_inline(scale=6, title=_("Check-in code %(code)s", code=code)))  # noqa: S704
    return render_template("attendance/check_in_code.html", session=session, code=code, qr=qr)


@bp.route("/check-in", methods=["GET", "POST"])
@role_required(Role.LEARNER)
def check_in():
    learner = current_user.learner
    if learner is None:
        abort(404)
    form = CheckInForm(code=request.args.get("code", ""))
    if form.validate_on_submit():
        # A wrong code uses up one of the learner's tries: kept although the check-in is refused.
        done = attempt(
            lambda: attendance.check_in(learner, form.code.data, current_user), show=False, keep_on_refusal=True
        )
        if not done:
            form.code.errors = [*form.code.errors, done.error.message]  # the page shows only the code's errors
        else:
            message = (
                _("You are checked in. Welcome!")
                if done.value.status is AttendanceStatus.PRESENT
                else _("You are checked in (late). Welcome!")
            )
            flash(message, "success")
            return redirect(url_for("attendance.my_sessions"))
    return render_template("attendance/check_in.html", form=form, open_sessions=attendance.open_sessions_for(learner))


# --- notices of absence --------------------------------------------------------------------------


@bp.get("/my/sessions")
@role_required(Role.LEARNER)
def my_sessions():
    """A learner's next sessions, each with "I can't come"."""
    learner = current_user.learner
    if learner is None:
        abort(404)
    now = now_utc()
    sessions = db.session.scalars(
        sa.select(Session)
        .join(Enrolment, Enrolment.cohort_id == Session.cohort_id)
        .where(
            Enrolment.learner_id == learner.id,
            Enrolment.status.in_(attendance.ON_REGISTER),
            Session.end_dt >= now,
            Session.start_dt < now + timedelta(days=28),
        )
        .options(sa.orm.joinedload(Session.cohort).joinedload(Cohort.course), sa.orm.joinedload(Session.venue))
        .order_by(Session.start_dt)
    ).all()
    from lms.assessments.attendance.models import AbsenceNotice

    notices = {
        n.session_id: n
        for n in db.session.scalars(
            sa.select(AbsenceNotice).where(
                AbsenceNotice.learner_id == learner.id, AbsenceNotice.session_id.in_([s.id for s in sessions] or [0])
            )
        )
    }
    tags = [tag for tag in [current_user.locale or "", *learner.language_tags] if tag]
    return render_template(
        "attendance/my_sessions.html",
        sessions=sessions,
        notices=notices,
        form=NoticeForm(),
        tags=tags,
        now=now,
        open_now=attendance.open_sessions_for(learner, now),
    )


def _notice_for(session_id: int) -> tuple[Learner, Session]:
    """The learner and session of a notice: the learner themself, for a session of their organisation
    (`record_notice` checks they are in the class); or, when staff name a learner (learner_id in the form),
    a session they may mark and a learner on its register. 404 for anyone else."""
    learner_id = form_id("learner_id")
    if learner_id is None:
        learner = current_user.learner
        if learner is None:
            abort(404)
        session = get_or_404(Session, session_id, lambda _user, s: s.cohort.organisation_id == learner.organisation_id)
        return learner, session
    session = load_session_to_mark(session_id)
    row = next((row for row in attendance.register_rows(session) if row.learner and row.learner.id == learner_id), None)
    if row is None or row.learner is None:
        abort(404)
    return row.learner, session


@bp.post("/sessions/<int:session_id>/notice")
@login_required
def notice(session_id: int):
    """'I can't come': the learner for themselves, or staff who took it for a learner (learner_id and how)."""
    learner, session = _notice_for(session_id)
    form = NoticeForm()

    def tell() -> None:
        if not form.validate_on_submit():
            raise ServiceError(_("Choose a reason from the list."))
        attendance.record_notice(
            learner, session, form.reason.data, form.note.data, current_user, channel=form.channel.data or None
        )

    if attempt(tell):
        flash(
            _("Thank you for telling us.") if current_user.learner is learner else _("Notice of absence recorded."),
            "success",
        )
    if current_user.learner is not None and current_user.learner.id == learner.id:
        return redirect(url_for("attendance.my_sessions"))
    return redirect(url_for("attendance.register", session_id=session.id))


# --- paper register, alerts, figures -------------------------------------------------------------


@bp.get("/cohorts/<int:cohort_id>/paper-register")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def paper_register(cohort_id: int):
    """A printable register of the next sessions, for venues with no signal; key it in afterwards.
    Printed by those who may mark the cohort's registers (`can_mark_cohort`), no one else."""
    cohort = load_cohort_to_mark(cohort_id)
    sessions = db.session.scalars(
        sa.select(Session)
        .where(
            Session.cohort_id == cohort.id,
            Session.status == SessionStatus.SCHEDULED,
            Session.end_dt >= now_utc() - timedelta(days=1),
        )
        .order_by(Session.start_dt)
        .limit(6)
    ).all()
    learners = attendance.register_rows(sessions[0]) if sessions else []
    return render_template(
        "attendance/paper_register.html",
        cohort=cohort,
        sessions=sessions,
        rows=learners,
        zone=ZoneInfo(cohort.organisation_timezone),
    )


@bp.get("/attendance")
@role_required(Role.COORDINATOR)
def overview():
    """Learners at risk, registers not taken, and rates and contact hours for any date range."""
    organisation = current_user.organisation
    zone = ZoneInfo(organisation.timezone)
    today = today_local(zone)
    try:
        first = date.fromisoformat(request.args["from"]) if request.args.get("from") else today - timedelta(days=90)
        last = date.fromisoformat(request.args["to"]) if request.args.get("to") else today
    except ValueError:
        first, last = today - timedelta(days=90), today
    by = request.args.get("by", "cohort")
    if by not in ("cohort", "course", "programme", "learner"):
        by = "cohort"
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    not_taken = attendance.registers_not_taken(organisation.id, today - timedelta(days=14))
    return render_template(
        "attendance/attendance_overview.html",
        at_risk=attendance.learners_at_risk(organisation.id),
        not_taken=not_taken,
        figures=attendance.attendance_figures(organisation.id, start, end, by),
        by=by,
        first=first,
        last=last,
        zone=zone,
    )


@bp.get("/my/registers")
@role_required(Role.EDUCATOR, Role.COORDINATOR)
def my_registers():
    """An educator's sessions today and this week, each a tap away from its register."""
    zone = ZoneInfo(current_user.organisation.timezone)
    monday = today_local(zone) - timedelta(days=today_local(zone).weekday())
    start = datetime.combine(monday, time.min, tzinfo=zone).astimezone(UTC)
    sessions = scheduling_queries.sessions_between(
        current_user.organisation_id, start, start + timedelta(days=7), educator_id=current_user.id
    )
    return render_template("attendance/my_registers.html", sessions=sessions, zone=zone, now=now_utc())


@bp.post("/drop-in/<int:attendee_id>/merge")
@role_required(Role.COORDINATOR)
def drop_in_merge(attendee_id: int):
    """Link a drop-in attendee to a learner record; their marks move to the learner."""
    attendee = get_or_404(DropInAttendee, attendee_id, can_manage_drop_in)
    form = MergeForm()
    learner_id = parse_id(form.learner_id.data)
    learner = db.session.get(Learner, learner_id) if learner_id else None

    def merge() -> None:
        if learner is None:
            raise ServiceError(_("Choose the learner."))
        attendance.merge_drop_in(attendee, learner, current_user)

    if attempt(merge):
        flash(_("Linked to the learner's record; their attendance now counts for them."), "success")
    return redirect(url_for("cohorts.cohort", cohort_id=attendee.cohort_id))
