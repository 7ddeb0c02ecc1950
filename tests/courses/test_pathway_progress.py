"""Where a learner stands on a pathway, and the checks that keep pathways sound.

Steps are built in memory: `pathway_progress` and the checks are pure and need no database.
"""

from __future__ import annotations

from datetime import date

import pytest

from lms.core.errors import ServiceError
from lms.core.esol import EsolLevel, EsolSkill
from lms.courses import pathways
from lms.courses.models import CertificateKind, CertificateType, Course, EligibilityRule, PathwayStep, StepKind
from lms.courses.pathways import (
    StepProgress,
    StepStatus,
    check_prerequisites_acyclic,
    check_step_levels,
    pathway_progress,
)
from lms.courses.rules import EsolResult, HeldCertificate, LearnerFacts, Reason, StatusPeriod
from lms.people.models import ImmigrationStatus

ON = date(2026, 6, 1)


def make_step(
    step_id: int,
    title: str,
    *,
    requires: list[PathwayStep] | None = None,
    any_of: bool = False,
    kind: StepKind = StepKind.COURSE,
    esol_level: EsolLevel | None = None,
    **overrides,  # noqa: ANN003
) -> PathwayStep:
    """A step for course id `step_id + 100`, named `title`."""
    fields = {
        "id": step_id,
        "position": step_id,
        "kind": kind,
        "course_id": step_id + 100,
        "certificate_type_id": None,
        "course": Course(id=step_id + 100, title=title, esol_level=esol_level),
        "prerequisites": list(requires or []),
        "prerequisites_any": any_of,
        "min_esol_levels": {},
        "min_age": None,
        "max_age": None,
        "eligibility_rule_id": None,
        **overrides,
    }
    return PathwayStep(**fields)


def certificate_step(step_id: int, name: str, certificate_type_id: int, **overrides) -> PathwayStep:  # noqa: ANN003
    return make_step(
        step_id,
        name,
        kind=StepKind.EXTERNAL_CERTIFICATE,
        course_id=None,
        course=None,
        certificate_type_id=certificate_type_id,
        certificate_type=CertificateType(id=certificate_type_id, name=name, kind=CertificateKind.EXTERNAL),
        **overrides,
    )


def esol_pathway() -> list[PathwayStep]:
    """E1 -> E2 -> E3, then Level 1 ESOL or Hospitality, joining again at a placement."""
    e1 = make_step(1, "ESOL Entry 1", esol_level=EsolLevel.ENTRY_1)
    e2 = make_step(2, "ESOL Entry 2", requires=[e1], esol_level=EsolLevel.ENTRY_2)
    e3 = make_step(3, "ESOL Entry 3", requires=[e2], esol_level=EsolLevel.ENTRY_3)
    level_1 = make_step(4, "Level 1 ESOL", requires=[e3], esol_level=EsolLevel.LEVEL_1)
    hospitality = make_step(5, "Hospitality", requires=[e3])
    placement = make_step(6, "Kitchen placement", requires=[level_1, hospitality], any_of=True, kind=StepKind.PLACEMENT)
    return [e1, e2, e3, level_1, hospitality, placement]


def learner(**overrides) -> LearnerFacts:  # noqa: ANN003
    return LearnerFacts(learner_id=1, **overrides)


def completed(*step_ids: int) -> dict[int, date]:
    """Completions of the courses of the given steps, all well before ON."""
    return {step_id + 100: date(2026, 1, step_id) for step_id in step_ids}


def statuses(progress: list[StepProgress]) -> dict[str, StepStatus]:
    return {item.step.title: item.status for item in progress}


def by_title(progress: list[StepProgress], title: str) -> StepProgress:
    return next(item for item in progress if item.step.title == title)


# --- a linear pathway ----------------------------------------------------------------------------


