"""Writes for the curriculum: programmes, courses, rules and pathways. Validate, change, flush, audit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from lms.core import audit
from lms.core.errors import ServiceError
from lms.core.esol import EsolLevel, EsolSkill
from lms.core.i18n import _
from lms.courses import rules
from lms.courses.models import (
    CertificateType,
    Course,
    CourseKind,
    CourseTranslation,
    DeliveryMode,
    DeliverySetting,
    EligibilityCheck,
    EligibilityRule,
    IntegrationDomain,
    Pathway,
    PathwayMembership,
    PathwayStep,
    Programme,
    ProgrammeTarget,
    ReportingPeriod,
    ReportingScheme,
    Sector,
    StepKind,
    TargetMeasure,
)
from lms.courses.pathways import check_prerequisites_acyclic, check_step_levels
from lms.courses.rules import Evaluation, LearnerFacts
from lms.extensions import db
from lms.people.models import Learner, Organisation, User
from lms.people.services import normalise_language_tags

MAX_PROGRAMME_YEARS = 10


def _text(value: str | None) -> str:
    return (value or "").strip()


def _values(enum_class: type, values: list[str] | None, field: str) -> list[str]:
    try:
        return sorted({enum_class(value).value for value in values or []})
    except ValueError:
        raise ServiceError(_("Choose from the list."), field=field)


def _unique_name(
    model: type[EligibilityRule | Programme | Pathway],
    organisation_id: int,
    name: str,
    exclude_id: int | None,
    field: str = "name",
) -> None:
    query = sa.select(model.id).where(model.organisation_id == organisation_id, model.name == name)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if db.session.scalar(query):
        raise ServiceError(_("This name is already used. Choose another."), field=field)


# --- eligibility rules ---------------------------------------------------------------------------


def save_rule(
    organisation: Organisation, data: dict[str, Any], actor: User, rule: EligibilityRule | None = None
) -> EligibilityRule:
    name = _text(data.get("name"))
    if not name:
        raise ServiceError(_("Give the rule a name."), field="name")
    _unique_name(EligibilityRule, organisation.id, name, rule.id if rule else None)
    conditions = rules.parse_conditions(data.get("conditions") or {})
    rule = rule or EligibilityRule(organisation_id=organisation.id)
    rule.name, rule.description, rule.conditions = name, _text(data.get("description")), conditions
    db.session.add(rule)
    db.session.flush()
    audit.record("rule.save", actor_id=actor.id, subject_type="eligibility_rule", subject_id=rule.id)
    return rule


def record_eligibility_check(
    learner: Learner,
    rule: EligibilityRule,
    facts: LearnerFacts,
    on: date,
    *,
    purpose: str,
    actor: User | None,
) -> tuple[EligibilityCheck, Evaluation]:
    """Evaluate a rule on a date and keep the result and its reasons as evidence."""
    evaluation = rules.evaluate(rule.conditions, facts, on)
    check = EligibilityCheck(
        learner_id=learner.id,
        rule_id=rule.id,
        on_date=on,
        passed=evaluation.passed,
        reasons=[reason.as_dict() for reason in evaluation.reasons],
        purpose=purpose,
        checked_by_id=actor.id if actor else None,
    )
    db.session.add(check)
    db.session.flush()
    return check, evaluation


# --- programmes ----------------------------------------------------------------------------------


def reporting_periods_for(scheme: ReportingScheme, start: date, end: date) -> list[tuple[str, date, date]]:
    """Funders' periods overlapping the grant, clipped to it: April-March quarters or August-July years."""
    periods = []
    if scheme is ReportingScheme.APRIL_MARCH_QUARTERS:
        year = start.year if start.month >= 4 else start.year - 1
        while date(year, 4, 1) <= end:
            quarter_starts = [date(year, 4, 1), date(year, 7, 1), date(year, 10, 1), date(year + 1, 1, 1)]
            quarter_ends = [date(year, 6, 30), date(year, 9, 30), date(year, 12, 31), date(year + 1, 3, 31)]
            for number, (q_start, q_end) in enumerate(zip(quarter_starts, quarter_ends, strict=True), start=1):
                if q_end >= start and q_start <= end:
                    name = f"{year}-{str(year + 1)[-2:]} Q{number}"
                    periods.append((name, max(q_start, start), min(q_end, end)))
            year += 1
    elif scheme is ReportingScheme.AUGUST_JULY_YEARS:
        year = start.year if start.month >= 8 else start.year - 1
        while date(year, 8, 1) <= end:
            y_start, y_end = date(year, 8, 1), date(year + 1, 7, 31)
            if y_end >= start:
                periods.append((f"{year}-{str(year + 1)[-2:]}", max(y_start, start), min(y_end, end)))
            year += 1
    return periods


