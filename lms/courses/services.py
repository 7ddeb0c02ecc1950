"""Writes for the curriculum: programmes, courses, rules and pathways. Validate, change, flush, audit."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from lms.core import audit
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.courses import rules
from lms.courses.inputs import CourseInput, PathwayInput, ProgrammeInput, RuleInput, StepInput
from lms.courses.models import (
    CertificateType,
    Course,
    CourseKind,
    CourseTranslation,
    EligibilityCheck,
    EligibilityRule,
    Pathway,
    PathwayMembership,
    PathwayStep,
    Programme,
    ProgrammeTarget,
    ReportingPeriod,
    ReportingScheme,
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


def _values(members: Sequence[enum.Enum]) -> list[str]:
    """Enum members as stored: their values, each once, sorted."""
    return sorted({member.value for member in members})


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
    organisation: Organisation, data: RuleInput, actor: User, rule: EligibilityRule | None = None
) -> EligibilityRule:
    if not data.name:
        raise ServiceError(_("Give the rule a name."), field="name")
    _unique_name(EligibilityRule, organisation.id, data.name, rule.id if rule else None)
    conditions = rules.parse_conditions(data.conditions or {})
    rule = rule or EligibilityRule(organisation_id=organisation.id)
    rule.name, rule.description, rule.conditions = data.name, data.description, conditions
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


def _check_grant_dates(start: date | None, end: date | None) -> tuple[date, date]:
    """The grant's dates, both given and in a plausible order."""
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
    return start, end


def _check_targets(targets: dict[TargetMeasure, int]) -> None:
    if any(value < 0 for value in targets.values()):
        raise ServiceError(_("Targets are whole numbers, zero or more."), field="targets")


def _distinct(items: list[str]) -> list[str]:
    """Non-empty items, each once, in the order given."""
    return [item for item in dict.fromkeys(items) if item]


def _set_targets(programme: Programme, targets: dict[TargetMeasure, int]) -> None:
    existing = {target.measure: target for target in programme.targets}
    programme.targets = [
        existing.get(measure) or ProgrammeTarget(measure=measure, value=value) for measure, value in targets.items()
    ]
    for target in programme.targets:
        target.value = targets[target.measure]


def save_programme(
    organisation: Organisation, data: ProgrammeInput, actor: User, programme: Programme | None = None
) -> Programme:
    if not data.name:
        raise ServiceError(_("Give the programme a name."), field="name")
    _unique_name(Programme, organisation.id, data.name, programme.id if programme else None)
    scheme = data.reporting_scheme
    start, end = _check_grant_dates(data.start_date, data.end_date)
    funder = _organisation(data.funder_id, "funder_id")
    partners = [_organisation(partner_id, "partner_ids") for partner_id in data.partner_ids]
    rule = _rule(organisation, data.eligibility_rule_id)
    _check_targets(data.targets)

    programme = programme or Programme(organisation_id=organisation.id)
    scheme_or_dates_changed = (programme.reporting_scheme, programme.start_date, programme.end_date) != (
        scheme,
        start,
        end,
    )
    programme.name, programme.start_date, programme.end_date = data.name, start, end
    programme.reporting_scheme = scheme
    programme.description = data.description
    programme.strands = _distinct(data.strands)
    programme.allowed_referral_sources = _distinct(data.allowed_referral_sources)
    programme.funder = funder
    programme.partners = [p for p in partners if p is not None]
    programme.eligibility_rule = rule
    programme.retention_months = data.retention_months or None
    _set_targets(programme, data.targets)
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


def _organisation(organisation_id: int | None, field: str) -> Organisation | None:
    if not organisation_id:
        return None
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise ServiceError(_("Choose from the list."), field=field)
    return organisation


def _rule(organisation: Organisation, rule_id: int | None) -> EligibilityRule | None:
    if not rule_id:
        return None
    rule = db.session.get(EligibilityRule, rule_id)
    if rule is None or rule.organisation_id != organisation.id:
        raise ServiceError(_("Choose from the list."), field="eligibility_rule_id")
    return rule


# --- courses -------------------------------------------------------------------------------------


def _check_course_code(organisation: Organisation, data: CourseInput, course: Course | None) -> str:
    code = data.code.upper()
    if not code:
        raise ServiceError(_("Give the course a short code, such as ESOL-E2."), field="code")
    query = sa.select(Course.id).where(Course.organisation_id == organisation.id, Course.code == code)
    if course is not None:
        query = query.where(Course.id != course.id)
    if db.session.scalar(query):
        raise ServiceError(_("Another course already has this code."), field="code")
    return code


def _check_course_kind(data: CourseInput) -> None:
    if data.kind is CourseKind.SECTOR_SKILLS and data.sector is None:
        raise ServiceError(_("Choose the sector for an English and Skills course."), field="sector")
    if data.kind is CourseKind.ESOL_FORMAL and data.esol_level is None:
        raise ServiceError(_("Choose the ESOL level of an accredited ESOL course."), field="esol_level")
    if data.is_accredited and not data.qualification_id:
        raise ServiceError(_("Choose the qualification an accredited course leads to."), field="qualification_id")


def _check_course_amounts(data: CourseInput) -> None:
    percent, hours, weeks = data.min_attendance_percent, data.guided_hours, data.duration_weeks
    if percent is not None and not 0 <= percent <= 100:
        raise ServiceError(_("Attendance must be a percentage from 0 to 100."), field="min_attendance_percent")
    if hours is not None and hours < 0:
        raise ServiceError(_("Guided hours cannot be negative."), field="guided_hours")
    if weeks is not None and weeks <= 0:
        raise ServiceError(_("The duration must be at least one week."), field="duration_weeks")