def test_with_nothing_completed_only_the_first_step_is_ready():
    progress = pathway_progress(esol_pathway(), learner(), ON, {})

    assert [item.step.id for item in progress] == [1, 2, 3, 4, 5, 6]
    assert statuses(progress) == {
        "ESOL Entry 1": StepStatus.READY,
        "ESOL Entry 2": StepStatus.NOT_READY,
        "ESOL Entry 3": StepStatus.NOT_READY,
        "Level 1 ESOL": StepStatus.NOT_READY,
        "Hospitality": StepStatus.NOT_READY,
        "Kitchen placement": StepStatus.NOT_READY,
    }
    assert by_title(progress, "ESOL Entry 1").reasons == []
    e2 = by_title(progress, "ESOL Entry 2")
    assert e2.reasons == [Reason("step.prerequisites_missing", False, {"missing": ["ESOL Entry 1"], "any": False})]
    assert e2.unmet == e2.reasons
    assert by_title(progress, "ESOL Entry 3").reasons[0].params["missing"] == ["ESOL Entry 2"]


def test_completing_entry_1_makes_entry_2_ready():
    progress = pathway_progress(esol_pathway(), learner(completed_courses=completed(1)), ON, {})

    e1, e2, e3 = progress[:3]
    assert e1.status is StepStatus.COMPLETED
    assert e1.reasons == []
    assert e2.status is StepStatus.READY
    assert e2.reasons == [Reason("step.prerequisites_met", True, {"missing": [], "any": False})]
    assert e2.unmet == []
    assert e3.status is StepStatus.NOT_READY
    assert e3.unmet[0].params["missing"] == ["ESOL Entry 2"]


def test_completions_of_courses_outside_the_pathway_change_nothing():
    progress = pathway_progress(esol_pathway(), learner(completed_courses={999: date(2026, 1, 1)}), ON, {})

    assert [item.status for item in progress][:2] == [StepStatus.READY, StepStatus.NOT_READY]


def test_a_course_completed_after_the_date_is_not_completed_on_that_date():
    # Completion dates are facts like any other: progress on 1 June cannot count a completion of 1 July.
    facts = learner(completed_courses={101: date(2026, 7, 1)})

    before = pathway_progress(esol_pathway(), facts, ON, {})
    after = pathway_progress(esol_pathway(), facts, date(2026, 7, 1), {})

    assert before[0].status is StepStatus.READY
    assert before[1].status is StepStatus.NOT_READY
    assert after[0].status is StepStatus.COMPLETED
    assert after[1].status is StepStatus.READY


def test_a_step_needing_several_earlier_steps_waits_for_all_of_them():
    a = make_step(1, "Food hygiene")
    b = make_step(2, "Customer service")
    c = make_step(3, "Barista", requires=[a, b])

    partly = pathway_progress([a, b, c], learner(completed_courses=completed(1)), ON, {})
    fully = pathway_progress([a, b, c], learner(completed_courses=completed(1, 2)), ON, {})

    assert partly[2].status is StepStatus.NOT_READY
    assert partly[2].reasons[0].params == {"missing": ["Customer service"], "any": False}
    assert fully[2].status is StepStatus.READY


# --- branching -----------------------------------------------------------------------------------


def test_both_branches_open_once_entry_3_is_completed():
    before = statuses(pathway_progress(esol_pathway(), learner(completed_courses=completed(1, 2)), ON, {}))
    after = statuses(pathway_progress(esol_pathway(), learner(completed_courses=completed(1, 2, 3)), ON, {}))

    assert before["Level 1 ESOL"] is StepStatus.NOT_READY
    assert before["Hospitality"] is StepStatus.NOT_READY
    assert after["ESOL Entry 3"] is StepStatus.COMPLETED
    assert after["Level 1 ESOL"] is StepStatus.READY
    assert after["Hospitality"] is StepStatus.READY
    assert after["Kitchen placement"] is StepStatus.NOT_READY


@pytest.mark.parametrize("branch", [4, 5])
def test_a_placement_needing_any_one_branch_is_ready_when_either_is_completed(branch):
    progress = pathway_progress(esol_pathway(), learner(completed_courses=completed(1, 2, 3, branch)), ON, {})

    placement = by_title(progress, "Kitchen placement")
    assert placement.status is StepStatus.READY
    assert placement.reasons[0].code == "step.prerequisites_met"
    assert placement.reasons[0].params["any"] is True