def save_programme(
    organisation: Organisation, data: dict[str, Any], actor: User, programme: Programme | None = None
) -> Programme:
    name = _text(data.get("name"))
    if not name:
        raise ServiceError(_("Give the programme a name."), field="name")
    _unique_name(Programme, organisation.id, name, programme.id if programme else None)
    start, end = data.get("start_date"), data.get("end_date")
    if not start or not end:
        raise ServiceError(_("Enter the grant's start and end dates."), field="start_date")
    if end < start:
        raise ServiceError(_("The end date must be on or after the start date."), field="end_date")
    if (end - start).days > MAX_PROGRAMME_YEARS * 366:
        raise ServiceError(
            _(
                "A grant period longer than %(years)d years is almost certainly a typing mistake.",
                years=MAX_PROGRAMME_YEARS,
            ),
            field="end_date",
        )
    scheme = ReportingScheme(data.get("reporting_scheme") or ReportingScheme.APRIL_MARCH_QUARTERS)
    funder = _organisation(data.get("funder_id"), "funder_id")
    partners = [_organisation(partner_id, "partner_ids") for partner_id in data.get("partner_ids") or []]
    rule = _rule(organisation, data.get("eligibility_rule_id"))
    targets: dict[TargetMeasure, int] = {}
    for measure, value in (data.get("targets") or {}).items():
        if value is None or value == "":
            continue
        if not isinstance(value, int) or value < 0:
            raise ServiceError(_("Targets are whole numbers, zero or more."), field="targets")
        targets[TargetMeasure(measure)] = value

    programme = programme or Programme(organisation_id=organisation.id)
    scheme_or_dates_changed = (programme.reporting_scheme, programme.start_date, programme.end_date) != (
        scheme,
        start,
        end,
    )
    programme.name, programme.start_date, programme.end_date = name, start, end
    programme.reporting_scheme = scheme
    programme.description = _text(data.get("description"))
    programme.strands = [s for s in dict.fromkeys(_text(s) for s in data.get("strands") or []) if s]
    programme.allowed_referral_sources = [
        s for s in dict.fromkeys(_text(s) for s in data.get("allowed_referral_sources") or []) if s
    ]
    programme.funder = funder
    programme.partners = [p for p in partners if p is not None]
    programme.eligibility_rule = rule
    programme.retention_months = data.get("retention_months") or None
    existing = {target.measure: target for target in programme.targets}
    programme.targets = [
        existing.get(measure) or ProgrammeTarget(measure=measure, value=value) for measure, value in targets.items()
    ]
    for target in programme.targets:
        target.value = targets[target.measure]
    if scheme_or_dates_changed and scheme is not ReportingScheme.CUSTOM:
        programme.reporting_periods = [
            ReportingPeriod(name=period_name, start_date=p_start, end_date=p_end)
            for period_name, p_start, p_end in reporting_periods_for(scheme, start, end)
        ]
    db.session.add(programme)
    db.session.flush()
    audit.record("programme.save", actor_id=actor.id, subject_type="programme", subject_id=programme.id)
    return programme


