"""Eligibility rules as data: validating conditions, evaluating them on a date, and explaining the result."""

from __future__ import annotations

from datetime import date

import pytest

from lms.core.errors import ServiceError
from lms.core.esol import EsolLevel, EsolSkill
from lms.courses.rules import (
    EsolResult,
    Evaluation,
    LearnerFacts,
    Reason,
    StatusPeriod,
    evaluate,
    explain,
    parse_conditions,
)
from lms.people.models import ImmigrationStatus

#: The Adult Skills Fund ESOL rule: refugees and similar at once, asylum seekers after six months.
ASF_ESOL = {
    "immigration": [
        {"statuses": ["refugee", "humanitarian_protection", "resettlement"], "min_months": 0},
        {"statuses": ["asylum_seeker"], "min_months": 6},
    ]
}


def facts_with_status(*periods: tuple[ImmigrationStatus, date, date | None]) -> LearnerFacts:
    return LearnerFacts(learner_id=1, immigration=[StatusPeriod(*period) for period in periods])


def only_reason(evaluation: Evaluation) -> Reason:
    assert len(evaluation.reasons) == 1
    return evaluation.reasons[0]


# --- immigration ---------------------------------------------------------------------------------


def test_asylum_seeker_is_not_eligible_the_day_before_six_months():
    facts = facts_with_status((ImmigrationStatus.ASYLUM_SEEKER, date(2026, 1, 15), None))

    result = evaluate(ASF_ESOL, facts, date(2026, 7, 14))

    assert result.passed is False
    reason = only_reason(result)
    assert reason.code == "immigration.too_recent"
    assert reason.passed is False
    assert reason.params == {"status": "asylum_seeker", "since": "2026-01-15", "eligible_from": "2026-07-15"}


@pytest.mark.parametrize("on", [date(2026, 7, 15), date(2026, 7, 16), date(2027, 1, 1)])
def test_asylum_seeker_is_eligible_from_six_months_after_the_claim(on):
    facts = facts_with_status((ImmigrationStatus.ASYLUM_SEEKER, date(2026, 1, 15), None))

    result = evaluate(ASF_ESOL, facts, on)

    assert result.passed is True
    reason = only_reason(result)
    assert reason.code == "immigration.ok"
    assert reason.params == {"status": "asylum_seeker", "since": "2026-01-15", "months": 6}


def test_month_end_claim_becomes_eligible_on_the_last_day_of_the_shorter_month():
    facts = facts_with_status((ImmigrationStatus.ASYLUM_SEEKER, date(2025, 8, 31), None))

    before = evaluate(ASF_ESOL, facts, date(2026, 2, 27))
    on_the_day = evaluate(ASF_ESOL, facts, date(2026, 2, 28))

    assert before.passed is False
    assert only_reason(before).code == "immigration.too_recent"
    assert only_reason(before).params["eligible_from"] == "2026-02-28"
    assert on_the_day.passed is True
    assert only_reason(on_the_day).code == "immigration.ok"


@pytest.mark.parametrize(
    "status",
    [ImmigrationStatus.REFUGEE, ImmigrationStatus.HUMANITARIAN_PROTECTION, ImmigrationStatus.RESETTLEMENT],
)
def test_protected_statuses_are_eligible_from_the_first_day(status):
    facts = facts_with_status((status, date(2026, 3, 10), None))

    result = evaluate(ASF_ESOL, facts, date(2026, 3, 10))

    assert result.passed is True
    assert only_reason(result) == Reason(
        "immigration.ok", True, {"status": status.value, "since": "2026-03-10", "months": 0}
    )


def test_status_not_in_the_rule_is_not_accepted():
    facts = facts_with_status((ImmigrationStatus.CITIZEN, date(1990, 1, 1), None))

    result = evaluate(ASF_ESOL, facts, date(2026, 3, 10))

    assert result.passed is False
    assert only_reason(result) == Reason(
        "immigration.not_accepted", False, {"status": "citizen", "since": "1990-01-01"}
    )


def test_no_immigration_record_is_unknown():
    result = evaluate(ASF_ESOL, LearnerFacts(learner_id=1), date(2026, 3, 10))

    assert result.passed is False
    assert only_reason(result) == Reason("immigration.unknown", False)