def test_a_placement_needing_any_one_branch_is_not_ready_when_neither_is_completed():
    progress = pathway_progress(esol_pathway(), learner(completed_courses=completed(1, 2, 3)), ON, {})

    placement = by_title(progress, "Kitchen placement")
    assert placement.status is StepStatus.NOT_READY
    assert placement.reasons == [
        Reason("step.prerequisites_missing", False, {"missing": ["Level 1 ESOL", "Hospitality"], "any": True})
    ]


# --- entry requirements --------------------------------------------------------------------------


def speaking_at(level: EsolLevel, assessed: date = date(2026, 1, 1)) -> LearnerFacts:
    return learner(esol_results=[EsolResult(EsolSkill.SPEAKING, level, assessed)])


@pytest.mark.parametrize(
    ("level", "status", "code"),
    [
        (EsolLevel.PRE_ENTRY, StepStatus.NOT_READY, "esol.below"),
        (EsolLevel.ENTRY_1, StepStatus.NOT_READY, "esol.below"),
        (EsolLevel.ENTRY_2, StepStatus.READY, "esol.ok"),
        (EsolLevel.LEVEL_1, StepStatus.READY, "esol.ok"),
    ],
)
def test_a_step_with_a_minimum_speaking_level_checks_the_assessed_level(level, status, code):
    step = make_step(1, "Conversation club", min_esol_levels={"speaking": "e2"})

    (progress,) = pathway_progress([step], speaking_at(level), ON, {})

    assert progress.status is status
    assert [reason.code for reason in progress.reasons] == [code]
    assert progress.reasons[0].params["min"] == "e2"


def test_a_step_with_a_minimum_level_is_not_ready_without_an_assessment():
    step = make_step(1, "Conversation club", min_esol_levels={"speaking": "e2"})
    later = speaking_at(EsolLevel.ENTRY_3, assessed=date(2026, 7, 1))

    (progress,) = pathway_progress([step], later, ON, {})

    assert progress.status is StepStatus.NOT_READY
    assert [reason.code for reason in progress.reasons] == ["esol.unknown"]


@pytest.mark.parametrize(
    ("date_of_birth", "status", "code"),
    [
        (date(2008, 6, 2), StepStatus.NOT_READY, "age.too_young"),  # 18 tomorrow
        (date(2008, 6, 1), StepStatus.READY, "age.ok"),  # 18 today
        (date(2000, 6, 2), StepStatus.READY, "age.ok"),  # 25, 26 tomorrow
        (date(2000, 6, 1), StepStatus.NOT_READY, "age.too_old"),  # 26 today
        (None, StepStatus.NOT_READY, "age.unknown"),
    ],
)
def test_a_youth_programme_step_checks_the_age_band_on_the_date(date_of_birth, status, code):
    step = make_step(1, "Youth employability", min_age=18, max_age=25)

    (progress,) = pathway_progress([step], learner(date_of_birth=date_of_birth), ON, {})

    assert progress.status is status
    assert [reason.code for reason in progress.reasons] == [code]


def test_every_unmet_requirement_of_a_step_is_reported():
    first = make_step(1, "ESOL Entry 1")
    step = make_step(2, "Youth ESOL", requires=[first], min_esol_levels={"speaking": "e2"}, min_age=18, max_age=25)
    facts = learner(
        date_of_birth=date(1990, 1, 1), esol_results=[EsolResult(EsolSkill.SPEAKING, EsolLevel.ENTRY_1, ON)]
    )

    progress = pathway_progress([first, step], facts, ON, {})[1]

    assert progress.status is StepStatus.NOT_READY
    assert [reason.code for reason in progress.unmet] == [
        "step.prerequisites_missing",
        "esol.below",
        "age.too_old",
    ]