def add_reporting_period(programme: Programme, name: str, start: date | None, end: date | None) -> ReportingPeriod:
    name = _text(name)
    if not name or not start or not end:
        raise ServiceError(_("Give the period a name, a start date and an end date."))
    if end < start:
        raise ServiceError(_("The end date must be on or after the start date."), field="end_date")
    if start < programme.start_date or end > programme.end_date:
        raise ServiceError(_("A reporting period must fall within the grant period."), field="start_date")
    if any(p.start_date == start and p.end_date == end for p in programme.reporting_periods):
        raise ServiceError(_("This period already exists."))
    period = ReportingPeriod(name=name, start_date=start, end_date=end)
    programme.reporting_periods.append(period)
    db.session.flush()
    return period


def _organisation(organisation_id: Any, field: str) -> Organisation | None:
    if not organisation_id:
        return None
    organisation = db.session.get(Organisation, int(organisation_id))
    if organisation is None:
        raise ServiceError(_("Choose from the list."), field=field)
    return organisation


def _rule(organisation: Organisation, rule_id: Any) -> EligibilityRule | None:
    if not rule_id:
        return None
    rule = db.session.get(EligibilityRule, int(rule_id))
    if rule is None or rule.organisation_id != organisation.id:
        raise ServiceError(_("Choose from the list."), field="eligibility_rule_id")
    return rule


# --- courses -------------------------------------------------------------------------------------


def save_course(organisation: Organisation, data: dict[str, Any], actor: User, course: Course | None = None) -> Course:
    title, code = _text(data.get("title")), _text(data.get("code")).upper()
    if not title:
        raise ServiceError(_("Give the course a title."), field="title")
    if not code:
        raise ServiceError(_("Give the course a short code, such as ESOL-E2."), field="code")
    query = sa.select(Course.id).where(Course.organisation_id == organisation.id, Course.code == code)
    if course is not None:
        query = query.where(Course.id != course.id)
    if db.session.scalar(query):
        raise ServiceError(_("Another course already has this code."), field="code")
    kind = CourseKind(data.get("kind") or "")
    sector = Sector(data["sector"]) if data.get("sector") else None
    if kind is CourseKind.SECTOR_SKILLS and sector is None:
        raise ServiceError(_("Choose the sector for an English and Skills course."), field="sector")
    level = EsolLevel(data["esol_level"]) if data.get("esol_level") else None
    if kind is CourseKind.ESOL_FORMAL and level is None:
        raise ServiceError(_("Choose the ESOL level of an accredited ESOL course."), field="esol_level")
    percent = data.get("min_attendance_percent")
    if percent is not None and not 0 <= percent <= 100:
        raise ServiceError(_("Attendance must be a percentage from 0 to 100."), field="min_attendance_percent")
    hours = data.get("guided_hours")
    if hours is not None and Decimal(hours) < 0:
        raise ServiceError(_("Guided hours cannot be negative."), field="guided_hours")
    weeks = data.get("duration_weeks")
    if weeks is not None and weeks <= 0:
        raise ServiceError(_("The duration must be at least one week."), field="duration_weeks")
    is_accredited = bool(data.get("is_accredited"))
    qualification_id = data.get("qualification_id") or None
    if is_accredited and not qualification_id:
        raise ServiceError(_("Choose the qualification an accredited course leads to."), field="qualification_id")
    certificate_types = [
        db.session.get(CertificateType, int(type_id)) for type_id in data.get("certificate_type_ids") or []
    ]
    if any(certificate_type is None for certificate_type in certificate_types):
        raise ServiceError(_("Choose from the list."), field="certificate_type_ids")

    course = course or Course(organisation_id=organisation.id)
    course.title, course.code, course.kind, course.sector, course.esol_level = (
        title,
        code,
        kind,
        sector,
        level,
    )
    course.esol_skills = _values(EsolSkill, data.get("esol_skills"), "esol_skills")
    course.is_accredited = is_accredited
    course.qualification_id = int(qualification_id) if qualification_id and is_accredited else None
    course.summary, course.aims = _text(data.get("summary")), _text(data.get("aims"))
    course.learning_outcomes = _text(data.get("learning_outcomes"))
    course.duration_weeks, course.guided_hours = weeks, hours
    course.delivery_modes = _values(DeliveryMode, data.get("delivery_modes"), "delivery_modes")
    course.delivery_settings = _values(DeliverySetting, data.get("delivery_settings"), "delivery_settings")
    course.integration_domains = _values(IntegrationDomain, data.get("integration_domains"), "integration_domains")
    course.min_attendance_percent = percent
    course.requires_signoff = bool(data.get("requires_signoff"))
    course.requires_assessment_pass = bool(data.get("requires_assessment_pass"))
    required_type = data.get("required_certificate_type_id") or None
    course.required_certificate_type_id = int(required_type) if required_type else None
    course.certificate_types = [certificate_type for certificate_type in certificate_types if certificate_type]
    db.session.add(course)
    db.session.flush()
    audit.record("course.save", actor_id=actor.id, subject_type="course", subject_id=course.id)
    return course