def test_status_recorded_only_from_a_later_date_is_unknown_before_it():
    facts = facts_with_status((ImmigrationStatus.REFUGEE, date(2026, 6, 1), None))

    assert only_reason(evaluate(ASF_ESOL, facts, date(2026, 5, 31))).code == "immigration.unknown"
    assert only_reason(evaluate(ASF_ESOL, facts, date(2026, 6, 1))).code == "immigration.ok"


def test_the_status_in_force_on_the_date_is_used():
    # Listed newest first, so the choice cannot depend on the order of the list.
    facts = facts_with_status(
        (ImmigrationStatus.REFUGEE, date(2026, 3, 1), None),
        (ImmigrationStatus.ASYLUM_SEEKER, date(2025, 1, 1), None),
    )

    while_seeking = only_reason(evaluate(ASF_ESOL, facts, date(2026, 2, 1)))
    after_grant = only_reason(evaluate(ASF_ESOL, facts, date(2026, 4, 1)))

    assert while_seeking.params["status"] == "asylum_seeker"
    assert while_seeking.params["since"] == "2025-01-01"
    assert while_seeking.params["months"] == 6
    assert after_grant.params["status"] == "refugee"
    assert after_grant.params["since"] == "2026-03-01"
    assert after_grant.params["months"] == 0
    assert facts.status_on(date(2026, 2, 1)).status is ImmigrationStatus.ASYLUM_SEEKER
    assert facts.status_on(date(2026, 4, 1)).status is ImmigrationStatus.REFUGEE


def test_expired_leave_counts_as_no_status():
    facts = facts_with_status((ImmigrationStatus.HUMANITARIAN_PROTECTION, date(2021, 1, 1), date(2026, 1, 1)))

    last_day = evaluate(ASF_ESOL, facts, date(2026, 1, 1))
    day_after = evaluate(ASF_ESOL, facts, date(2026, 1, 2))

    assert last_day.passed is True
    assert day_after.passed is False
    assert only_reason(day_after).code == "immigration.unknown"
    assert facts.status_on(date(2026, 1, 2)) is None


def test_the_earliest_wait_is_reported_when_several_options_match():
    conditions = {
        "immigration": [
            {"statuses": ["asylum_seeker"], "min_months": 12},
            {"statuses": ["asylum_seeker", "refugee"], "min_months": 3},
        ]
    }
    facts = facts_with_status((ImmigrationStatus.ASYLUM_SEEKER, date(2026, 1, 15), None))

    waiting = only_reason(evaluate(conditions, facts, date(2026, 2, 1)))
    ready = only_reason(evaluate(conditions, facts, date(2026, 4, 15)))

    assert waiting.code == "immigration.too_recent"
    assert waiting.params["eligible_from"] == "2026-04-15"
    assert ready.code == "immigration.ok"
    assert ready.params["months"] == 3


# --- age -----------------------------------------------------------------------------------------

YOUTH = {"age": {"min": 18, "max": 25}}


@pytest.mark.parametrize(
    ("on", "code", "age"),
    [
        (date(2026, 5, 9), "age.too_young", 17),
        (date(2026, 5, 10), "age.ok", 18),
        (date(2034, 5, 9), "age.ok", 25),
        (date(2034, 5, 10), "age.too_old", 26),
    ],
)
def test_age_band_is_checked_on_the_date(on, code, age):
    facts = LearnerFacts(learner_id=1, date_of_birth=date(2008, 5, 10))

    result = evaluate(YOUTH, facts, on)

    reason = only_reason(result)
    assert reason.code == code
    assert reason.params == {"age": age, "min": 18, "max": 25}
    assert result.passed is (code == "age.ok")


def test_leap_day_birthday_counts_from_first_of_march_in_common_years():
    facts = LearnerFacts(learner_id=1, date_of_birth=date(2008, 2, 29))

    assert only_reason(evaluate(YOUTH, facts, date(2026, 2, 28))).code == "age.too_young"
    assert only_reason(evaluate(YOUTH, facts, date(2026, 3, 1))).code == "age.ok"


def test_unknown_date_of_birth_fails_the_age_band():
    result = evaluate(YOUTH, LearnerFacts(learner_id=1), date(2026, 5, 10))

    assert result.passed is False
    assert only_reason(result) == Reason("age.unknown", False, {"min": 18, "max": 25})


