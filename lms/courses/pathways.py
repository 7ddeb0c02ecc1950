"""Where a learner stands on a pathway, and checks that keep pathways sound. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from graphlib import CycleError, TopologicalSorter

from lms.core.enums import TitledEnum
from lms.core.errors import ServiceError
from lms.core.esol import EsolLevel, EsolSkill
from lms.core.i18n import _, _l
from lms.courses import rules
from lms.courses.models import EligibilityRule, PathwayStep, StepKind
from lms.courses.rules import LearnerFacts, Reason


class StepStatus(TitledEnum):
    COMPLETED = "completed"
    IN_PROGRESS = "in_progress"
    READY = "ready"
    NOT_READY = "not_ready"

    @classmethod
    def _titles(cls) -> dict:
        return {
            StepStatus.COMPLETED: _l("Completed"),
            StepStatus.IN_PROGRESS: _l("In progress"),
            StepStatus.READY: _l("Ready to start"),
            StepStatus.NOT_READY: _l("Not ready yet"),
        }


@dataclass
class StepProgress:
    step: PathwayStep
    status: StepStatus
    #: Why the learner is or is not ready (empty for completed steps).
    reasons: list[Reason] = field(default_factory=list)

    @property
    def unmet(self) -> list[Reason]:
        return [reason for reason in self.reasons if not reason.passed]


def check_prerequisites_acyclic(edges: dict[int, set[int]]) -> None:
    """`edges` maps a step to the steps it requires. Raise a translated error on a cycle."""
    try:
        tuple(TopologicalSorter(edges).static_order())
    except CycleError:
        raise ServiceError(
            _("These prerequisites would make a loop: a step cannot depend on itself."), field="prerequisites"
        )


def check_step_levels(step_course_level: EsolLevel | None, min_levels: dict[str, str]) -> dict[str, str]:
    """Validate a step's minimum ESOL levels; a step cannot ask for more than its course teaches."""
    parsed: dict[str, str] = {}
    for skill, level in min_levels.items():
        if not level:
            continue
        try:
            skill_value, level_value = EsolSkill(skill), EsolLevel(level)
        except ValueError:
            raise ServiceError(_("Choose ESOL levels and skills from the lists."), field="min_esol_levels")
        if step_course_level is not None and level_value > step_course_level:
            raise ServiceError(
                _(
                    "%(skill)s: a step for a %(course_level)s course cannot require %(level)s to start.",
                    skill=skill_value.title,
                    course_level=step_course_level.title,
                    level=level_value.title,
                ),
                field="min_esol_levels",
            )
        parsed[skill_value.value] = level_value.value
    return parsed


def _is_completed(step: PathwayStep, facts: LearnerFacts, on: date) -> bool:
    if step.kind is StepKind.EXTERNAL_CERTIFICATE:
        return step.certificate_type_id is not None and facts.holds_certificate(step.certificate_type_id, on)
    completed_on = facts.completed_courses.get(step.course_id) if step.course_id is not None else None
    return completed_on is not None and completed_on <= on


def step_requirements(
    step: PathwayStep,
    facts: LearnerFacts,
    on: date,
    completed_step_ids: set[int],
    rules_by_id: dict[int, EligibilityRule],
) -> list[Reason]:
    """Every entry requirement of a step as a reason, met or not."""
    reasons: list[Reason] = []
    if step.prerequisites:
        done = [prerequisite for prerequisite in step.prerequisites if prerequisite.id in completed_step_ids]
        needed = 1 if step.prerequisites_any else len(step.prerequisites)
        missing = [
            prerequisite.title for prerequisite in step.prerequisites if prerequisite.id not in completed_step_ids
        ]
        reasons.append(
            Reason(
                "step.prerequisites_met" if len(done) >= needed else "step.prerequisites_missing",
                len(done) >= needed,
                {"missing": missing, "any": step.prerequisites_any},
            )
        )
    if step.min_esol_levels:
        bounds: dict[EsolSkill, tuple[EsolLevel | None, EsolLevel | None]] = {
            EsolSkill(skill): (EsolLevel(level), None) for skill, level in step.min_esol_levels.items()
        }
        reasons.extend(rules.check_esol(bounds, facts, on))
    if step.min_age is not None or step.max_age is not None:
        reasons.append(rules.check_age(step.min_age, step.max_age, facts, on))
    if step.eligibility_rule_id is not None:
        rule = rules_by_id[step.eligibility_rule_id]
        reasons.extend(rules.evaluate(rule.conditions, facts, on).reasons)
    return reasons


def pathway_progress(
    steps: list[PathwayStep], facts: LearnerFacts, on: date, rules_by_id: dict[int, EligibilityRule]
) -> list[StepProgress]:
    """The learner's status on each step, in pathway order."""
    completed = {step.id for step in steps if _is_completed(step, facts, on)}
    progress = []
    for step in steps:
        if step.id in completed:
            progress.append(StepProgress(step, StepStatus.COMPLETED))
            continue
        reasons = step_requirements(step, facts, on, completed, rules_by_id)
        if step.kind is not StepKind.EXTERNAL_CERTIFICATE and step.course_id in facts.current_courses:
            status = StepStatus.IN_PROGRESS
        else:
            status = StepStatus.READY if all(reason.passed for reason in reasons) else StepStatus.NOT_READY
        progress.append(StepProgress(step, status, reasons))
    return progress


def explain(reason: Reason) -> str:
    if reason.code == "step.prerequisites_met":
        return _("Earlier steps completed.")
    if reason.code == "step.prerequisites_missing":
        names = ", ".join(reason.params["missing"])
        if reason.params.get("any"):
            return _("Complete one of: %(steps)s.", steps=names)
        return _("Complete first: %(steps)s.", steps=names)
    return rules.explain(reason)
