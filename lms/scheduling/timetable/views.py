"""Timetable pages: rules and generation, single sessions, closures, week views, educators' availability."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from lms.core.access import get_or_404, login_required, role_required
from lms.core.errors import ServiceError
from lms.core.forms import NONE, BaseForm, form_id, object_choices
from lms.core.i18n import _
from lms.core.inputs import parse_id
from lms.core.roles import Role
from lms.core.time import now_utc, today_local
from lms.core.web import attach_error, attempt
from lms.extensions import db
from lms.people.models import HOLIDAY_REGION_TITLES, Organisation, User
from lms.scheduling import queries
from lms.scheduling.access import (
    can_edit_availability,
    can_manage_cohort,
    can_manage_session,
    load_cohort,
    load_session,
    load_venue,
)
from lms.scheduling.clashes import ClashError, describe
from lms.scheduling.models import (
    Closure,
    Cohort,
    CohortEducator,
    EducatorAbsence,
    EducatorAvailability,
    Room,
    Session,
    SessionStatus,
    TimetableRule,
    Venue,
    holiday_region_at,
)
from lms.scheduling.timetable import services as timetable
from lms.scheduling.timetable import staffing
from lms.scheduling.timetable.forms import (
    AbsenceForm,
    AssignForm,
    AvailabilityForm,
    CancelForm,
    ClosureForm,
    CoverForm,
    GenerateForm,
    RoomForm,
    SessionForm,
    TimetableRuleForm,
)

bp = Blueprint("timetable", __name__, template_folder="templates")


def _place_choices(form, organisation_id: int) -> None:  # noqa: ANN001
    venues = queries.venues_of(organisation_id)
    form.venue_id.choices = NONE + object_choices(venues)
    rooms = [room for venue in venues for room in venue.rooms if not room.is_archived]
    form.room_id.choices = NONE + object_choices(rooms, label=lambda room: f"{room.venue.name}: {room.name}")


def _show_refusal(error: ServiceError, form, tz: str) -> tuple[list[str], int]:  # noqa: ANN001
    """A clash is listed, clash by clash, with 409; any other refusal goes on the form (or is flashed)
    with 400. Returns the clash lines and the status."""
    if isinstance(error, ClashError):
        return describe(error.report, tz), 409
    if form is not None:
        attach_error(form, error)
    else:
        flash(error.message, "error")
    return [], 400


# --- a cohort's timetable ------------------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/timetable", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def cohort_timetable(cohort_id: int):
    cohort = load_cohort(cohort_id)
    manage = can_manage_cohort(current_user, cohort)
    rule_form = TimetableRuleForm(prefix="rule", venue_id=str(cohort.venue_id or ""))
    _place_choices(rule_form, cohort.organisation_id)
    generate_form = GenerateForm(prefix="generate")
    assign_form = AssignForm(prefix="assign")
    assign_form.user_id.choices = object_choices(
        queries.educators_of(cohort.organisation_id), label=lambda user: user.display_name
    )
    plan: timetable.GenerationPlan | None = None
    clash_lines: list[str] = []
    status = 200
    if request.method == "POST":
        if not manage:
            abort(403)
        outcome = _timetable_action(cohort, request.form.get("action"), rule_form, generate_form, assign_form)
        if not isinstance(outcome, tuple):
            return outcome
        plan, clash_lines, status = outcome
    sessions = queries.sessions_between(
        cohort.organisation_id, datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC), cohort_id=cohort.id
    )
    upcoming = [s for s in sessions if s.status is SessionStatus.SCHEDULED and s.end_dt > now_utc()]
    suggestions = staffing.suggest_educators(cohort, upcoming[:40]) if manage else []
    cohort_educators = db.session.scalars(db.select(CohortEducator).where(CohortEducator.cohort_id == cohort.id)).all()
    return render_template(
        "timetable/timetable.html",
        cohort=cohort,
        manage=manage,
        rule_form=rule_form,
        generate_form=generate_form,
        assign_form=assign_form,
        plan=plan,
        clash_lines=clash_lines,
        sessions=sessions,
        suggestions=suggestions,
        cohort_educators=cohort_educators,
        zone=ZoneInfo(cohort.organisation_timezone),
    ), status


#: What a timetable action leaves to show: a redirect once done, or (plan, clash lines, status) to render.
TimetableOutcome = Response | tuple[timetable.GenerationPlan | None, list[str], int]


def _timetable_action(
    cohort: Cohort,
    action: str | None,
    rule_form: TimetableRuleForm,
    generate_form: GenerateForm,
    assign_form: AssignForm,
) -> TimetableOutcome:
    if action == "add_rule" and rule_form.validate_on_submit():
        return _add_rule(cohort, rule_form)
    if action in ("preview", "generate"):
        return _preview_or_generate(cohort, action, generate_form)
    if action == "assign" and assign_form.validate_on_submit():
        return _assign_to_cohort(cohort, assign_form)
    if action == "unassign":
        return _unassign_from_cohort(cohort)
    return None, [], 200


def _add_rule(cohort: Cohort, rule_form: TimetableRuleForm) -> TimetableOutcome:
    if not attempt(lambda: timetable.save_rule(cohort, rule_form.to_input(), current_user), rule_form):
        return None, [], 400
    flash(_("Timetable saved. Check the preview, then create the sessions."), "success")
    return redirect(url_for("timetable.cohort_timetable", cohort_id=cohort.id))


def _preview_or_generate(cohort: Cohort, action: str, generate_form: GenerateForm) -> TimetableOutcome:
    rule_id = form_id("rule_id")
    rule = db.session.get(TimetableRule, rule_id) if rule_id else None
    if rule is None or rule.cohort_id != cohort.id:
        abort(404)
    generate_form.validate_on_submit()
    if action == "preview":
        preview = timetable.plan_generation(rule)
        return preview, describe(preview.clashes, rule.timezone), 200
    accept = bool(generate_form.accept_learner_clashes.data)
    generated = attempt(lambda: timetable.generate(rule, current_user, accept_learner_clashes=accept), show=False)
    if not generated:
        clash_lines, status = _show_refusal(generated.error, generate_form, rule.timezone)
        return timetable.plan_generation(rule), clash_lines, status
    plan = generated.value
    flash(
        _(
            "Sessions created: %(created)d, changed: %(changed)d, cancelled: %(cancelled)d.",
            created=len(plan.create),
            changed=len(plan.update) + len(plan.reinstate),
            cancelled=len(plan.cancel),
        ),
        "success",
    )
    for day, reason in plan.skipped:
        flash(_("No session on %(day)s: %(reason)s", day=day.isoformat(), reason=reason), "info")
    return redirect(url_for("timetable.cohort_timetable", cohort_id=cohort.id))


def _assign_to_cohort(cohort: Cohort, assign_form: AssignForm) -> TimetableOutcome:
    user = db.session.get(User, int(assign_form.user_id.data or 0))
    assigned = attempt(lambda: staffing.assign_to_cohort(cohort, user, assign_form.role.data, current_user), show=False)
    if not assigned:
        clash_lines, status = _show_refusal(assigned.error, assign_form, cohort.organisation_timezone)
        return None, clash_lines, status
    flash(_("Assigned to %(count)d sessions to come.", count=assigned.value), "success")
    return redirect(url_for("timetable.cohort_timetable", cohort_id=cohort.id))


def _unassign_from_cohort(cohort: Cohort) -> TimetableOutcome:
    user_id = form_id("user_id")
    user = db.session.get(User, user_id) if user_id else None
    if user is None:
        abort(404)
    staffing.unassign_from_cohort(cohort, user, current_user)
    return redirect(url_for("timetable.cohort_timetable", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/sessions/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def session_new(cohort_id: int):
    cohort = load_cohort(cohort_id, manage=True)
    form = SessionForm(venue_id=str(cohort.venue_id or ""))
    _place_choices(form, cohort.organisation_id)
    clash_lines: list[str] = []
    if form.validate_on_submit():
        done = attempt(
            lambda: timetable.add_session(
                cohort,
                form.day.data,
                form.start_time.data,
                form.end_time.data,
                current_user,
                venue_id=form.venue_id.data,
                room_id=form.room_id.data,
                accept_learner_clashes=form.accept_learner_clashes.data,
            ),
            show=False,
        )
        if not done:
            clash_lines, _status = _show_refusal(done.error, form, cohort.organisation_timezone)
        else:
            flash(_("Session added."), "success")
            return redirect(url_for("timetable.session", session_id=done.value.id))
    return render_template(
        "timetable/session_form.html", form=form, cohort=cohort, clash_lines=clash_lines, title=_("Add a session")
    )


# --- one session ---------------------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def session(session_id: int):
    session = load_session(session_id)
    manage = can_manage_session(current_user, session)
    zone = ZoneInfo(session.timezone)
    local_start, local_end = session.start_dt.astimezone(zone), session.end_dt.astimezone(zone)
    forms = _session_forms(session, local_start, local_end)
    clash_lines: list[str] = []
    status = 200
    if request.method == "POST":
        if not manage:
            abort(403)
        action = request.form.get("action", "")
        form = forms.get(action)
        done = attempt(lambda: _apply_session_action(session, action, form), show=False)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("timetable.session", session_id=session.id))
        clash_lines, status = _show_refusal(done.error, form, session.timezone)
    suggestions = staffing.suggest_educators(session.cohort, [session]) if manage and not session.is_cancelled else []
    return render_template(
        "timetable/session.html",
        session=session,
        manage=manage,
        local_start=local_start,
        local_end=local_end,
        move_form=forms["move"],
        cancel_form=forms["cancel"],
        assign_form=forms["assign"],
        cover_form=forms["cover"],
        clash_lines=clash_lines,
        suggestions=suggestions,
    ), status


def _session_forms(session: Session, local_start: datetime, local_end: datetime) -> dict[str, BaseForm]:
    """The forms of a session's page, by the action each posts."""
    move_form = SessionForm(
        prefix="move",
        day=local_start.date(),
        start_time=local_start.time(),
        end_time=local_end.time(),
        venue_id=str(session.venue_id or ""),
        room_id=str(session.room_id or ""),
    )
    _place_choices(move_form, session.cohort.organisation_id)
    assign_form = AssignForm(prefix="assign")
    educators = queries.educators_of(session.cohort.organisation_id)
    assign_form.user_id.choices = object_choices(educators, label=lambda user: user.display_name)
    cover_form = CoverForm(prefix="cover")
    cover_form.absent_id.choices = object_choices(
        [link.user for link in session.educator_links], label=lambda user: user.display_name
    )
    cover_form.user_id.choices = assign_form.user_id.choices
    return {"move": move_form, "cancel": CancelForm(prefix="cancel"), "assign": assign_form, "cover": cover_form}