def test_open_ended_age_band_has_no_upper_limit():
    facts = LearnerFacts(learner_id=1, date_of_birth=date(1940, 1, 1))

    assert evaluate({"age": {"min": 19, "max": None}}, facts, date(2026, 1, 1)).passed is True
    assert evaluate({"age": {"min": None, "max": 64}}, facts, date(2026, 1, 1)).passed is False


# --- referral ------------------------------------------------------------------------------------

REFERRALS = {"referral_sources": ["Jobcentre Plus", "Refugee Council"]}


@pytest.mark.parametrize("source", ["Jobcentre Plus", "jobcentre plus", "  REFUGEE COUNCIL  ", "\tRefugee council\n"])
def test_referral_source_matches_ignoring_case_and_surrounding_spaces(source):
    facts = LearnerFacts(learner_id=1, referral_source=source)

    result = evaluate(REFERRALS, facts, date(2026, 1, 1))

    assert result.passed is True
    assert only_reason(result) == Reason("referral.ok", True, {"source": source.strip()})


@pytest.mark.parametrize("source", ["Jobcentre", "Jobcentre Plus Leeds", "Self-referral"])
def test_other_referral_sources_are_not_accepted(source):
    result = evaluate(REFERRALS, LearnerFacts(learner_id=1, referral_source=source), date(2026, 1, 1))

    assert result.passed is False
    assert only_reason(result) == Reason("referral.not_accepted", False, {"source": source})


@pytest.mark.parametrize("source", ["", "   "])
def test_empty_referral_source_is_not_accepted(source):
    result = evaluate(REFERRALS, LearnerFacts(learner_id=1, referral_source=source), date(2026, 1, 1))

    assert result.passed is False
    assert only_reason(result) == Reason("referral.not_accepted", False, {"source": ""})


def test_referral_sources_saved_with_spaces_still_match_after_parsing():
    conditions = parse_conditions({"referral_sources": ["  Jobcentre Plus  "]})

    result = evaluate(conditions, LearnerFacts(learner_id=1, referral_source="jobcentre plus"), date(2026, 1, 1))

    assert result.passed is True


# --- ESOL ----------------------------------------------------------------------------------------

ENTRY_BAND = {"esol": {"min": "e1", "max": "e3", "skills": []}}


def esol_facts(*results: tuple[EsolSkill, EsolLevel, date]) -> LearnerFacts:
    return LearnerFacts(learner_id=1, esol_results=[EsolResult(*result) for result in results])


def by_skill(evaluation: Evaluation) -> dict[str, str]:
    return {reason.params["skill"]: reason.code for reason in evaluation.reasons}


def test_esol_levels_rank_in_scale_order_not_alphabetically():
    assert EsolLevel.LEVEL_1 > EsolLevel.ENTRY_3
    assert EsolLevel.PRE_ENTRY < EsolLevel.ENTRY_1
    assert EsolLevel.ENTRY_3 <= EsolLevel.ENTRY_3
    assert not EsolLevel.PRE_ENTRY >= EsolLevel.ENTRY_1
    assert sorted([EsolLevel.LEVEL_2, EsolLevel.PRE_ENTRY, EsolLevel.ENTRY_3, EsolLevel.ENTRY_1]) == [
        EsolLevel.PRE_ENTRY,
        EsolLevel.ENTRY_1,
        EsolLevel.ENTRY_3,
        EsolLevel.LEVEL_2,
    ]


def test_esol_band_checks_every_skill_with_the_latest_assessment_by_the_date():
    facts = esol_facts(
        # A later result comes first in the list: the date decides, not the order.
        (EsolSkill.SPEAKING, EsolLevel.LEVEL_1, date(2026, 3, 1)),
        (EsolSkill.SPEAKING, EsolLevel.ENTRY_2, date(2026, 1, 10)),
        (EsolSkill.LISTENING, EsolLevel.ENTRY_3, date(2026, 1, 10)),
        (EsolSkill.WRITING, EsolLevel.ENTRY_1, date(2026, 2, 1)),
        (EsolSkill.WRITING, EsolLevel.PRE_ENTRY, date(2025, 12, 1)),
    )

    result = evaluate(ENTRY_BAND, facts, date(2026, 2, 15))

    assert result.passed is False  # reading was never assessed
    assert by_skill(result) == {
        "speaking": "esol.ok",
        "listening": "esol.ok",
        "reading": "esol.unknown",
        "writing": "esol.ok",
    }
    speaking = next(reason for reason in result.reasons if reason.params["skill"] == "speaking")
    assert speaking.params == {"skill": "speaking", "level": "e2", "min": "e1", "max": "e3"}
    reading = next(reason for reason in result.reasons if reason.params["skill"] == "reading")
    assert reading.params == {"skill": "reading", "level": None, "min": "e1", "max": "e3"}