def _certificate_types(type_ids: list[int]) -> list[CertificateType]:
    found = [db.session.get(CertificateType, type_id) for type_id in type_ids]
    certificate_types = [certificate_type for certificate_type in found if certificate_type is not None]
    if len(certificate_types) != len(found):
        raise ServiceError(_("Choose from the list."), field="certificate_type_ids")
    return certificate_types


def save_course(organisation: Organisation, data: CourseInput, actor: User, course: Course | None = None) -> Course:
    if not data.title:
        raise ServiceError(_("Give the course a title."), field="title")
    code = _check_course_code(organisation, data, course)
    _check_course_kind(data)
    _check_course_amounts(data)
    certificate_types = _certificate_types(data.certificate_type_ids)

    course = course or Course(organisation_id=organisation.id)
    course.title, course.code, course.kind, course.sector, course.esol_level = (
        data.title,
        code,
        data.kind,
        data.sector,
        data.esol_level,
    )
    course.esol_skills = _values(data.esol_skills)
    course.is_accredited = data.is_accredited
    course.qualification_id = data.qualification_id if data.is_accredited else None
    course.summary, course.aims = data.summary, data.aims
    course.learning_outcomes = data.learning_outcomes
    course.duration_weeks, course.guided_hours = data.duration_weeks, data.guided_hours
    course.delivery_modes = _values(data.delivery_modes)
    course.delivery_settings = _values(data.delivery_settings)
    course.integration_domains = _values(data.integration_domains)
    course.min_attendance_percent = data.min_attendance_percent
    course.requires_signoff = data.requires_signoff
    course.requires_assessment_pass = data.requires_assessment_pass
    course.required_certificate_type_id = data.required_certificate_type_id
    course.required_dbs_level = data.required_dbs_level
    course.certificate_types = certificate_types
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
    organisation: Organisation, data: PathwayInput, actor: User, pathway: Pathway | None = None
) -> Pathway:
    if not data.name:
        raise ServiceError(_("Give the pathway a name."), field="name")
    _unique_name(Pathway, organisation.id, data.name, pathway.id if pathway else None)
    pathway = pathway or Pathway(organisation_id=organisation.id)
    pathway.name, pathway.description = data.name, data.description
    db.session.add(pathway)
    db.session.flush()
    audit.record("pathway.save", actor_id=actor.id, subject_type="pathway", subject_id=pathway.id)
    return pathway


def _step_target(pathway: Pathway, data: StepInput) -> tuple[Course | None, CertificateType | None]:
    """The course a step is for, or the external certificate it asks for."""
    if data.kind is StepKind.EXTERNAL_CERTIFICATE:
        certificate_type = db.session.get(CertificateType, data.certificate_type_id or 0)
        if certificate_type is None:
            raise ServiceError(_("Choose the certificate."), field="certificate_type_id")
        return None, certificate_type
    course = db.session.get(Course, data.course_id or 0)
    if course is None or course.organisation_id != pathway.organisation_id:
        raise ServiceError(_("Choose the course."), field="course_id")
    if data.kind is StepKind.PLACEMENT and course.kind is not CourseKind.WORK_PLACEMENT:
        raise ServiceError(_("A placement step needs a work placement course."), field="course_id")
    return course, None


def _check_prerequisites(pathway: Pathway, step: PathwayStep | None, prerequisite_ids: set[int]) -> None:
    if step is not None and step.id in prerequisite_ids:
        raise ServiceError(
            _("These prerequisites would make a loop: a step cannot depend on itself."), field="prerequisites"
        )
    if not prerequisite_ids <= {s.id for s in pathway.steps}:
        raise ServiceError(_("Prerequisites must be steps of this pathway."), field="prerequisites")
    edges = {s.id: {p.id for p in s.prerequisites} for s in pathway.steps}
    edges[step.id if step else 0] = prerequisite_ids
    check_prerequisites_acyclic(edges)


def save_step(pathway: Pathway, data: StepInput, actor: User, step: PathwayStep | None = None) -> PathwayStep:
    """Add or change a step. Everything is checked before anything changes."""
    course, certificate_type = _step_target(pathway, data)
    min_levels = check_step_levels(course.esol_level if course else None, data.min_esol_levels)
    if data.min_age is not None and data.max_age is not None and data.min_age > data.max_age:
        raise ServiceError(_("The minimum age cannot be above the maximum age."), field="min_age")
    rule = _rule_for(pathway, data.eligibility_rule_id)
    prerequisite_ids = set(data.prerequisite_ids)
    _check_prerequisites(pathway, step, prerequisite_ids)

    by_id = {s.id: s for s in pathway.steps}
    if step is None:
        position = max((s.position for s in pathway.steps), default=0) + 1
        step = PathwayStep(position=position)
        pathway.steps.append(step)
    step.kind, step.course, step.certificate_type = data.kind, course, certificate_type
    step.is_required = data.is_required
    step.prerequisites_any = data.prerequisites_any
    step.min_esol_levels, step.min_age, step.max_age = min_levels, data.min_age, data.max_age
    step.eligibility_rule = rule
    step.prerequisites = [by_id[i] for i in sorted(prerequisite_ids, key=lambda i: by_id[i].position)]
    db.session.flush()
    audit.record("pathway.step.save", actor_id=actor.id, subject_type="pathway", subject_id=pathway.id)
    return step


def _rule_for(pathway: Pathway, rule_id: int | None) -> EligibilityRule | None:
    if not rule_id:
        return None
    rule = db.session.get(EligibilityRule, rule_id)
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
