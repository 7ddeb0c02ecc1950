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
    aims: str = ""
    starting_point: str = ""
    support_needs: str = ""


class ReviewInput(Input):
    review_date: date | None = None
    educator_comment: str = ""
    learner_comment: str = ""
    attendance_review: str = ""
    #: objective id (as text) -> rating; None for an objective not rated
    ratings: dict[str, int | None] = Field(default_factory=dict)


class PlanEndInput(SelfRatings):
    outcome: RarpaOutcome | None = None
    learner_self_assessment: str = ""
    tutor_judgement: str = ""
    planned_outcomes: str = ""
    unplanned_outcomes: str = ""
    next_steps: str = ""


class OutcomeInput(Input):
    kind: OutcomeKind | None = None
    outcome_date: date | None = None
    hours_per_week: int | None = None
    organisation_name: str = ""
    evidence_note: str = ""
    domains: list[IntegrationDomain] = Field(default_factory=list)


class PlacementInput(Input):
    employer_id: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    hours_per_week: int | None = None
    mentor_name: str = ""
    mentor_contact: str = ""
    risk_assessment_date: date | None = None
    employer_feedback: str = ""
    reference_given: bool = False
    completed: bool = False
