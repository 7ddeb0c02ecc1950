"""Curriculum pages: programmes, the course catalogue, eligibility rules and pathways."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.core.access import login_required, role_required
from lms.core.forms import object_choices
from lms.core.i18n import _, _l
from lms.core.roles import Role
from lms.core.time import today_local
from lms.core.web import attempt, save_or_show
from lms.courses import queries, services
from lms.courses.access import can_manage_curriculum, can_read_curriculum, load_curriculum, readable_curriculum
from lms.courses.facts import learner_facts
from lms.courses.forms import (
    CourseForm,
    CourseTranslationForm,
    MembershipForm,
    PathwayForm,
    ProgrammeForm,
    ReportingPeriodForm,
    RuleCheckForm,
    RuleForm,
    StepForm,
)
from lms.courses.models import (
    Course,
    CourseKind,
    EligibilityCheck,
    EligibilityRule,
    Pathway,
    PathwayStep,
    Programme,
)
from lms.courses.pathways import StepStatus, pathway_progress
from lms.courses.pathways import explain as explain_reason
from lms.courses.rules import Reason
from lms.extensions import db
from lms.people.models import Learner, OrganisationKind

bp = Blueprint("courses", __name__, template_folder="templates")

NONE = _l("None")


@bp.app_template_filter("explain_reason")
def _explain_filter(reason: Reason | dict) -> str:
    return explain_reason(reason if isinstance(reason, Reason) else Reason.from_dict(reason))


def _list_args() -> tuple[str, bool]:
    return request.args.get("q", "").strip()[:100], request.args.get("archived") == "1"


@bp.post("/<any(programmes, courses, pathways, rules):area>/<int:object_id>/archive")
@role_required(Role.COORDINATOR)
def archive(area: str, object_id: int):
    models: dict[str, type[Programme | Course | Pathway | EligibilityRule]] = {
        "programmes": Programme,
        "courses": Course,
        "pathways": Pathway,
        "rules": EligibilityRule,
    }
    obj = load_curriculum(models[area], object_id, manage=True)
    archived = request.form.get("archived") == "1"
    services.set_archived(obj, archived, current_user)
    flash(_("Archived.") if archived else _("Restored from the archive."), "success")
    return redirect(url_for(f"courses.{area}"))


# --- programmes ----------------------------------------------------------------------------------


@bp.get("/programmes")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def programmes():
    search, archived = _list_args()
    query = queries.programmes_select(current_user.organisation_id, search, archived)
    page = db.paginate(query.where(readable_curriculum(current_user, Programme)), per_page=50)
    return render_template("courses/programmes.html", page=page, search=search, archived=archived)


def _programme_form(programme: Programme | None) -> ProgrammeForm:
    form = ProgrammeForm(obj=programme)
    organisation_id = current_user.organisation_id
    form.funder_id.choices = object_choices(queries.organisations_of_kind(OrganisationKind.FUNDER), none_label=NONE)
    form.partner_ids.choices = object_choices(
        o
        for o in queries.organisations_of_kind(OrganisationKind.PARTNER, OrganisationKind.PROVIDER)
        if o.id != organisation_id
    )
    form.eligibility_rule_id.choices = object_choices(queries.rules_of(organisation_id), none_label=NONE)
    if request.method == "GET" and programme is not None:
        form.funder_id.data = str(programme.funder_id or "")
        form.partner_ids.data = [str(p.id) for p in programme.partners]
        form.eligibility_rule_id.data = str(programme.eligibility_rule_id or "")
        form.reporting_scheme.data = programme.reporting_scheme.value
        form.strands.data = "\n".join(programme.strands)
        form.allowed_referral_sources.data = "\n".join(programme.allowed_referral_sources)
        for target in programme.targets:
            getattr(form, f"target_{target.measure.value}").data = target.value
    return form


@bp.route("/programmes/new", methods=["GET", "POST"])
@bp.route("/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def programme_form(programme_id: int | None = None):
    programme = load_curriculum(Programme, programme_id, manage=True) if programme_id else None
    form = _programme_form(programme)
    if form.validate_on_submit():
        response = save_or_show(
            form,
            lambda: services.save_programme(current_user.organisation, form.to_input(), current_user, programme),
            lambda p: url_for("courses.programme", programme_id=p.id),
            _("Programme saved."),
        )
        if response:
            return response
    return render_template(
        "form_page.html",
        form=form,
        title=_("Edit programme") if programme else _("New programme"),
        submit_label=_("Save programme"),
        back_url=url_for("courses.programme", programme_id=programme.id)
        if programme
        else url_for("courses.programmes"),
    )


@bp.route("/programmes/<int:programme_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def programme(programme_id: int):
    programme = load_curriculum(Programme, programme_id)
    period_form = ReportingPeriodForm(prefix="period")
    if request.method == "POST":
        if not can_manage_curriculum(current_user, programme):
            abort(403)
        if period_form.validate_on_submit():
            response = save_or_show(
                period_form,
                lambda: services.add_reporting_period(
                    programme, period_form.name.data, period_form.start_date.data, period_form.end_date.data
                ),
                lambda _period: url_for("courses.programme", programme_id=programme.id),
                _("Reporting period added."),
            )
            if response:
                return response
    return render_template(
        "courses/programme.html",
        programme=programme,
        period_form=period_form,
        can_manage=can_manage_curriculum(current_user, programme),
    )


# --- courses -------------------------------------------------------------------------------------


@bp.get("/courses")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def courses():
    search, archived = _list_args()
    kind, level = request.args.get("kind", ""), request.args.get("level", "")
    if kind and kind not in CourseKind.__members__.values():
        kind = ""
    organisation_id = current_user.organisation_id
    query = queries.courses_select(organisation_id, search=search, kind=kind, level=level, archived=archived)
    page = db.paginate(query.where(readable_curriculum(current_user, Course)), per_page=50)
    return render_template(
        "courses/courses.html",
        page=page,
        search=search,
        archived=archived,
        kind=kind,
        level=level,
        kinds=list(CourseKind),
    )


def _course_form(course: Course | None) -> CourseForm:
    form = CourseForm(obj=course)
    types = queries.certificate_types()
    form.qualification_id.choices = object_choices(
        queries.qualifications(), label=lambda q: f"{q.awarding_body} {q.code}: {q.title}", none_label=NONE
    )
    form.certificate_type_ids.choices = object_choices(types)
    form.required_certificate_type_id.choices = object_choices(types, none_label=NONE)
    if request.method == "GET" and course is not None:
        form.kind.data = course.kind.value
        form.sector.data = course.sector.value if course.sector else ""
        form.esol_level.data = course.esol_level.value if course.esol_level else ""
        form.qualification_id.data = str(course.qualification_id or "")
        form.certificate_type_ids.data = [str(t.id) for t in course.certificate_types]
        form.required_certificate_type_id.data = str(course.required_certificate_type_id or "")
    return form


@bp.route("/courses/new", methods=["GET", "POST"])
@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def course_form(course_id: int | None = None):
    course = load_curriculum(Course, course_id, manage=True) if course_id else None
    form = _course_form(course)
    if form.validate_on_submit():
        response = save_or_show(
            form,
            lambda: services.save_course(current_user.organisation, form.to_input(), current_user, course),
            lambda c: url_for("courses.course", course_id=c.id),
            _("Course saved."),
        )
        if response:
            return response
    return render_template(
        "form_page.html",
        form=form,
        title=_("Edit course") if course else _("New course"),
        submit_label=_("Save course"),
        back_url=url_for("courses.course", course_id=course.id) if course else url_for("courses.courses"),
    )


@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def course(course_id: int):
    course = load_curriculum(Course, course_id)
    translation_form = CourseTranslationForm(prefix="translation")
    if request.method == "POST":
        if not can_manage_curriculum(current_user, course):
            abort(403)
        if translation_form.validate_on_submit():
            response = save_or_show(
                translation_form,
                lambda: services.save_course_translation(
                    course,
                    translation_form.locale.data,
                    translation_form.title.data,
                    translation_form.summary.data,
                ),
                lambda _t: url_for("courses.course", course_id=course.id),
                _("Translation saved."),
            )
            if response:
                return response
    return render_template(
        "courses/course.html",
        course=course,
        translation_form=translation_form,
        can_manage=can_manage_curriculum(current_user, course),
    )


@bp.get("/catalogue")
@login_required
def catalogue():
    """The simple catalogue for learners: titles and descriptions in their language where we have them."""
    organisation_id = current_user.organisation_id
    learner = current_user.learner
    tags = [str(current_user.locale or "")] + (learner.language_tags if learner else [])
    courses = [
        (course, *course.translated([tag for tag in tags if tag]))
        for course in db.session.scalars(queries.courses_select(organisation_id))
    ]
    return render_template("courses/catalogue.html", courses=courses)


# --- eligibility rules ---------------------------------------------------------------------------


@bp.get("/rules")
@role_required(Role.COORDINATOR)
def rules():
    _search, archived = _list_args()
    found = [
        r for r in queries.rules_of(current_user.organisation_id, include_archived=True) if r.is_archived == archived
    ]
    return render_template("courses/rules.html", rules=found, archived=archived)


def _rule_form(rule: EligibilityRule | None) -> RuleForm:
    form = RuleForm(obj=rule)
    if request.method == "GET" and rule is not None:
        conditions = rule.conditions
        for number, clause in enumerate(conditions.get("immigration", [])[:2], start=1):
            getattr(form, f"statuses_{number}").data = clause["statuses"]
            getattr(form, f"months_{number}").data = clause["min_months"]
        age = conditions.get("age", {})
        form.min_age.data, form.max_age.data = age.get("min"), age.get("max")
        form.referral_sources.data = "\n".join(conditions.get("referral_sources", []))
        esol = conditions.get("esol", {})
        form.esol_min.data, form.esol_max.data = esol.get("min") or "", esol.get("max") or ""
        form.esol_skills.data = esol.get("skills", [])
    return form


@bp.route("/rules/new", methods=["GET", "POST"])
@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def rule_form(rule_id: int | None = None):
    rule = load_curriculum(EligibilityRule, rule_id, manage=True) if rule_id else None
    form = _rule_form(rule)
    if form.validate_on_submit():
        response = save_or_show(
            form,
            lambda: services.save_rule(current_user.organisation, form.to_input(), current_user, rule),
            lambda r: url_for("courses.rule", rule_id=r.id),
            _("Rule saved."),
        )
        if response:
            return response
    return render_template(
        "form_page.html",
        form=form,
        title=_("Edit eligibility rule") if rule else _("New eligibility rule"),
        intro=_("A learner must meet every part you fill in. For immigration status, meeting either option is enough."),
        submit_label=_("Save rule"),
        back_url=url_for("courses.rules"),
    )


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def rule(rule_id: int):
    """The rule, and a check of one learner against it on a date (kept as evidence)."""
    rule = load_curriculum(EligibilityRule, rule_id, manage=True)
    form = RuleCheckForm(on_date=today_local())
    result = None
    if form.validate_on_submit():
        learner = db.session.get(Learner, form.learner_id.data)
        if learner is None or learner.organisation_id != rule.organisation_id:
            form.learner_id.errors = [
                *form.learner_id.errors,
                _("No learner with this number in your organisation."),
            ]
        else:
            facts = learner_facts([learner.id])[learner.id]
            result, _evaluation = services.record_eligibility_check(
                learner, rule, facts, form.on_date.data, purpose="manual", actor=current_user
            )
    recent = db.session.scalars(
        db.select(EligibilityCheck)
        .where(EligibilityCheck.rule_id == rule.id)
        .order_by(EligibilityCheck.checked_dt.desc())
        .limit(20)
    ).all()
    return render_template("courses/rule.html", rule=rule, form=form, result=result, recent=recent)


# --- pathways ------------------------------------------------------------------------------------


@bp.get("/pathways")
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def pathways():
    _search, archived = _list_args()
    return render_template(
        "courses/pathways.html",
        pathways=[
            pathway
            for pathway in queries.pathways_of(current_user.organisation_id, archived)
            if can_read_curriculum(current_user, pathway)
        ],
        archived=archived,
    )


@bp.route("/pathways/new", methods=["GET", "POST"])
@bp.route("/pathways/<int:pathway_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def pathway_form(pathway_id: int | None = None):
    pathway = load_curriculum(Pathway, pathway_id, manage=True) if pathway_id else None
    form = PathwayForm(obj=pathway)
    if form.validate_on_submit():
        response = save_or_show(
            form,
            lambda: services.save_pathway(current_user.organisation, form.to_input(), current_user, pathway),
            lambda p: url_for("courses.pathway", pathway_id=p.id),
            _("Pathway saved."),
        )
        if response:
            return response
    return render_template(
        "form_page.html",
        form=form,
        title=_("Edit pathway") if pathway else _("New pathway"),
        submit_label=_("Save pathway"),
        back_url=url_for("courses.pathway", pathway_id=pathway.id) if pathway else url_for("courses.pathways"),
    )


@bp.route("/pathways/<int:pathway_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.EDUCATOR)
def pathway(pathway_id: int):
    """Steps, members, and for each step who is ready to start it."""
    loaded = queries.pathway_with_steps(load_curriculum(Pathway, pathway_id).id)
    if loaded is None:  # deleted since the access check
        abort(404)
    pathway = loaded
    manage = can_manage_curriculum(current_user, pathway)
    member_form = MembershipForm(prefix="member", joined_date=today_local())
    members = queries.members_of(pathway.id)
    if manage:
        member_form.learner_id.choices = _non_member_choices(pathway, members)
    if request.method == "POST":
        if not manage:
            abort(403)
        if member_form.validate_on_submit():
            learner = db.session.get(Learner, int(member_form.learner_id.data))
            if learner is None:
                abort(404)
            response = save_or_show(
                member_form,
                lambda: services.join_pathway(learner, pathway, member_form.joined_date.data, current_user),
                lambda _m: url_for("courses.pathway", pathway_id=pathway.id),
                _("Learner added to the pathway."),
            )
            if response:
                return response
    return render_template(
        "courses/pathway.html",
        pathway=pathway,
        manage=manage,
        members=members,
        ready=_ready_by_step(pathway, members),
        member_form=member_form,
    )


def _non_member_choices(pathway: Pathway, members: list[Learner]) -> list[SelectChoice]:
    member_ids = {m.id for m in members}
    return [
        SelectChoice(str(learner.id), learner.both_names)
        for learner in db.session.scalars(
            db.select(Learner)
            .where(Learner.organisation_id == pathway.organisation_id)
            .order_by(Learner.family_name_latin, Learner.given_name_latin)
        )
        if learner.id not in member_ids
    ]


def _ready_by_step(pathway: Pathway, members: list[Learner]) -> dict[int, list[Learner]]:
    """For each step, the members ready to start it today."""
    today = today_local()
    facts = learner_facts(m.id for m in members)
    rules_by_id = queries.rules_by_id(pathway.organisation_id)
    ready: dict[int, list[Learner]] = {step.id: [] for step in pathway.steps}
    for member in members:
        for progress in pathway_progress(pathway.steps, facts[member.id], today, rules_by_id):
            if progress.status is StepStatus.READY:
                ready[progress.step.id].append(member)
    return ready


def _step_form(pathway: Pathway, step: PathwayStep | None) -> StepForm:
    form = StepForm(obj=step)
    organisation_id = pathway.organisation_id
    form.course_id.choices = object_choices(
        queries.active_courses(organisation_id), label=lambda c: f"{c.code}: {c.title}", none_label=NONE
    )
    form.certificate_type_id.choices = object_choices(queries.certificate_types(), none_label=NONE)
    form.prerequisite_ids.choices = object_choices(
        (s for s in pathway.steps if step is None or s.id != step.id), label=lambda s: s.title
    )
    form.eligibility_rule_id.choices = object_choices(queries.rules_of(organisation_id), none_label=NONE)
    if request.method == "GET" and step is not None:
        form.kind.data = step.kind.value
        form.course_id.data = str(step.course_id or "")
        form.certificate_type_id.data = str(step.certificate_type_id or "")
        form.prerequisite_ids.data = [str(p.id) for p in step.prerequisites]
        form.eligibility_rule_id.data = str(step.eligibility_rule_id or "")
        for skill, level in step.min_esol_levels.items():
            getattr(form, f"min_{skill}").data = level
    return form


@bp.route("/pathways/<int:pathway_id>/steps/new", methods=["GET", "POST"])
@bp.route("/pathways/<int:pathway_id>/steps/<int:step_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def step_form(pathway_id: int, step_id: int | None = None):
    pathway = load_curriculum(Pathway, pathway_id, manage=True)
    step = None
    if step_id is not None:
        step = next((s for s in pathway.steps if s.id == step_id), None)
        if step is None:
            abort(404)
    form = _step_form(pathway, step)
    if form.validate_on_submit():
        response = save_or_show(
            form,
            lambda: services.save_step(pathway, form.to_input(), current_user, step),
            lambda _s: url_for("courses.pathway", pathway_id=pathway.id),
            _("Step saved."),
        )
        if response:
            return response
    return render_template(
        "form_page.html",
        form=form,
        title=_("Edit step") if step else _("Add a step"),
        intro=_("Pathway: %(name)s", name=pathway.name),
        submit_label=_("Save step"),
        back_url=url_for("courses.pathway", pathway_id=pathway.id),
    )


@bp.post("/pathways/<int:pathway_id>/steps/<int:step_id>/<any(up, down, remove):action>")
@role_required(Role.COORDINATOR)
def step_action(pathway_id: int, step_id: int, action: str):
    pathway = load_curriculum(Pathway, pathway_id, manage=True)
    step = next((s for s in pathway.steps if s.id == step_id), None)
    if step is None:
        abort(404)
    if action == "remove":
        attempt(lambda: services.remove_step(step, current_user))
    else:
        services.move_step(step, -1 if action == "up" else 1)
    return redirect(url_for("courses.pathway", pathway_id=pathway.id))


@bp.app_context_processor
def _curriculum_helpers() -> dict:
    from lms.core.esol import EsolLevel, EsolSkill
    from lms.people.models import ImmigrationStatus

    return {
        "status_title": lambda value: ImmigrationStatus(value).title,
        "level_title": lambda value: EsolLevel(value).title if value else "",
        "skill_title": lambda value: EsolSkill(value).title,
    }