def save_course_translation(course: Course, locale: str, title: str, summary: str) -> CourseTranslation:
    tags = normalise_language_tags(locale).split()
    if len(tags) != 1:
        raise ServiceError(_("Give one language code, such as ar or fa-AF."), field="locale")
    title = _text(title)
    if not title:
        raise ServiceError(_("Give the translated title."), field="title")
    translation = next((t for t in course.translations if t.locale == tags[0]), None)
    if translation is None:
        translation = CourseTranslation(locale=tags[0])
        course.translations.append(translation)
    translation.title, translation.summary = title, _text(summary)
    db.session.flush()
    return translation


def set_archived(obj: Programme | Course | Pathway | EligibilityRule, archived: bool, actor: User) -> None:
    obj.is_archived = archived
    audit.record(
        "archive" if archived else "unarchive",
        actor_id=actor.id,
        subject_type=obj.__tablename__,
        subject_id=obj.id,
    )


# --- pathways ------------------------------------------------------------------------------------


def save_pathway(
    organisation: Organisation, data: dict[str, Any], actor: User, pathway: Pathway | None = None
) -> Pathway:
    name = _text(data.get("name"))
    if not name:
        raise ServiceError(_("Give the pathway a name."), field="name")
    _unique_name(Pathway, organisation.id, name, pathway.id if pathway else None)
    pathway = pathway or Pathway(organisation_id=organisation.id)
    pathway.name, pathway.description = name, _text(data.get("description"))
    db.session.add(pathway)
    db.session.flush()
    audit.record("pathway.save", actor_id=actor.id, subject_type="pathway", subject_id=pathway.id)
    return pathway


