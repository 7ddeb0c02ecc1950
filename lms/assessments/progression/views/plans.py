"""Learning plans, results, outcomes, placements, completion, certificates and public verification."""

from __future__ import annotations

import enum
from datetime import date
from typing import TypeVar

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from lms.assessments.progression import services as progression
from lms.assessments.progression.access import (
    can_edit_plan,
    load_certificate,
    load_cohort_to_issue,
    load_cohort_to_teach,
    load_outcome,
    load_plan_enrolment,
    why_not_issue,
)
from lms.assessments.progression.certificate_pdf import render, render_many
from lms.assessments.progression.inputs import OutcomeInput, PlacementInput, PlanEndInput, PlanStartInput, ReviewInput
from lms.assessments.progression.models import (
    SELF_RATINGS,
    Certificate,
    LearningObjective,
    OutcomeKind,
    RarpaOutcome,
    ResultGrade,
)
from lms.assessments.progression.views import bp
from lms.assessments.progression.views.achievements import progress
from lms.core.access import is_coordinator_of, login_required, public, role_required
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.core.inputs import MAX_ID, parse_id, parse_int
from lms.core.roles import Role
from lms.core.web import attempt, writes_on_get
from lms.courses.models import CertificateKind, CertificateType, IntegrationDomain, Qualification
from lms.extensions import db
from lms.people.access import load_learner
from lms.people.models import Learner, Organisation, OrganisationKind
from lms.people.queries import organisation_logo
from lms.scheduling.models import Enrolment

E = TypeVar("E", bound=enum.Enum)


