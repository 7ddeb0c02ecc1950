"""What the learning-plan, outcome and placement services take. Rules are checked by the services."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from lms.assessments.progression.models import OutcomeKind, RarpaOutcome
from lms.core.inputs import Input
from lms.courses.models import IntegrationDomain


class SelfRatings(Input):
    """The learner's own ratings (1 to 5) at the start and at the end; one not given is left out."""

    confidence: int | None = None
    wellbeing: int | None = None
    english: int | None = None
    skills: int | None = None


class PlanStartInput(SelfRatings):
    aims: str = Field(default="", max_length=10000)
    starting_point: str = Field(default="", max_length=10000)
    support_needs: str = Field(default="", max_length=10000)


class ReviewInput(Input):
    review_date: date | None = None
    educator_comment: str = Field(default="", max_length=10000)
    learner_comment: str = Field(default="", max_length=10000)
    attendance_review: str = Field(default="", max_length=10000)
    #: objective id (as text) -> rating; None for an objective not rated
    ratings: dict[str, int | None] = Field(default_factory=dict)


class PlanEndInput(SelfRatings):
    outcome: RarpaOutcome | None = None
    learner_self_assessment: str = Field(default="", max_length=10000)
    tutor_judgement: str = Field(default="", max_length=10000)
    planned_outcomes: str = Field(default="", max_length=10000)
    unplanned_outcomes: str = Field(default="", max_length=10000)
    next_steps: str = Field(default="", max_length=10000)


class OutcomeInput(Input):
    kind: OutcomeKind | None = None
    outcome_date: date | None = None
    hours_per_week: int | None = None
    organisation_name: str = Field(default="", max_length=200)
    evidence_note: str = Field(default="", max_length=2000)
    domains: list[IntegrationDomain] = Field(default_factory=list)


class PlacementInput(Input):
    employer_id: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    hours_per_week: int | None = None
    mentor_name: str = Field(default="", max_length=200)
    mentor_contact: str = Field(default="", max_length=200)
    risk_assessment_date: date | None = None
    employer_feedback: str = Field(default="", max_length=10000)
    reference_given: bool = False
    completed: bool = False