def save_step(pathway: Pathway, data: dict[str, Any], actor: User, step: PathwayStep | None = None) -> PathwayStep:
    """Add or change a step. Everything is checked before anything changes."""
    kind = StepKind(data.get("kind") or "")
    course, certificate_type = None, None
    if kind is StepKind.EXTERNAL_CERTIFICATE:
        certificate_type = db.session.get(CertificateType, int(data.get("certificate_type_id") or 0))
        if certificate_type is None:
            raise ServiceError(_("Choose the certificate."), field="certificate_type_id")
    else:
        course = db.session.get(Course, int(data.get("course_id") or 0))
        if course is None or course.organisation_id != pathway.organisation_id:
            raise ServiceError(_("Choose the course."), field="course_id")
        if kind is StepKind.PLACEMENT and course.kind is not CourseKind.WORK_PLACEMENT:
            raise ServiceError(_("A placement step needs a work placement course."), field="course_id")
    min_levels = check_step_levels(course.esol_level if course else None, data.get("min_esol_levels") or {})
    min_age, max_age = data.get("min_age"), data.get("max_age")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise ServiceError(_("The minimum age cannot be above the maximum age."), field="min_age")
    rule = _rule_for(pathway, data.get("eligibility_rule_id"))

    by_id = {s.id: s for s in pathway.steps}
    prerequisite_ids = {int(i) for i in data.get("prerequisite_ids") or []}
    if step is not None and step.id in prerequisite_ids:
        raise ServiceError(
            _("These prerequisites would make a loop: a step cannot depend on itself."), field="prerequisites"
        )
    if not prerequisite_ids <= set(by_id):
        raise ServiceError(_("Prerequisites must be steps of this pathway."), field="prerequisites")
    edges = {s.id: {p.id for p in s.prerequisites} for s in pathway.steps}
    edges[step.id if step else 0] = prerequisite_ids
    check_prerequisites_acyclic(edges)

    if step is None:
        position = max((s.position for s in pathway.steps), default=0) + 1
        step = PathwayStep(position=position)
        pathway.steps.append(step)
    step.kind, step.course, step.certificate_type = kind, course, certificate_type
    step.is_required = bool(data.get("is_required", True))
    step.prerequisites_any = bool(data.get("prerequisites_any"))
    step.min_esol_levels, step.min_age, step.max_age = min_levels, min_age, max_age
    step.eligibility_rule = rule
    step.prerequisites = [by_id[i] for i in sorted(prerequisite_ids, key=lambda i: by_id[i].position)]
    db.session.flush()
    audit.record("pathway.step.save", actor_id=actor.id, subject_type="pathway", subject_id=pathway.id)
    return step


def _rule_for(pathway: Pathway, rule_id: Any) -> EligibilityRule | None:
    if not rule_id:
        return None
    rule = db.session.get(EligibilityRule, int(rule_id))
    if rule is None or rule.organisation_id != pathway.organisation_id:
        raise ServiceError(_("Choose from the list."), field="eligibility_rule_id")
    return rule


def remove_step(step: PathwayStep, actor: User) -> None:
    pathway = step.pathway
    dependants = [s.title for s in pathway.steps if step in s.prerequisites]
    if dependants:
        raise ServiceError(
            _(
                "Other steps need this one first: %(steps)s. Change them before removing it.",
                steps=", ".join(dependants),
            )
        )
    pathway.steps.remove(step)
    db.session.flush()
    audit.record("pathway.step.remove", actor_id=actor.id, subject_type="pathway", subject_id=pathway.id)


def move_step(step: PathwayStep, direction: int) -> None:
    """Swap a step with its neighbour (direction -1 up, +1 down). Order is for display only."""
    steps = step.pathway.steps
    index = steps.index(step)
    other_index = index + direction
    if not 0 <= other_index < len(steps):
        return
    other = steps[other_index]
    # Swap through a free number so the unique (pathway, position) constraint never sees a duplicate.
    first, second = step.position, other.position
    step.position = -1
    db.session.flush()
    other.position = first
    db.session.flush()
    step.position = second
    db.session.flush()
    db.session.expire(step.pathway, ["steps"])


def join_pathway(learner: Learner, pathway: Pathway, joined: date, actor: User) -> PathwayMembership:
    if learner.organisation_id != pathway.organisation_id:
        raise ServiceError(_("Choose the learner from your organisation."), field="learner_id")
    exists = db.session.scalar(
        sa.select(PathwayMembership).where(
            PathwayMembership.pathway_id == pathway.id, PathwayMembership.learner_id == learner.id
        )
    )
    if exists is not None:
        raise ServiceError(_("This learner is already on the pathway."), field="learner_id")
    membership = PathwayMembership(pathway_id=pathway.id, learner_id=learner.id, joined_date=joined)
    db.session.add(membership)
    db.session.flush()
    audit.record(
        "pathway.join",
        actor_id=actor.id,
        subject_type="learner",
        subject_id=learner.id,
        pathway_id=pathway.id,
    )
    return membership