def _int(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    if not value:
        return None
    number = parse_int(value, -MAX_ID - 1, MAX_ID)  # what a database integer holds
    if number is None:
        raise ServiceError(_("Enter a whole number."), field=name)
    return number


def _id(name: str) -> int | None:
    """The id chosen in the select `name`: None when none is chosen, refused when it is not an id."""
    value = request.form.get(name, "").strip()
    if not value:
        return None
    chosen = parse_id(value)
    if chosen is None:
        raise ServiceError(_("Choose from the list."), field=name)
    return chosen


def _date(name: str) -> date | None:
    value = request.form.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ServiceError(_("Enter a date like 2026-03-31."), field=name)


def _choice(name: str, enum_class: type[E]) -> E | None:
    value = request.form.get(name, "").strip()
    if not value:
        return None
    try:
        return enum_class(value)
    except ValueError:
        raise ServiceError(_("Choose from the list."), field=name)


def _choices(name: str, enum_class: type[E], field: str) -> list[E]:
    try:
        return [enum_class(value) for value in request.form.getlist(name)]
    except ValueError:
        raise ServiceError(_("Choose from the list."), field=field)


def _text(name: str) -> str:
    return request.form.get(name, "")


def _texts(*names: str) -> dict[str, str]:
    return {name: _text(name) for name in names}


def _self_ratings() -> dict[str, int | None]:
    return {key: _int(key) for key in SELF_RATINGS}


def _done(redirect_to: str, message: str, action) -> WerkzeugResponse:  # noqa: ANN001
    """Back to the page either way: with `message` when saved, with the refusal (and 303) when not."""
    if not attempt(action):
        return redirect(redirect_to, code=303)
    flash(message, "success")
    return redirect(redirect_to)


def _recorded(learner: Learner, form: str, message: str, action):  # noqa: ANN001, ANN202
    """Back to the progress page when saved; when refused, the page again (400) with the message and
    the form `form` open, as it was typed."""
    if attempt(action):
        flash(message, "success")
        return redirect(url_for("progression.progress", learner_id=learner.id))
    return progress(learner.id, typed=(form, request.form.copy())), 400


# --- the learning plan ---------------------------------------------------------------------------


#: Which part of the plan page each action's form is, so a refused form comes back as it was typed.
PLAN_SECTIONS = {"start": "start", "objective": "objective", "review": "review", "end": "end", "sign_off": "end"}


def _apply_plan_action(the_plan: progression.LearningPlan, action: str | None) -> None:
    if action == "start":
        start = PlanStartInput(
            aims=_text("aims"),
            starting_point=_text("starting_point"),
            support_needs=_text("support_needs"),
            **_self_ratings(),
        )
        progression.save_start(the_plan, start, current_user)
    elif action == "objective":
        progression.add_objective(the_plan, request.form.get("text", ""), current_user)
    elif action == "revise":
        objective = db.session.get(LearningObjective, _id("objective_id") or 0)
        if objective is None or objective.plan_id != the_plan.id:
            abort(404)
        progression.revise_objective(objective, request.form.get("text", ""), current_user)
    elif action == "review":
        review = ReviewInput(
            review_date=_date("review_date"),
            educator_comment=_text("educator_comment"),
            learner_comment=_text("learner_comment"),
            attendance_review=_text("attendance_review"),
            ratings={str(o.id): _int(f"rating-{o.id}") for o in the_plan.objectives},
        )
        progression.add_review(the_plan, review, current_user)
    elif action in ("end", "sign_off"):
        end = PlanEndInput(
            outcome=_choice("outcome", RarpaOutcome),
            learner_self_assessment=_text("learner_self_assessment"),
            tutor_judgement=_text("tutor_judgement"),
            planned_outcomes=_text("planned_outcomes"),
            unplanned_outcomes=_text("unplanned_outcomes"),
            next_steps=_text("next_steps"),
            **_self_ratings(),
        )
        progression.save_end(the_plan, end, current_user, sign_off=action == "sign_off")
    else:
        abort(400)


def _keeper(typed: dict[str, str] | None, section: str | None):  # noqa: ANN202
    """`kept(where, name, stored)`: what was typed into the refused form `where`, else the stored value."""

    def kept(where: str, name: str, stored: object = "") -> object:
        if typed is not None and where == section:
            return typed.get(name, "")
        return "" if stored is None else stored

    def kept_ratings(where: str, stored: dict) -> dict:
        if typed is None or where != section:
            return stored
        return {key: parse_int(typed.get(key, ""), 1, 5) for key in SELF_RATINGS}

    return kept, kept_ratings


@bp.route("/enrolments/<int:enrolment_id>/plan", methods=["GET", "POST"])
@writes_on_get  # a teacher's first look starts the plan
@login_required
def plan(enrolment_id: int):
    enrolment = load_plan_enrolment(enrolment_id)
    teach = can_edit_plan(current_user, enrolment)
    typed, section = None, None
    if request.method == "POST":
        if not teach:
            abort(403)
        action = request.form.get("action")
        if attempt(lambda: _apply_plan_action(progression.plan_for(enrolment), action)):
            flash(_("Saved."), "success")
            return redirect(url_for("progression.plan", enrolment_id=enrolment.id))
        # Refused: the page again, with the message and everything as it was typed (nothing saved).
        typed = request.form.to_dict()
        section = PLAN_SECTIONS.get(action or "") or (
            f"revise-{typed.get('objective_id')}" if action == "revise" else None
        )
    shown = (
        progression.plan_for(enrolment)
        if teach
        else db.session.scalar(
            sa.select(progression.LearningPlan).where(progression.LearningPlan.enrolment_id == enrolment.id)
        )
    )
    kept, kept_ratings = _keeper(typed, section)
    return render_template(
        "progression/plan.html",
        enrolment=enrolment,
        plan=shown,
        editable=teach,
        ratings=SELF_RATINGS,
        outcomes=list(RarpaOutcome),
        kept=kept,
        kept_ratings=kept_ratings,
        section=section,
    ), (400 if typed is not None else 200)


# --- results, outcomes, placements ---------------------------------------------------------------


@bp.post("/learners/<int:learner_id>/results")
@role_required(Role.COORDINATOR)
def record_result(learner_id: int):
    learner = load_learner(learner_id, edit=True)
    return _recorded(
        learner,
        "result",
        _("Result recorded."),
        lambda: progression.record_result(
            learner,
            db.session.get(Qualification, _id("qualification_id") or 0),
            request.form.get("grade", ""),
            request.form.get("reference", ""),
            _date("result_date"),
            current_user,
        ),
    )


@bp.post("/learners/<int:learner_id>/outcomes")
@role_required(Role.COORDINATOR)
def record_outcome(learner_id: int):
    learner = load_learner(learner_id, edit=True)
    return _recorded(
        learner,
        "outcome",
        _("Outcome recorded."),
        lambda: progression.record_outcome(
            learner,
            OutcomeInput(
                kind=_choice("kind", OutcomeKind),
                outcome_date=_date("outcome_date"),
                hours_per_week=_int("hours_per_week"),
                **_texts("organisation_name", "evidence_note"),
                domains=_choices("domains", IntegrationDomain, "kind"),
            ),
            current_user,
        ),
    )


@bp.post("/outcomes/<int:outcome_id>/sustained/<int:weeks>")
@role_required(Role.COORDINATOR)
def outcome_sustained(outcome_id: int, weeks: int):
    if weeks not in (13, 26):
        abort(404)
    outcome = load_outcome(outcome_id)
    learner = load_learner(outcome.learner_id, edit=True)
    return _done(
        url_for("progression.progress", learner_id=learner.id),
        _("Saved."),
        lambda: progression.confirm_sustained(outcome, weeks, request.form.get("still_there") == "yes", current_user),
    )


@bp.post("/learners/<int:learner_id>/placements")
@role_required(Role.COORDINATOR)
def record_placement(learner_id: int):
    learner = load_learner(learner_id, edit=True)
    return _recorded(
        learner,
        "placement",
        _("Placement recorded."),
        lambda: progression.record_placement(
            learner,
            PlacementInput(
                employer_id=_id("employer_id"),
                start_date=_date("start_date"),
                end_date=_date("end_date"),
                hours_per_week=_int("hours_per_week"),
                **_texts("mentor_name", "mentor_contact", "employer_feedback"),
                risk_assessment_date=_date("risk_assessment_date"),
                reference_given=request.form.get("reference_given") == "y",
                completed=request.form.get("completed") == "y",
            ),
            current_user,
        ),
    )


# --- completion and certificates -----------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/certificates", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def certificates(cohort_id: int):
    """Preview who qualifies, then issue to the ticked learners. Nothing is sent automatically.

    Those who teach the cohort record its completion; issuing is for coordinators, and for its
    educators when the organisation allows it (`why_not_issue` says why not, on the page)."""
    cohort = load_cohort_to_teach(cohort_id)
    types = [t for t in cohort.course.certificate_types if t.kind is CertificateKind.PROVIDER]
    chosen = next((t for t in types if t.id == request.values.get("type", type=int)), types[0] if types else None)
    here = url_for("progression.certificates", cohort_id=cohort.id, type=chosen.id if chosen else None)
    cannot_issue = why_not_issue(current_user, cohort)
    if request.method == "POST":
        if request.form.get("action") == "complete":

            def complete() -> None:
                done, not_done = progression.complete_cohort(cohort, current_user)
                flash(_("Completed: %(done)d. Did not complete: %(not_done)d.", done=done, not_done=not_done), "info")

            return _done(here, _("Saved."), complete)
        if cannot_issue is not None:
            abort(403)
        if chosen is None:
            abort(400)
        ids = [number for number in map(parse_id, request.form.getlist("enrolment_ids")) if number]

        def issue() -> None:
            issued = progression.issue_certificates(cohort, chosen, ids, current_user)
            flash(_("Certificates issued: %(count)d.", count=len(issued)), "success")

        return _done(here, _("Saved."), issue)
    preview = progression.certificate_preview(cohort, chosen) if chosen else progression.completion_check(cohort)
    issued = db.session.scalars(
        sa.select(Certificate).join(Enrolment).where(Enrolment.cohort_id == cohort.id).order_by(Certificate.id)
    ).all()
    return render_template(
        "progression/certificates.html",
        cohort=cohort,
        types=types,
        chosen=chosen,
        preview=preview,
        issued=issued,
        cannot_issue=cannot_issue,
        can_revoke=is_coordinator_of(current_user, cohort.organisation_id),
        status_of=progression.certificate_status,
        format_code=progression.format_code,
    )


@bp.get("/cohorts/<int:cohort_id>/certificates.pdf")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def cohort_certificates_pdf(cohort_id: int):
    """Every valid certificate of the cohort in one PDF, one page each, for printing."""
    cohort = load_cohort_to_issue(cohort_id)
    found = db.session.scalars(
        sa.select(Certificate)
        .join(Enrolment)
        .where(Enrolment.cohort_id == cohort.id, Certificate.revoked_dt.is_(None))
        .options(sa.orm.joinedload(Certificate.certificate_type))
        .order_by(Certificate.holder_name, Certificate.id)
    ).all()
    if not found:
        flash(_("No certificates have been issued for this cohort yet."), "info")
        return redirect(url_for("progression.certificates", cohort_id=cohort.id))
    pages = [
        (c, url_for("progression.verify_code", code=progression.format_code(c.code), _external=True)) for c in found
    ]
    response = Response(render_many(pages, organisation_logo(cohort.organisation_id)), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="certificates-cohort-{cohort.id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_pdf(certificate_id: int):
    certificate = load_certificate(certificate_id)
    verify_url = url_for("progression.verify_code", code=progression.format_code(certificate.code), _external=True)
    logo = organisation_logo(db.session.get_one(Enrolment, certificate.enrolment_id).cohort.organisation_id)
    response = Response(render(certificate, verify_url, logo), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="certificate-{certificate.code}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/certificates/<int:certificate_id>/revoke")
@role_required(Role.COORDINATOR)
def certificate_revoke(certificate_id: int):
    certificate = load_certificate(certificate_id)
    enrolment = db.session.get_one(Enrolment, certificate.enrolment_id)
    return _done(
        url_for("progression.certificates", cohort_id=enrolment.cohort_id),
        _("Certificate revoked."),
        lambda: progression.revoke_certificate(certificate, request.form.get("reason", ""), current_user),
    )


@bp.get("/my/certificates")
@role_required(Role.LEARNER)
def my_certificates():
    learner = current_user.learner
    if learner is None:
        abort(404)
    found = db.session.scalars(
        sa.select(Certificate).where(Certificate.learner_id == learner.id).order_by(Certificate.issued_date.desc())
    ).all()
    return render_template(
        "progression/my_certificates.html", certificates=found, status_of=progression.certificate_status
    )


# --- public verification -------------------------------------------------------------------------


@bp.get("/verify")
@public
def verify():
    code = request.args.get("code", "")
    if code:
        return redirect(url_for("progression.verify_code", code=code.strip()))
    return render_template("progression/verify.html", certificate=None, code="", status=None)


@bp.get("/verify/<code>")
@public
def verify_code(code: str):
    """Anyone with the code sees the course, the dates, the status and the name as printed: nothing else."""
    certificate = progression.find_certificate(code)
    status = progression.certificate_status(certificate) if certificate else None
    return render_template(
        "progression/verify.html",
        certificate=certificate,
        code=code,
        status=status,
        format_code=progression.format_code,
    ), 200 if certificate else 404


@bp.app_context_processor
def _progression_helpers() -> dict:
    return {
        "outcome_kinds": list(OutcomeKind),
        "result_grades": list(ResultGrade),
        "integration_domains": list(IntegrationDomain),
        "employers": lambda: db.session.scalars(
            sa.select(Organisation).where(Organisation.kind == OrganisationKind.EMPLOYER).order_by(Organisation.name)
        ).all(),
        "qualification_list": lambda: db.session.scalars(
            sa.select(Qualification).order_by(Qualification.awarding_body, Qualification.code)
        ).all(),
        "certificate_types_all": lambda: db.session.scalars(sa.select(CertificateType)).all(),
        "certificate_status_title": lambda status: {
            "valid": _("Valid"),
            "expired": _("Expired"),
            "revoked": _("Revoked"),
        }[status],
        "rating_title": lambda key: {
            "confidence": _("Confidence"),
            "wellbeing": _("Wellbeing"),
            "english": _("English"),
            "skills": _("Skills for work"),
        }[key],
    }
