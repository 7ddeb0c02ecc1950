"""Cohort builder pages: venues, cohorts with roster and waitlist, referrals, learners' own places."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.core.access import get_or_404, role_required
from lms.core.errors import ServiceError
from lms.core.forms import NONE, object_choices
from lms.core.i18n import _
from lms.core.inputs import parse_id
from lms.core.pages import rows_page
from lms.core.roles import Role
from lms.core.time import now_utc, today_local
from lms.core.web import attempt, save_or_show
from lms.courses import queries as course_queries
from lms.courses.models import Programme
from lms.extensions import db
from lms.people.access import load_learner
from lms.people.models import Learner, Organisation, OrganisationKind
from lms.scheduling import queries
from lms.scheduling.access import (
    can_manage_cohort,
    can_request_place,
    is_own_enrolment,
    load_cohort,
    load_enrolment,
    load_referral,
    load_venue,
    manageable_referrals,
    readable_cohorts,
)
from lms.scheduling.cohorts import enrolment as enrolment_service
from lms.scheduling.cohorts import services
from lms.scheduling.cohorts.forms import (
    CohortForm,
    DropInForm,
    EnrolForm,
    ReferralDecisionForm,
    ReferralForm,
    VenueForm,
    WithdrawForm,
)
from lms.scheduling.models import Cohort, DropInAttendee, Enrolment, EnrolmentStatus, Referral, ReferralStatus

bp = Blueprint("cohorts", __name__, template_folder="templates")


# --- venues --------------------------------------------------------------------------------------


@bp.get("/venues")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def venues():
    return render_template("cohorts/venues.html", venues=queries.venues_of(current_user.organisation_id))


@bp.route("/venues/new", methods=["GET", "POST"])
@bp.route("/venues/<int:venue_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def venue_form(venue_id: int | None = None):
    venue = load_venue(venue_id, manage=True) if venue_id else None
    form = VenueForm(obj=venue)
    if form.validate_on_submit():
        response = save_or_show(
            form,
            lambda: services.save_venue(current_user.organisation, form.to_input(), current_user, venue),
            lambda _v: url_for("cohorts.venues"),
            _("Venue saved."),
        )
        if response:
            return response
    return render_template(
        "form_page.html",
        form=form,
        title=_("Edit venue") if venue else _("New venue"),
        submit_label=_("Save venue"),
        back_url=url_for("cohorts.venues"),
    )


# --- cohorts -------------------------------------------------------------------------------------


@bp.get("/cohorts")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def cohorts():
    status, search = request.args.get("status", ""), request.args.get("q", "").strip()[:100]
    query = queries.cohorts_page_select(current_user.organisation_id, status=status, search=search)
    page = rows_page(query.where(readable_cohorts(current_user)), request.args.get("page", type=int))
    return render_template("cohorts/cohorts.html", page=page, rows=page.items, status=status, search=search)


def _cohort_form(cohort: Cohort | None) -> CohortForm:
    form = CohortForm(obj=cohort)
    organisation_id = current_user.organisation_id
    form.course_id.choices = object_choices(
        course_queries.active_courses(organisation_id), label=lambda c: f"{c.code}: {c.title}"
    )
    programmes = db.session.scalars(
        db.select(Programme)
        .where(Programme.organisation_id == organisation_id, Programme.is_archived.is_(False))
        .order_by(Programme.name)
    )
    form.programme_id.choices = NONE + object_choices(programmes)
    form.venue_id.choices = NONE + object_choices(queries.venues_of(organisation_id))
    if request.method == "GET" and cohort is not None:
        form.course_id.data = str(cohort.course_id)
        form.programme_id.data = str(cohort.programme_id or "")
        form.venue_id.data = str(cohort.venue_id or "")
        form.delivery_mode.data, form.delivery_setting.data = cohort.delivery_mode.value, cohort.delivery_setting.value
        form.status.data = cohort.status.value
    return form


@bp.route("/cohorts/new", methods=["GET", "POST"])
@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def cohort_form(cohort_id: int | None = None):
    cohort = load_cohort(cohort_id, manage=True) if cohort_id else None
    form = _cohort_form(cohort)
    if form.validate_on_submit():
        response = save_or_show(
            form,
            lambda: services.save_cohort(current_user.organisation, form.to_input(), current_user, cohort),
            lambda c: url_for("cohorts.cohort", cohort_id=c.id),
            _("Cohort saved."),
        )
        if response:
            return response
    return render_template(
        "form_page.html",
        form=form,
        title=_("Edit cohort") if cohort else _("New cohort"),
        submit_label=_("Save cohort"),
        back_url=url_for("cohorts.cohort", cohort_id=cohort.id) if cohort else url_for("cohorts.cohorts"),
    )


def _render_cohort(cohort: Cohort, *, results: list | None = None, status: int = 200, **forms: Any):
    manage = can_manage_cohort(current_user, cohort)
    enrolments = queries.enrolments_of(cohort.id)
    by_status: dict[EnrolmentStatus, list[Enrolment]] = {status: [] for status in EnrolmentStatus}
    for enrolment in enrolments:
        by_status[enrolment.status].append(enrolment)
    search = request.args.get("q", "").strip()[:100]
    enrol_form = forms.get("enrol_form") or EnrolForm(prefix="enrol")
    if manage and not cohort.is_drop_in:
        enrol_form.learner_ids.choices = object_choices(
            queries.learners_not_in(cohort, search), label=lambda learner: learner.both_names
        )
    attendees: Sequence[DropInAttendee]
    attendees, merge_choices = [], []
    if cohort.is_drop_in:
        attendees = db.session.scalars(
            db.select(DropInAttendee).where(DropInAttendee.cohort_id == cohort.id).order_by(DropInAttendee.name)
        ).all()
        if manage:
            merge_choices = object_choices(
                queries.learners_not_in(cohort, ""), label=lambda learner: learner.both_names
            )
    referrals = db.session.scalars(
        queries.referrals_select(cohort.organisation_id).where(
            Referral.cohort_id == cohort.id, manageable_referrals(current_user)
        )
    ).all()
    return render_template(
        "cohorts/cohort.html",
        cohort=cohort,
        manage=manage,
        by_status=by_status,
        Status=EnrolmentStatus,
        enrol_form=enrol_form,
        withdraw_form=WithdrawForm(prefix="withdraw"),
        drop_in_form=forms.get("drop_in_form") or DropInForm(prefix="dropin"),
        attendees=attendees,
        merge_choices=merge_choices,
        referrals=referrals,
        results=results,
        search=search,
        now=now_utc(),
        today=today_local(),
        started=enrolment_service.has_started(cohort, today_local()),
    ), status


@bp.get("/cohorts/<int:cohort_id>")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def cohort(cohort_id: int):
    return _render_cohort(load_cohort(cohort_id))


@bp.post("/cohorts/<int:cohort_id>/enrol")
@role_required(Role.COORDINATOR)
def cohort_enrol(cohort_id: int):
    cohort = load_cohort(cohort_id, manage=True)
    form = EnrolForm(prefix="enrol")
    ids = {parse_id(value) for value in form.learner_ids.data or []} - {None}
    if not form.validate_on_submit() or not ids:
        form.form_errors.append(_("Tick at least one learner."))
        return _render_cohort(cohort, status=400, enrol_form=form)
    learners = db.session.scalars(db.select(Learner).where(Learner.id.in_(ids)).order_by(Learner.id)).all()
    if len(learners) != len(ids):
        abort(404)
    results = enrolment_service.enrol_many(cohort, list(learners), actor=current_user)
    return _render_cohort(cohort, results=results)


@bp.post("/cohorts/<int:cohort_id>/fill")
@role_required(Role.COORDINATOR)
def cohort_fill(cohort_id: int):
    cohort = load_cohort(cohort_id, manage=True)
    offers = enrolment_service.fill_places(cohort)
    flash(_("Places offered: %(count)d.", count=len(offers)), "success")
    return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))


@bp.post("/enrolments/<int:enrolment_id>/<any(withdraw, accept, decline, reinstate):action>")
@role_required(Role.COORDINATOR)
def enrolment_action(enrolment_id: int, action: str):
    enrolment = load_enrolment(enrolment_id, manage=True)

    def act() -> None:
        if action == "withdraw":
            form = WithdrawForm(prefix="withdraw")
            form.validate()
            enrolment_service.withdraw(enrolment, form.reason.data or "", current_user)
        elif action == "accept":
            enrolment_service.accept_offer(enrolment, current_user)
        elif action == "decline":
            enrolment_service.decline_offer(enrolment, current_user)
        else:
            result = enrolment_service.reinstate(enrolment, current_user)
            flash(result.message, "success")

    if attempt(act) and action != "reinstate":
        flash(_("Saved."), "success")
    return redirect(url_for("cohorts.cohort", cohort_id=enrolment.cohort_id))


@bp.post("/cohorts/<int:cohort_id>/drop-in")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def drop_in_add(cohort_id: int):
    cohort = load_cohort(cohort_id)
    form = DropInForm(prefix="dropin")
    if form.validate_on_submit() and attempt(
        lambda: enrolment_service.add_drop_in_attendee(cohort, form.name.data, today_local(), current_user), form
    ):
        flash(_("Added."), "success")
        return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))
    return _render_cohort(cohort, status=400, drop_in_form=form)


# --- referrals -----------------------------------------------------------------------------------


@bp.get("/referrals")
@role_required(Role.COORDINATOR)
def referrals():
    status = request.args.get("status", ReferralStatus.NEW.value)
    query = queries.referrals_select(current_user.organisation_id, status)
    page = db.paginate(query.where(manageable_referrals(current_user)), per_page=50)
    return render_template("cohorts/referrals.html", page=page, status=status, statuses=list(ReferralStatus))


def _cohort_choices(organisation_id: int) -> list:
    return NONE + object_choices(queries.open_cohorts(organisation_id))


@bp.route("/referrals/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def referral_new():
    organisation_id = current_user.organisation_id
    form = ReferralForm(learner_id=request.args.get("learner_id"))
    form.learner_id.choices = object_choices(
        db.session.scalars(
            db.select(Learner)
            .where(Learner.organisation_id == organisation_id)
            .order_by(Learner.family_name_latin, Learner.given_name_latin)
        ),
        label=lambda learner: learner.both_names,
    )
    form.referrer_organisation_id.choices = NONE + object_choices(
        db.session.scalars(
            db.select(Organisation).where(Organisation.kind == OrganisationKind.PARTNER).order_by(Organisation.name)
        )
    )
    form.cohort_id.choices = _cohort_choices(organisation_id)
    if form.validate_on_submit():
        learner_id = parse_id(form.learner_id.data)
        learner = db.session.get(Learner, learner_id) if learner_id else None
        if learner is None or learner.organisation_id != organisation_id:
            form.learner_id.errors = [*form.learner_id.errors, _("Choose the learner.")]
        else:
            response = save_or_show(
                form,
                lambda: enrolment_service.create_referral(
                    current_user.organisation, learner, form.to_input(), current_user
                ),
                lambda r: url_for("cohorts.referral", referral_id=r.id),
                _("Referral saved."),
            )
            if response:
                return response
    return render_template(
        "form_page.html",
        form=form,
        title=_("New referral"),
        submit_label=_("Save referral"),
        back_url=url_for("cohorts.referrals"),
    )


@bp.route("/referrals/<int:referral_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def referral(referral_id: int):
    referral = load_referral(referral_id)
    form = ReferralDecisionForm(cohort_id=str(referral.cohort_id or ""))
    form.cohort_id.choices = _cohort_choices(referral.organisation_id)
    if form.validate_on_submit():
        decision = request.form.get("decision")

        def decide() -> str:
            if decision == "accept":
                cohort_id = parse_id(form.cohort_id.data)
                cohort = db.session.get(Cohort, cohort_id) if cohort_id else None
                if cohort is None or cohort.organisation_id != referral.organisation_id:
                    raise ServiceError(_("Choose the cohort."), field="cohort_id")
                return enrolment_service.accept_referral(referral, cohort, current_user, form.note.data).message
            if decision == "decline":
                enrolment_service.decline_referral(referral, form.note.data, current_user)
                return _("Referral declined.")
            abort(400)

        done = attempt(decide, form)
        if done:
            flash(done.value, "success")
            return redirect(url_for("cohorts.referral", referral_id=referral.id))
    return render_template("cohorts/referral.html", referral=referral, form=form)


# --- a learner's places --------------------------------------------------------------------------


@bp.get("/learners/<int:learner_id>/enrolments")
@role_required(Role.COORDINATOR, Role.LEARNER)
def learner_enrolments(learner_id: int):
    learner = load_learner(learner_id)
    own = current_user.learner is not None and current_user.learner.id == learner.id
    open_cohorts = queries.open_cohorts(learner.organisation_id) if own else []
    tags = [tag for tag in [current_user.locale or "", *learner.language_tags] if tag]
    return render_template(
        "cohorts/learner_enrolments.html",
        learner=learner,
        own=own,
        tags=tags,
        enrolments=queries.enrolments_of_learner(learner.id),
        open_cohorts=open_cohorts,
        now=now_utc(),
    )


@bp.get("/my/courses")
@role_required(Role.LEARNER)
def my_courses():
    if current_user.learner is None:
        abort(404)
    return redirect(url_for("cohorts.learner_enrolments", learner_id=current_user.learner.id))


@bp.post("/my/offers/<int:enrolment_id>/<any(accept, decline):action>")
@role_required(Role.LEARNER)
def my_offer(enrolment_id: int, action: str):
    enrolment = get_or_404(Enrolment, enrolment_id, is_own_enrolment)

    def answer() -> str:
        if action == "accept":
            enrolment_service.accept_offer(enrolment, current_user)
            return _("You have a place. See you there!")
        enrolment_service.decline_offer(enrolment, current_user)
        return _("You said no to the place. Thank you for telling us.")

    done = attempt(answer)
    if done:
        flash(done.value, "success")
    return redirect(url_for("cohorts.my_courses"))


@bp.post("/my/request/<int:cohort_id>")
@role_required(Role.LEARNER)
def my_request(cohort_id: int):
    cohort = get_or_404(Cohort, cohort_id, can_request_place)
    learner = current_user.learner
    if attempt(lambda: enrolment_service.request_place(learner, cohort)):
        flash(_("We have your request. A coordinator will contact you."), "success")
    return redirect(url_for("cohorts.my_courses"))