def test_assessments_after_the_date_are_ignored():
    facts = esol_facts(
        (EsolSkill.SPEAKING, EsolLevel.LEVEL_1, date(2026, 3, 1)),
        (EsolSkill.SPEAKING, EsolLevel.ENTRY_2, date(2026, 1, 10)),
    )
    speaking_only = {"esol": {"min": "e1", "max": "e3", "skills": ["speaking"]}}

    assert only_reason(evaluate(speaking_only, facts, date(2026, 2, 28))).code == "esol.ok"
    assert only_reason(evaluate(speaking_only, facts, date(2026, 3, 1))).code == "esol.above"
    assert only_reason(evaluate(speaking_only, facts, date(2026, 1, 9))).code == "esol.unknown"


def test_esol_band_compares_levels_by_rank():
    speaking_only = {"esol": {"min": "e1", "max": "e3", "skills": ["speaking"]}}
    on = date(2026, 2, 1)

    def code_for(level: EsolLevel) -> str:
        facts = esol_facts((EsolSkill.SPEAKING, level, date(2026, 1, 1)))
        return only_reason(evaluate(speaking_only, facts, on)).code

    # "pre_entry" sorts after "e1" as text, but is below Entry 1 on the scale.
    assert code_for(EsolLevel.PRE_ENTRY) == "esol.below"
    assert code_for(EsolLevel.ENTRY_1) == "esol.ok"
    assert code_for(EsolLevel.ENTRY_3) == "esol.ok"
    assert code_for(EsolLevel.LEVEL_1) == "esol.above"
    assert code_for(EsolLevel.LEVEL_2) == "esol.above"


def test_esol_minimum_only_accepts_anything_at_or_above_it():
    conditions = {"esol": {"min": "e2", "max": None, "skills": ["listening"]}}
    high = esol_facts((EsolSkill.LISTENING, EsolLevel.LEVEL_2, date(2026, 1, 1)))
    low = esol_facts((EsolSkill.LISTENING, EsolLevel.ENTRY_1, date(2026, 1, 1)))

    assert evaluate(conditions, high, date(2026, 2, 1)).passed is True
    assert only_reason(evaluate(conditions, low, date(2026, 2, 1))).code == "esol.below"


# --- combining sections --------------------------------------------------------------------------


def combined_rule() -> dict:
    return {
        **ASF_ESOL,
        "age": {"min": 19, "max": None},
        "referral_sources": ["Refugee Council"],
        "esol": {"min": "e1", "max": "e3", "skills": ["speaking"]},
    }


def eligible_learner() -> LearnerFacts:
    return LearnerFacts(
        learner_id=1,
        date_of_birth=date(1990, 6, 1),
        referral_source="Refugee Council",
        immigration=[StatusPeriod(ImmigrationStatus.REFUGEE, date(2025, 1, 1), None)],
        esol_results=[EsolResult(EsolSkill.SPEAKING, EsolLevel.ENTRY_2, date(2025, 11, 1))],
    )


def test_every_section_contributes_a_reason_and_all_passing_passes():
    result = evaluate(combined_rule(), eligible_learner(), date(2026, 1, 1))

    assert result.passed is True
    assert [reason.code for reason in result.reasons] == [
        "immigration.ok",
        "age.ok",
        "referral.ok",
        "esol.ok",
    ]
    assert all(reason.passed for reason in result.reasons)


