"""Eligibility rules as data, evaluated against what we know of a learner on a date.

Pure functions: no database, no request. `LearnerFacts` is gathered elsewhere (assessments.facts)
and every result carries structured reasons that are rendered in the reader's language, so a check
recorded today can be read later in Arabic or English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta

from lms.core.errors import ServiceError
from lms.core.esol import EsolLevel, EsolSkill
from lms.core.i18n import _, format_date
from lms.core.time import age_on
from lms.people.models import ImmigrationStatus

MAX_IMMIGRATION_CLAUSES = 5


@dataclass(frozen=True)
class StatusPeriod:
    status: ImmigrationStatus
    from_date: date
    until_date: date | None


@dataclass(frozen=True)
class EsolResult:
    skill: EsolSkill
    level: EsolLevel
    assessed_date: date


@dataclass(frozen=True)
class HeldCertificate:
    certificate_type_id: int
    issued_date: date
    expiry_date: date | None

    def valid_on(self, on: date) -> bool:
        return self.issued_date <= on and (self.expiry_date is None or on <= self.expiry_date)


@dataclass
class LearnerFacts:
    """Everything rules and pathways look at, for one learner."""

    learner_id: int
    date_of_birth: date | None = None
    referral_source: str = ""
    immigration: list[StatusPeriod] = field(default_factory=list)
    esol_results: list[EsolResult] = field(default_factory=list)
    #: course id -> date completed
    completed_courses: dict[int, date] = field(default_factory=dict)
    #: course ids the learner is enrolled on now (filled once enrolments exist)
    current_courses: set[int] = field(default_factory=set)
    certificates: list[HeldCertificate] = field(default_factory=list)

    def status_on(self, on: date) -> StatusPeriod | None:
        """The status in force on a date: the latest that began by then and had not ended."""
        current = [p for p in self.immigration if p.from_date <= on and (p.until_date is None or on <= p.until_date)]
        return max(current, key=lambda p: p.from_date, default=None)

    def esol_levels_on(self, on: date) -> dict[EsolSkill, EsolLevel]:
        """The latest assessed level per skill on or before a date."""
        latest: dict[EsolSkill, EsolResult] = {}
        for result in self.esol_results:
            if result.assessed_date <= on and (
                result.skill not in latest or result.assessed_date >= latest[result.skill].assessed_date
            ):
                latest[result.skill] = result
        return {skill: result.level for skill, result in latest.items()}

    def holds_certificate(self, certificate_type_id: int, on: date) -> bool:
        return any(c.certificate_type_id == certificate_type_id and c.valid_on(on) for c in self.certificates)


@dataclass(frozen=True)
class Reason:
    code: str
    passed: bool
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "passed": self.passed, "params": self.params}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reason:
        return cls(code=data["code"], passed=data["passed"], params=data.get("params", {}))


@dataclass(frozen=True)
class Evaluation:
    passed: bool
    reasons: list[Reason]


# --- validating rule data ------------------------------------------------------------------------


def parse_conditions(raw: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise a rule's conditions, raising a translated ServiceError when they are wrong.

    This is the one place conditions are checked: forms, the API and the demo hand them over raw.
    """
    if not isinstance(raw, dict):
        raise ServiceError(_("The rule's conditions are not in the expected form."))
    sections = {
        "immigration": _parse_immigration(raw.get("immigration") or []),
        "age": _parse_age(raw.get("age") or {}),
        "referral_sources": _parse_referral_sources(raw.get("referral_sources") or []),
        "esol": _parse_esol(raw.get("esol") or {}),
    }
    conditions = {name: section for name, section in sections.items() if section}
    if not conditions:
        raise ServiceError(_("Give the rule at least one condition."))
    return conditions