# --- external certificates and courses in progress ----------------------------------------------


def test_an_external_certificate_step_is_completed_only_while_the_certificate_is_valid():
    food_hygiene = certificate_step(1, "Food Hygiene Level 2", certificate_type_id=7)
    kitchen = make_step(2, "Kitchen skills", requires=[food_hygiene])
    facts = learner(certificates=[HeldCertificate(7, date(2023, 4, 1), date(2026, 3, 31))])

    valid = pathway_progress([food_hygiene, kitchen], facts, date(2026, 3, 31), {})
    expired = pathway_progress([food_hygiene, kitchen], facts, date(2026, 4, 1), {})
    not_yet = pathway_progress([food_hygiene, kitchen], facts, date(2023, 3, 31), {})

    assert [item.status for item in valid] == [StepStatus.COMPLETED, StepStatus.READY]
    assert [item.status for item in expired] == [StepStatus.READY, StepStatus.NOT_READY]
    assert expired[1].reasons[0].params["missing"] == ["Food Hygiene Level 2"]
    assert [item.status for item in not_yet] == [StepStatus.READY, StepStatus.NOT_READY]


def test_a_certificate_of_another_type_does_not_complete_the_step():
    step = certificate_step(1, "CSCS card", certificate_type_id=8)
    facts = learner(certificates=[HeldCertificate(7, date(2025, 1, 1), None)])

    (progress,) = pathway_progress([step], facts, ON, {})

    assert progress.status is StepStatus.READY


def test_a_certificate_that_does_not_expire_keeps_the_step_completed():
    step = certificate_step(1, "Level 2 Maths", certificate_type_id=9)
    facts = learner(certificates=[HeldCertificate(9, date(2015, 1, 1), None)])

    (progress,) = pathway_progress([step], facts, date(2040, 1, 1), {})

    assert progress.status is StepStatus.COMPLETED


def test_a_step_whose_course_the_learner_is_on_now_is_in_progress():
    steps = esol_pathway()
    facts = learner(completed_courses=completed(1), current_courses={102})

    progress = pathway_progress(steps, facts, ON, {})

    assert progress[0].status is StepStatus.COMPLETED
    assert progress[1].status is StepStatus.IN_PROGRESS
    assert progress[2].status is StepStatus.NOT_READY


def test_a_completed_course_is_completed_even_if_still_listed_as_current():
    facts = learner(completed_courses=completed(1), current_courses={101})

    progress = pathway_progress(esol_pathway(), facts, ON, {})

    assert progress[0].status is StepStatus.COMPLETED


# --- eligibility rules on steps ------------------------------------------------------------------


def test_an_eligibility_rule_attached_to_a_step_is_applied():
    rule = EligibilityRule(
        id=42,
        name="Adult Skills Fund ESOL",
        conditions={
            "immigration": [
                {"statuses": ["humanitarian_protection", "refugee", "resettlement"], "min_months": 0},
                {"statuses": ["asylum_seeker"], "min_months": 6},
            ]
        },
    )
    step = make_step(1, "ESOL Entry 1", eligibility_rule_id=42)
    claim = learner(immigration=[StatusPeriod(ImmigrationStatus.ASYLUM_SEEKER, date(2026, 1, 15), None)])

    waiting = pathway_progress([step], claim, date(2026, 7, 14), {42: rule})[0]
    eligible = pathway_progress([step], claim, date(2026, 7, 15), {42: rule})[0]

    assert waiting.status is StepStatus.NOT_READY
    assert [reason.code for reason in waiting.reasons] == ["immigration.too_recent"]
    assert waiting.reasons[0].params["eligible_from"] == "2026-07-15"
    assert eligible.status is StepStatus.READY
    assert [reason.code for reason in eligible.reasons] == ["immigration.ok"]