@pytest.mark.parametrize(
    ("change", "failing_code"),
    [
        (
            {"immigration": [StatusPeriod(ImmigrationStatus.CITIZEN, date(1990, 6, 1), None)]},
            "immigration.not_accepted",
        ),
        ({"date_of_birth": date(2010, 1, 1)}, "age.too_young"),
        ({"referral_source": "Self-referral"}, "referral.not_accepted"),
        (
            {"esol_results": [EsolResult(EsolSkill.SPEAKING, EsolLevel.LEVEL_2, date(2025, 11, 1))]},
            "esol.above",
        ),
    ],
)
def test_one_failing_section_fails_the_whole_rule(change, failing_code):
    facts = eligible_learner()
    for name, value in change.items():
        setattr(facts, name, value)

    result = evaluate(combined_rule(), facts, date(2026, 1, 1))

    assert result.passed is False
    assert len(result.reasons) == 4
    assert [reason.code for reason in result.reasons if not reason.passed] == [failing_code]


def test_reasons_survive_a_round_trip_through_stored_data():
    reason = Reason("immigration.too_recent", False, {"status": "asylum_seeker", "eligible_from": "2026-07-15"})

    assert Reason.from_dict(reason.as_dict()) == reason
    assert Reason.from_dict({"code": "immigration.unknown", "passed": False}) == Reason("immigration.unknown", False)


# --- parse_conditions ----------------------------------------------------------------------------


def test_parse_accepts_the_adult_skills_fund_rule_and_sorts_statuses():
    assert parse_conditions(ASF_ESOL) == {
        "immigration": [
            {"statuses": ["humanitarian_protection", "refugee", "resettlement"], "min_months": 0},
            {"statuses": ["asylum_seeker"], "min_months": 6},
        ]
    }


def test_parse_normalises_the_conditions():
    parsed = parse_conditions(
        {
            "immigration": [
                {"statuses": ["resettlement", "refugee", "refugee"], "min_months": None},
                {"statuses": [], "min_months": 3},
                {"min_months": 6},
            ],
            "age": {"min": 18},
            "referral_sources": [" Jobcentre Plus ", "Jobcentre Plus", "", "   ", "asylum help", None],
            "esol": {"min": "e1", "skills": ["writing", "speaking", "writing"]},
        }
    )

    assert parsed == {
        "immigration": [{"statuses": ["refugee", "resettlement"], "min_months": 0}],
        "age": {"min": 18, "max": None},
        "referral_sources": ["asylum help", "Jobcentre Plus"],
        "esol": {"min": "e1", "max": None, "skills": ["speaking", "writing"]},
    }


def test_parse_leaves_out_empty_sections():
    parsed = parse_conditions(
        {
            "immigration": [],
            "age": {"min": None, "max": None},
            "referral_sources": ["Refugee Council"],
            "esol": {"min": "", "max": ""},
        }
    )

    assert parsed == {"referral_sources": ["Refugee Council"]}


def test_parse_accepts_a_rank_ordered_esol_band_that_is_not_alphabetical():
    parsed = parse_conditions({"esol": {"min": "pre_entry", "max": "e1"}})

    assert parsed["esol"] == {"min": "pre_entry", "max": "e1", "skills": []}


def test_parse_accepts_the_limits_of_months_and_ages():
    parsed = parse_conditions(
        {"immigration": [{"statuses": ["refugee"], "min_months": 120}], "age": {"min": 0, "max": 120}}
    )

    assert parsed["immigration"][0]["min_months"] == 120
    assert parsed["age"] == {"min": 0, "max": 120}


