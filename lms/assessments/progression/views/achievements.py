"""Progress pages: where a learner is on each pathway, ESOL levels, completions and certificates."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from lms.assessments.progression import achievements as services
from lms.assessments.progression.access import can_assess_learner, load_learner_to_assess
from lms.assessments.progression.forms import EsolLevelsForm, ExternalCertificateForm, PriorCompletionForm
from lms.assessments.progression.models import (
    CourseCompletion,
    ExternalCertificate,
    Outcome,
    Placement,
    QualificationResult,
)
from lms.assessments.progression.views import bp
from lms.core.access import login_required, role_required
from lms.core.errors import ServiceError
from lms.core.esol import EsolLevel, EsolSkill
from lms.core.forms import object_choices
from lms.core.i18n import _
from lms.core.roles import Role
from lms.core.time import today_local
from lms.core.web import attempt
from lms.courses import queries as course_queries
from lms.courses.facts import learner_facts
from lms.courses.models import CertificateKind, CertificateType, Course, Qualification
from lms.courses.pathways import pathway_progress
from lms.extensions import db
from lms.people.access import can_edit_learner, load_learner
from lms.people.models import Learner, Organisation
from lms.scheduling.models import Enrolment


def _forms(learner: Learner) -> dict:
    esol_form = EsolLevelsForm(prefix="esol", assessed_date=today_local())
    completion_form = PriorCompletionForm(prefix="completion", completed_date=today_local())
    completion_form.course_id.choices = object_choices(
        course_queries.active_courses(learner.organisation_id), label=lambda c: f"{c.code}: {c.title}"
    )
    certificate_form = ExternalCertificateForm(prefix="certificate")
    certificate_form.certificate_type_id.choices = object_choices(
        t for t in course_queries.certificate_types() if t.kind is CertificateKind.EXTERNAL
    )
    return {"esol_form": esol_form, "completion_form": completion_form, "certificate_form": certificate_form}


@bp.get("/my/progress")
@role_required(Role.LEARNER)
def my_progress():
    if current_user.learner is None:
        abort(404)
    return redirect(url_for("progression.progress", learner_id=current_user.learner.id))


@bp.get("/learners/<int:learner_id>/progress")
@login_required
def progress(learner_id: int, forms: dict | None = None, typed: tuple[str, MultiDict] | None = None):
    """A learner's progress; `typed` is (form, fields) of a refused form shown again as it was typed."""
    learner = load_learner(learner_id)
    today = today_local()
    facts = learner_facts([learner.id])[learner.id]
    rules_by_id = course_queries.rules_by_id(learner.organisation_id)
    tags = [tag for tag in [current_user.locale or "", *learner.language_tags] if tag]
    pathways = [
        (pathway, pathway_progress(pathway.steps, facts, today, rules_by_id))
        for pathway in course_queries.pathways_of_learner(learner.id)
    ]
    completions = db.session.scalars(
        db.select(CourseCompletion)
        .where(CourseCompletion.learner_id == learner.id)
        .options(db.selectinload(CourseCompletion.course))
        .order_by(CourseCompletion.completed_date.desc())
    ).all()
    certificates = db.session.scalars(
        db.select(ExternalCertificate)
        .where(ExternalCertificate.learner_id == learner.id)
        .options(db.selectinload(ExternalCertificate.certificate_type))
        .order_by(ExternalCertificate.issued_date.desc())
    ).all()
    can_record = can_edit_learner(current_user, learner)
    can_assess = can_assess_learner(current_user, learner)
    gains = _level_gains(facts.esol_results)
    outcomes = db.session.scalars(
        db.select(Outcome).where(Outcome.learner_id == learner.id).order_by(Outcome.outcome_date.desc())
    ).all()
    results = db.session.execute(
        db.select(QualificationResult, Qualification)
        .join(Qualification)
        .where(QualificationResult.learner_id == learner.id)
        .order_by(QualificationResult.result_date.desc())
    ).all()
    placements = db.session.execute(
        db.select(Placement, Organisation.name)
        .join(Organisation, Organisation.id == Placement.employer_id)
        .where(Placement.learner_id == learner.id)
        .order_by(Placement.start_date.desc())
    ).all()
    plans = db.session.scalars(
        db.select(Enrolment).where(Enrolment.learner_id == learner.id).options(db.joinedload(Enrolment.cohort))
    ).all()
    return render_template(
        "progression/progress.html",
        learner=learner,
        pathways=pathways,
        tags=tags,
        today=today,
        levels=facts.esol_levels_on(today),
        skills=list(EsolSkill),
        completions=completions,
        certificates=certificates,
        can_record=can_record,
        can_assess=can_assess,
        refused_form=typed[0] if typed else None,
        kept=_keeper(typed),
        gains=gains,
        outcomes=outcomes,
        results=results,
        placements=placements,
        enrolments=plans,
        **(forms or (_forms(learner) if can_assess else {})),
    )


