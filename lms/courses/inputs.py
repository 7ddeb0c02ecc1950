"""What the programme, course, eligibility-rule and pathway services take. Rules are checked by the services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import Field

from lms.core.esol import EsolLevel, EsolSkill
from lms.core.inputs import Input
from lms.courses.models import (
    CourseKind,
    DeliveryMode,
    DeliverySetting,
    IntegrationDomain,
    ReportingScheme,
    Sector,
    StepKind,
    TargetMeasure,
)
from lms.people.models import DbsLevel


class RuleInput(Input):
    name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    #: raw conditions, checked and normalised by `courses.rules.parse_conditions`
    conditions: Any = Field(default_factory=dict)


class ProgrammeInput(Input):
    name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=4000)
    funder_id: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    strands: list[str] = Field(default_factory=list)
    partner_ids: list[int] = Field(default_factory=list)
    reporting_scheme: ReportingScheme = ReportingScheme.APRIL_MARCH_QUARTERS
    allowed_referral_sources: list[str] = Field(default_factory=list)
    eligibility_rule_id: int | None = None
    retention_months: int | None = None
    #: the measures given a target; a measure left out has none
    targets: dict[TargetMeasure, int] = Field(default_factory=dict)


class CourseInput(Input):
    title: str = Field(default="", max_length=200)
    code: str = Field(default="", max_length=30)
    kind: CourseKind
    sector: Sector | None = None
    esol_level: EsolLevel | None = None
    esol_skills: list[EsolSkill] = Field(default_factory=list)
    is_accredited: bool = False
    qualification_id: int | None = None
    summary: str = Field(default="", max_length=2000)
    aims: str = Field(default="", max_length=4000)
    learning_outcomes: str = Field(default="", max_length=4000)
    duration_weeks: int | None = None
    guided_hours: Decimal | None = None
    delivery_modes: list[DeliveryMode] = Field(default_factory=list)
    delivery_settings: list[DeliverySetting] = Field(default_factory=list)
    integration_domains: list[IntegrationDomain] = Field(default_factory=list)
    certificate_type_ids: list[int] = Field(default_factory=list)
    min_attendance_percent: int | None = None
    requires_signoff: bool = False
    requires_assessment_pass: bool = False
    required_certificate_type_id: int | None = None
    required_dbs_level: DbsLevel | None = None


class PathwayInput(Input):
    name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=4000)


class StepInput(Input):
    kind: StepKind
    course_id: int | None = None
    certificate_type_id: int | None = None
    is_required: bool = True
    prerequisite_ids: list[int] = Field(default_factory=list)
    prerequisites_any: bool = False
    #: skill -> lowest level to start; checked against the course by `pathways.check_step_levels`
    min_esol_levels: dict[str, str] = Field(default_factory=dict)
    min_age: int | None = None
    max_age: int | None = None
    eligibility_rule_id: int | None = None