def _parse_immigration(clauses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Status options, each a set of statuses held for at least some months; empty options are dropped."""
    if len(clauses) > MAX_IMMIGRATION_CLAUSES:
        raise ServiceError(_("A rule can have at most %(count)d status options.", count=MAX_IMMIGRATION_CLAUSES))
    parsed = []
    for clause in clauses:
        statuses = clause.get("statuses") or []
        if not statuses:
            continue
        try:
            statuses = sorted({ImmigrationStatus(status).value for status in statuses})
        except ValueError:
            raise ServiceError(_("Choose immigration statuses from the list."), field="immigration")
        months = clause.get("min_months") or 0
        if not _whole_number_up_to_120(months):
            raise ServiceError(_("Months held must be a whole number from 0 to 120."), field="immigration")
        parsed.append({"statuses": statuses, "min_months": months})
    return parsed


def _whole_number_up_to_120(value: Any) -> bool:
    return isinstance(value, int) and 0 <= value <= 120


def _parse_age(age: dict[str, Any]) -> dict[str, int | None] | None:
    low, high = age.get("min"), age.get("max")
    if any(value is not None and not _whole_number_up_to_120(value) for value in (low, high)):
        raise ServiceError(_("Ages must be whole numbers from 0 to 120."), field="age")
    if low is not None and high is not None and low > high:
        raise ServiceError(_("The minimum age cannot be above the maximum age."), field="age")
    if low is None and high is None:
        return None
    return {"min": low, "max": high}


def _parse_referral_sources(sources: list[str | None]) -> list[str]:
    """Trimmed, each once, sorted without regard to case; blanks dropped."""
    trimmed = {source.strip() for source in sources if source and source.strip()}
    return sorted(trimmed, key=str.lower)


def _parse_esol(esol: dict[str, Any]) -> dict[str, Any] | None:
    try:
        esol_min = EsolLevel(esol["min"]) if esol.get("min") else None
        esol_max = EsolLevel(esol["max"]) if esol.get("max") else None
        skills = sorted({EsolSkill(skill).value for skill in esol.get("skills") or []})
    except ValueError:
        raise ServiceError(_("Choose ESOL levels and skills from the lists."), field="esol")
    if esol_min and esol_max and esol_min > esol_max:
        raise ServiceError(_("The lowest ESOL level cannot be above the highest."), field="esol")
    if not (esol_min or esol_max):
        return None
    return {
        "min": esol_min.value if esol_min else None,
        "max": esol_max.value if esol_max else None,
        "skills": skills,
    }


# --- evaluating ----------------------------------------------------------------------------------


def evaluate(conditions: dict[str, Any], facts: LearnerFacts, on: date) -> Evaluation:
    """Every section must pass; within the immigration section any one status option is enough."""
    reasons: list[Reason] = []
    if "immigration" in conditions:
        reasons.append(_check_immigration(conditions["immigration"], facts, on))
    if "age" in conditions:
        reasons.append(check_age(conditions["age"].get("min"), conditions["age"].get("max"), facts, on))
    if "referral_sources" in conditions:
        reasons.append(_check_referral(conditions["referral_sources"], facts))
    if "esol" in conditions:
        esol = conditions["esol"]
        skills = [EsolSkill(skill) for skill in esol.get("skills") or []] or list(EsolSkill)
        minimum = EsolLevel(esol["min"]) if esol.get("min") else None
        maximum = EsolLevel(esol["max"]) if esol.get("max") else None
        reasons.extend(check_esol(dict.fromkeys(skills, (minimum, maximum)), facts, on))
    return Evaluation(passed=all(reason.passed for reason in reasons), reasons=reasons)


def _check_immigration(clauses: list[dict[str, Any]], facts: LearnerFacts, on: date) -> Reason:
    period = facts.status_on(on)
    if period is None:
        return Reason("immigration.unknown", False)
    params = {"status": period.status.value, "since": period.from_date.isoformat()}
    best_wait: date | None = None
    for clause in clauses:
        if period.status.value not in clause["statuses"]:
            continue
        eligible_from = period.from_date + relativedelta(months=clause["min_months"])
        if on >= eligible_from:
            return Reason("immigration.ok", True, {**params, "months": clause["min_months"]})
        best_wait = eligible_from if best_wait is None else min(best_wait, eligible_from)
    if best_wait is not None:
        return Reason("immigration.too_recent", False, {**params, "eligible_from": best_wait.isoformat()})
    return Reason("immigration.not_accepted", False, params)


def check_age(minimum: int | None, maximum: int | None, facts: LearnerFacts, on: date) -> Reason:
    if facts.date_of_birth is None:
        return Reason("age.unknown", False, {"min": minimum, "max": maximum})
    age = age_on(facts.date_of_birth, on)
    params = {"age": age, "min": minimum, "max": maximum}
    if minimum is not None and age < minimum:
        return Reason("age.too_young", False, params)
    if maximum is not None and age > maximum:
        return Reason("age.too_old", False, params)
    return Reason("age.ok", True, params)


def _check_referral(sources: list[str], facts: LearnerFacts) -> Reason:
    accepted = {source.casefold() for source in sources}
    source = facts.referral_source.strip()
    if source and source.casefold() in accepted:
        return Reason("referral.ok", True, {"source": source})
    return Reason("referral.not_accepted", False, {"source": source})


def check_esol(
    bounds: dict[EsolSkill, tuple[EsolLevel | None, EsolLevel | None]], facts: LearnerFacts, on: date
) -> list[Reason]:
    levels = facts.esol_levels_on(on)
    reasons = []
    for skill, (minimum, maximum) in bounds.items():
        level = levels.get(skill)
        params = {
            "skill": skill.value,
            "level": level.value if level else None,
            "min": minimum.value if minimum else None,
            "max": maximum.value if maximum else None,
        }
        if level is None:
            reasons.append(Reason("esol.unknown", False, params))
        elif minimum is not None and level < minimum:
            reasons.append(Reason("esol.below", False, params))
        elif maximum is not None and level > maximum:
            reasons.append(Reason("esol.above", False, params))
        else:
            reasons.append(Reason("esol.ok", True, params))
    return reasons


# --- explaining ----------------------------------------------------------------------------------


def explain(reason: Reason) -> str:
    """The reason as a sentence in the current language."""
    section = reason.code.partition(".")[0]
    explainer = {
        "immigration": _explain_immigration,
        "age": _explain_age,
        "referral": _explain_referral,
        "esol": _explain_esol,
    }.get(section)
    sentence = explainer(reason.code, reason.params) if explainer else None
    return sentence or reason.code


def _status(p: dict[str, Any]) -> str:
    return ImmigrationStatus(p["status"]).title


def _day(p: dict[str, Any], key: str) -> str:
    return format_date(date.fromisoformat(p[key]), "long")


def _level(p: dict[str, Any], key: str) -> str:
    return EsolLevel(p[key]).title if p.get(key) else ""


def _skill(p: dict[str, Any]) -> str:
    return EsolSkill(p["skill"]).title


def _explain_immigration(code: str, p: dict[str, Any]) -> str | None:
    match code:
        case "immigration.ok":
            return _("%(status)s since %(date)s: accepted.", status=_status(p), date=_day(p, "since"))
        case "immigration.too_recent":
            return _(
                "%(status)s since %(date)s: not yet long enough; eligible from %(eligible)s.",
                status=_status(p),
                date=_day(p, "since"),
                eligible=_day(p, "eligible_from"),
            )
        case "immigration.not_accepted":
            return _(
                "%(status)s since %(date)s: this status is not accepted.", status=_status(p), date=_day(p, "since")
            )
        case "immigration.unknown":
            return _("No immigration status is recorded for this date.")
    return None


def _explain_age(code: str, p: dict[str, Any]) -> str | None:
    match code:
        case "age.ok":
            return _("Age %(age)d: within the age band.", age=p["age"])
        case "age.too_young":
            return _("Age %(age)d: the minimum age is %(min)d.", age=p["age"], min=p["min"])
        case "age.too_old":
            return _("Age %(age)d: the maximum age is %(max)d.", age=p["age"], max=p["max"])
        case "age.unknown":
            return _("The date of birth is not recorded, so the age band cannot be checked.")
    return None


def _explain_referral(code: str, p: dict[str, Any]) -> str | None:
    match code:
        case "referral.ok":
            return _("Referred by %(source)s: an accepted referrer.", source=p["source"])
        case "referral.not_accepted" if not p.get("source"):
            return _("No referrer is recorded; this programme accepts only listed referrers.")
        case "referral.not_accepted":
            return _("Referred by %(source)s: not one of the accepted referrers.", source=p["source"])
    return None


def _explain_esol(code: str, p: dict[str, Any]) -> str | None:
    match code:
        case "esol.ok":
            return _("%(skill)s at %(level)s: meets the level needed.", skill=_skill(p), level=_level(p, "level"))
        case "esol.below":
            return _(
                "%(skill)s at %(level)s: %(minimum)s or above is needed.",
                skill=_skill(p),
                level=_level(p, "level"),
                minimum=_level(p, "min"),
            )
        case "esol.above":
            return _(
                "%(skill)s at %(level)s: this is for learners at %(maximum)s or below.",
                skill=_skill(p),
                level=_level(p, "level"),
                maximum=_level(p, "max"),
            )
        case "esol.unknown":
            return _("%(skill)s: no ESOL assessment is recorded.", skill=_skill(p))
    return None