def test_a_rule_is_checked_alongside_the_other_requirements():
    rule = EligibilityRule(id=3, name="Refugee Council referrals", conditions={"referral_sources": ["Refugee Council"]})
    step = make_step(1, "Hospitality", min_age=19, eligibility_rule_id=3)
    facts = learner(date_of_birth=date(1990, 1, 1), referral_source="Jobcentre Plus")

    (progress,) = pathway_progress([step], facts, ON, {3: rule})

    assert progress.status is StepStatus.NOT_READY
    assert [(reason.code, reason.passed) for reason in progress.reasons] == [
        ("age.ok", True),
        ("referral.not_accepted", False),
    ]


# --- keeping pathways sound ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "edges",
    [
        {1: {2}, 2: {1}},
        {1: {1}},
        {1: set(), 2: {1, 4}, 3: {2}, 4: {3}},
    ],
)
def test_prerequisites_that_loop_are_rejected(edges):
    with pytest.raises(ServiceError) as raised:
        check_prerequisites_acyclic(edges)

    assert "loop" in raised.value.message
    assert raised.value.field == "prerequisites"


@pytest.mark.parametrize(
    "edges",
    [
        {},
        {1: set(), 2: {1}, 3: {2}},
        {1: set(), 2: {1}, 3: {2}, 4: {3}, 5: {3}, 6: {4, 5}},
    ],
)
def test_prerequisites_without_a_loop_are_accepted(edges):
    assert check_prerequisites_acyclic(edges) is None


def test_a_step_cannot_require_a_higher_level_than_its_course_teaches():
    with pytest.raises(ServiceError) as raised:
        check_step_levels(EsolLevel.ENTRY_2, {"speaking": "e3"})

    assert raised.value.field == "min_esol_levels"
    assert "Speaking" in raised.value.message
    assert "Entry 2" in raised.value.message
    assert "Entry 3" in raised.value.message


def test_step_levels_at_or_below_the_course_level_are_normalised():
    assert check_step_levels(EsolLevel.ENTRY_2, {"speaking": "e1", "listening": "e2", "reading": ""}) == {
        "speaking": "e1",
        "listening": "e2",
    }
    # Pre-entry sorts after "e2" as text but is below it on the scale.
    assert check_step_levels(EsolLevel.ENTRY_2, {"writing": "pre_entry"}) == {"writing": "pre_entry"}


def test_a_step_on_a_course_without_a_level_may_require_any_level():
    assert check_step_levels(None, {"speaking": "l2"}) == {"speaking": "l2"}


@pytest.mark.parametrize("min_levels", [{"singing": "e1"}, {"speaking": "e9"}, {"Speaking": "e1"}])
def test_unknown_skills_and_levels_are_rejected(min_levels):
    with pytest.raises(ServiceError) as raised:
        check_step_levels(EsolLevel.ENTRY_3, min_levels)

    assert "Choose ESOL levels and skills from the lists" in raised.value.message
    assert raised.value.field == "min_esol_levels"


# --- explaining ----------------------------------------------------------------------------------


def test_missing_prerequisites_are_explained_with_the_step_names(app):
    progress = pathway_progress(esol_pathway(), learner(completed_courses=completed(1, 2, 3)), ON, {})
    placement = by_title(progress, "Kitchen placement")

    with app.test_request_context():
        any_of = pathways.explain(placement.reasons[0])
        all_of = pathways.explain(
            Reason("step.prerequisites_missing", False, {"missing": ["ESOL Entry 1"], "any": False})
        )
        met = pathways.explain(Reason("step.prerequisites_met", True, {"missing": [], "any": False}))

    assert any_of == "Complete one of: Level 1 ESOL, Hospitality."
    assert all_of == "Complete first: ESOL Entry 1."
    assert met == "Earlier steps completed."


def test_other_reasons_are_explained_by_the_rules(app):
    reason = Reason("esol.below", False, {"skill": "speaking", "level": "e1", "min": "e2", "max": None})

    with app.test_request_context():
        text = pathways.explain(reason)
        title = StepStatus.NOT_READY.title

    assert text == "Speaking at Entry 1: Entry 2 or above is needed."
    assert title == "Not ready yet"