@pytest.mark.parametrize(
    ("raw", "message", "field"),
    [
        ({}, "at least one condition", None),
        ({"immigration": [{"statuses": [], "min_months": 6}]}, "at least one condition", None),
        ({"referral_sources": ["", "  "]}, "at least one condition", None),
        ("refugee", "not in the expected form", None),
        (
            {"immigration": [{"statuses": ["refugee", "martian"]}]},
            "Choose immigration statuses from the list",
            "immigration",
        ),
        (
            {"immigration": [{"statuses": ["asylum_seeker"], "min_months": -1}]},
            "from 0 to 120",
            "immigration",
        ),
        (
            {"immigration": [{"statuses": ["asylum_seeker"], "min_months": 121}]},
            "from 0 to 120",
            "immigration",
        ),
        (
            {"immigration": [{"statuses": ["asylum_seeker"], "min_months": 10**6}]},
            "from 0 to 120",
            "immigration",
        ),
        (
            {"immigration": [{"statuses": ["asylum_seeker"], "min_months": 6.5}]},
            "whole number",
            "immigration",
        ),
        (
            {"immigration": [{"statuses": ["refugee"], "min_months": 0}] * 6},
            "at most 5 status options",
            None,
        ),
        ({"age": {"min": 26, "max": 25}}, "minimum age cannot be above the maximum age", "age"),
        ({"age": {"min": -1}}, "Ages must be whole numbers from 0 to 120", "age"),
        ({"age": {"max": 150}}, "Ages must be whole numbers from 0 to 120", "age"),
        ({"age": {"min": "18"}}, "Ages must be whole numbers from 0 to 120", "age"),
        ({"esol": {"min": "e3", "max": "e1"}}, "lowest ESOL level cannot be above the highest", "esol"),
        (
            {"esol": {"min": "e3", "max": "pre_entry"}},
            "lowest ESOL level cannot be above the highest",
            "esol",
        ),
        ({"esol": {"min": "e4"}}, "Choose ESOL levels and skills from the lists", "esol"),
        ({"esol": {"max": "level 1"}}, "Choose ESOL levels and skills from the lists", "esol"),
        (
            {"esol": {"min": "e1", "skills": ["singing"]}},
            "Choose ESOL levels and skills from the lists",
            "esol",
        ),
    ],
)
def test_parse_rejects_bad_conditions_with_a_clear_message(raw, message, field):
    with pytest.raises(ServiceError) as raised:
        parse_conditions(raw)

    assert message in raised.value.message
    assert message in str(raised.value)
    assert raised.value.field == field


# --- explain -------------------------------------------------------------------------------------


def test_too_recent_explains_the_status_the_claim_date_and_when_it_becomes_eligible(app):
    facts = facts_with_status((ImmigrationStatus.ASYLUM_SEEKER, date(2026, 1, 15), None))
    reason = only_reason(evaluate(ASF_ESOL, facts, date(2026, 7, 14)))

    with app.test_request_context():
        text = explain(reason)

    assert text.startswith("Asylum seeker (claim pending) since ")
    assert "not yet long enough" in text
    # British English dates: day, month, year.
    assert "since 15 January 2026" in text
    assert text.endswith("eligible from 15 July 2026.")


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (
            Reason("immigration.not_accepted", False, {"status": "citizen", "since": "1990-01-01"}),
            "British or Irish citizen since",
        ),
        (Reason("immigration.unknown", False), "No immigration status is recorded for this date."),
        (Reason("age.too_young", False, {"age": 17, "min": 18, "max": 25}), "Age 17: the minimum age is 18."),
        (Reason("age.too_old", False, {"age": 26, "min": 18, "max": 25}), "Age 26: the maximum age is 25."),
        (Reason("age.ok", True, {"age": 20, "min": 18, "max": 25}), "Age 20: within the age band."),
        (Reason("age.unknown", False, {"min": 18, "max": 25}), "The date of birth is not recorded"),
        (
            Reason("referral.ok", True, {"source": "Refugee Council"}),
            "Referred by Refugee Council: an accepted",
        ),
        (Reason("referral.not_accepted", False, {"source": ""}), "No referrer is recorded"),
        (
            Reason("referral.not_accepted", False, {"source": "Self-referral"}),
            "Referred by Self-referral: not one of the accepted referrers.",
        ),
        (
            Reason("esol.below", False, {"skill": "speaking", "level": "pre_entry", "min": "e1", "max": None}),
            "Speaking at Pre-entry: Entry 1 or above is needed.",
        ),
        (
            Reason("esol.above", False, {"skill": "writing", "level": "l1", "min": "e1", "max": "e3"}),
            "Writing at Level 1: this is for learners at Entry 3 or below.",
        ),
        (
            Reason("esol.unknown", False, {"skill": "reading", "level": None, "min": "e1", "max": "e3"}),
            "Reading: no ESOL assessment is recorded.",
        ),
        (Reason("something.new", False), "something.new"),
    ],
)
def test_explain_writes_an_english_sentence(app, reason, expected):
    with app.test_request_context():
        text = explain(reason)

    assert expected in text


def test_explain_ok_status_names_the_status_and_date(app):
    reason = Reason("immigration.ok", True, {"status": "refugee", "since": "2026-03-01", "months": 0})

    with app.test_request_context():
        text = explain(reason)

    assert text.startswith("Refugee status since ")
    assert "March" in text and "2026" in text
    assert text.endswith("accepted.")