def _keeper(typed: tuple[str, MultiDict] | None):  # noqa: ANN202
    """`kept(form, name)`: the values typed into the refused form `form` (a list), else an empty list."""

    def kept(form: str, name: str) -> list[str]:
        return typed[1].getlist(name) if typed and typed[0] == form else []

    return kept


def _after(learner: Learner, form_name: str, form, save, message: str):  # noqa: ANN001, ANN202
    if form.validate_on_submit() and attempt(save, form):
        flash(message, "success")
        return redirect(url_for("progression.progress", learner_id=learner.id))
    forms = _forms(learner)
    forms[form_name] = form
    return progress(learner.id, forms=forms), 400


@bp.post("/learners/<int:learner_id>/esol")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def record_esol(learner_id: int):
    """Coordinators, and the educators who teach the learner, record ESOL levels per skill."""
    learner = load_learner_to_assess(learner_id)
    form = _forms(learner)["esol_form"]
    levels = {skill.value: getattr(form, skill.value).data for skill in EsolSkill}
    return _after(
        learner,
        "esol_form",
        form,
        lambda: services.record_esol_levels(
            learner, levels, form.kind.data, form.assessed_date.data, current_user, form.note.data
        ),
        _("ESOL levels recorded."),
    )


@bp.post("/learners/<int:learner_id>/completions")
@role_required(Role.COORDINATOR)
def record_completion(learner_id: int):
    learner = load_learner(learner_id, edit=True)
    form = _forms(learner)["completion_form"]

    def save():  # noqa: ANN202
        course = db.session.get(Course, int(form.course_id.data or 0))
        if course is None:
            raise ServiceError(_("Choose the course."), field="course_id")
        return services.record_prior_completion(learner, course, form.completed_date.data, form.note.data, current_user)

    return _after(learner, "completion_form", form, save, _("Completed course recorded."))


@bp.post("/learners/<int:learner_id>/certificates")
@role_required(Role.COORDINATOR)
def record_certificate(learner_id: int):
    learner = load_learner(learner_id, edit=True)
    form = _forms(learner)["certificate_form"]

    def save():  # noqa: ANN202
        certificate_type = db.session.get(CertificateType, int(form.certificate_type_id.data or 0))
        if certificate_type is None:
            raise ServiceError(_("Choose the certificate."), field="certificate_type_id")
        return services.record_external_certificate(
            learner,
            certificate_type,
            number=form.number.data,
            issued=form.issued_date.data,
            expiry=form.expiry_date.data,
            renewal=form.renewal.data,
            evidence_seen=form.evidence_seen.data,
            actor=current_user,
        )

    return _after(learner, "certificate_form", form, save, _("Certificate recorded."))


def _level_gains(results) -> dict:  # noqa: ANN001
    """First and latest assessed level per skill: the learner's progress in English."""
    gains: dict[EsolSkill, tuple[EsolLevel, EsolLevel]] = {}
    for result in sorted(results, key=lambda r: r.assessed_date):
        first, _latest = gains.get(result.skill, (result.level, result.level))
        gains[result.skill] = (first, result.level)
    return gains