def _apply_session_action(session: Session, action: str | None, form: BaseForm | None) -> None:
    """Run the service an action asks for; raises ServiceError (or ClashError) when it cannot be done."""
    if action == "keep":
        timetable.keep_session(session, current_user)
    elif form is None or not form.validate_on_submit():
        raise ServiceError(_("Check the highlighted fields."))
    elif action == "move":
        timetable.move_session(
            session,
            form.day.data,
            form.start_time.data,
            form.end_time.data,
            current_user,
            venue_id=form.venue_id.data,
            room_id=form.room_id.data,
            accept_learner_clashes=form.accept_learner_clashes.data,
        )
    elif action == "cancel":
        timetable.cancel_session(session, form.reason.data, current_user)
    elif action == "assign":
        user = db.session.get(User, int(form.user_id.data or 0))
        staffing.assign_to_session(session, user, form.role.data, current_user)
    elif action == "cover":
        absent = db.session.get(User, int(form.absent_id.data or 0))
        if absent is None:
            raise ServiceError(_("Choose from the list."), field="absent_id")
        staffing.cover(session, absent, db.session.get(User, int(form.user_id.data or 0)), current_user)


# --- closures ------------------------------------------------------------------------------------


@bp.route("/closures", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def closures():
    organisation = current_user.organisation
    form = ClosureForm()
    form.venue_id.choices = NONE + object_choices(queries.venues_of(organisation.id))
    if form.validate_on_submit():
        venue = db.session.get(Venue, int(form.venue_id.data)) if form.venue_id.data else None
        if venue is not None and venue.organisation_id != organisation.id:
            abort(404)
        done = attempt(
            lambda: timetable.add_closure(
                organisation.id, venue, form.start_date.data, form.end_date.data, form.reason.data, current_user
            ),
            form,
        )
        if done:
            _closure, flagged = done.value
            flash(_("Closure added. Sessions that need a decision: %(count)d.", count=len(flagged)), "success")
            return redirect(url_for("timetable.closures"))
    today = today_local()
    upcoming = db.session.scalars(
        db.select(Closure)
        .where(Closure.organisation_id == organisation.id, Closure.end_date >= today)
        .order_by(Closure.start_date)
    ).all()
    return render_template(
        "timetable/closures.html",
        form=form,
        closures=upcoming,
        regions=_bank_holidays_by_region(organisation, today),
        needing=queries.sessions_needing_decision(organisation.id),
    )


def _bank_holidays_by_region(organisation: Organisation, today: date) -> list[dict]:
    """The next year's bank holidays of each region in use: the organisation's, then those of venues
    that have their own (`holiday_region_at`, the rule generating uses), with the venues named."""
    venues = queries.venues_of(organisation.id)
    regions = [organisation.holiday_region] + sorted(
        {holiday_region_at(organisation, v) for v in venues} - {organisation.holiday_region}
    )
    return [
        {
            "title": HOLIDAY_REGION_TITLES.get(region, region),
            "venues": [v.name for v in venues if v.holiday_region == region and region != organisation.holiday_region],
            "holidays": sorted(timetable.bank_holidays(region, today, today + timedelta(days=365)).items()),
        }
        for region in regions
    ]


# --- week and term views -------------------------------------------------------------------------


@bp.get("/schedule")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def schedule():
    """A week (or a 13-week term) of sessions, for the whole organisation, a venue or an educator."""
    organisation = current_user.organisation
    zone = ZoneInfo(organisation.timezone)
    try:
        day = date.fromisoformat(request.args.get("date", "")) if request.args.get("date") else today_local(zone)
    except ValueError:
        day = today_local(zone)
    weeks = 13 if request.args.get("view") == "term" else 1
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(monday + timedelta(weeks=weeks), time.min, tzinfo=zone).astimezone(UTC)
    venue_id = parse_id(request.args.get("venue"))
    educator_id = parse_id(request.args.get("educator"))
    own_only = current_user.has_role(Role.EDUCATOR) and not current_user.has_role(Role.COORDINATOR, Role.ADMIN)
    if own_only:
        educator_id = current_user.id  # educators see their own timetable here, not their colleagues' work
    sessions = queries.sessions_between(organisation.id, start, end, venue_id=venue_id, educator_id=educator_id)
    days: dict[date, list[Session]] = {}
    for item in sessions:
        days.setdefault(item.start_dt.astimezone(zone).date(), []).append(item)
    return render_template(
        "timetable/schedule.html",
        days=sorted(days.items()),
        zone=zone,
        monday=monday,
        weeks=weeks,
        previous=monday - timedelta(weeks=weeks),
        following=monday + timedelta(weeks=weeks),
        venues=queries.venues_of(organisation.id),
        educators=queries.educators_of(organisation.id),
        venue_id=venue_id,
        educator_id=educator_id,
        workload=[] if own_only else queries.workload(organisation.id, start, end),
        view="term" if weeks > 1 else "week",
    )


# --- rooms and availability ----------------------------------------------------------------------


@bp.route("/venues/<int:venue_id>/rooms", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def venue_rooms(venue_id: int):
    venue = load_venue(venue_id, manage=True)
    form = RoomForm()
    if form.validate_on_submit():
        if any(room.name == form.name.data.strip() for room in venue.rooms):
            form.name.errors = [*form.name.errors, _("This name is already used. Choose another.")]
        else:
            db.session.add(
                Room(
                    venue_id=venue.id,
                    name=form.name.data.strip(),
                    capacity=form.capacity.data,
                    step_free=form.step_free.data,
                )
            )
            flash(_("Room added."), "success")
            return redirect(url_for("timetable.venue_rooms", venue_id=venue.id))
    return render_template("timetable/rooms.html", venue=venue, form=form)


def _change_availability(
    user: User, action: str | None, slot_form: AvailabilityForm, absence_form: AbsenceForm
) -> None:
    if action == "slot" and slot_form.validate_on_submit():
        staffing.save_availability(
            user, int(slot_form.weekday.data), slot_form.start_time.data, slot_form.end_time.data, current_user
        )
    elif action == "absence" and absence_form.validate_on_submit():
        staffing.add_absence(
            user, absence_form.start_date.data, absence_form.end_date.data, absence_form.reason.data, current_user
        )
    elif action == "remove_slot":
        slot_id = form_id("slot_id")
        row = db.session.get(EducatorAvailability, slot_id) if slot_id else None
        if row is None or row.user_id != user.id:
            abort(404)
        db.session.delete(row)
    elif action == "remove_absence":
        absence_id = form_id("absence_id")
        absence = db.session.get(EducatorAbsence, absence_id) if absence_id else None
        if absence is None or absence.user_id != user.id:
            abort(404)
        staffing.remove_absence(absence, current_user)
    else:
        raise ServiceError(_("Check the highlighted fields."))


@bp.route("/educators/<int:user_id>/availability", methods=["GET", "POST"])
@login_required
def availability(user_id: int):
    """An educator's weekly availability and absences: the educator themself, or a coordinator."""
    user = get_or_404(User, user_id, can_edit_availability)
    slot_form, absence_form = AvailabilityForm(prefix="slot"), AbsenceForm(prefix="absence")
    action = request.form.get("action")
    if request.method == "POST" and attempt(lambda: _change_availability(user, action, slot_form, absence_form)):
        flash(_("Saved."), "success")
        return redirect(url_for("timetable.availability", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    slots = db.session.scalars(
        db.select(EducatorAvailability)
        .where(EducatorAvailability.user_id == user.id)
        .order_by(EducatorAvailability.weekday, EducatorAvailability.start_time)
    ).all()
    absences = db.session.scalars(
        db.select(EducatorAbsence)
        .where(EducatorAbsence.user_id == user.id, EducatorAbsence.end_date >= today_local())
        .order_by(EducatorAbsence.start_date)
    ).all()
    return render_template(
        "timetable/availability.html",
        educator=user,
        slots=slots,
        absences=absences,
        slot_form=slot_form,
        absence_form=absence_form,
    ), status
