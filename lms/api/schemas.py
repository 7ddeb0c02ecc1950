"""What the API takes and returns. The OpenAPI description is generated from these models."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Me(Out):
    id: int
    display_name: str
    organisation_id: int | None
    roles: list[str]
    token_scope: str


class OrganisationOut(Out):
    id: int
    name: str
    kind: str
    timezone: str


class CourseOut(Out):
    id: int
    organisation_id: int
    code: str
    title: str
    kind: str
    esol_level: str | None
    is_accredited: bool
    duration_weeks: int | None


class CohortOut(Out):
    id: int
    organisation_id: int
    course_id: int
    programme_id: int | None
    name: str
    start_date: date
    end_date: date
    capacity: int
    places_taken: int
    status: str
    is_drop_in: bool


class SessionOut(Out):
    id: int
    cohort_id: int
    start_dt: AwareDatetime
    end_dt: AwareDatetime
    timezone: str
    status: str
    revision: int

    @field_serializer("start_dt", "end_dt")
    def _local(self, value: datetime, _info: object) -> str:
        """Instants are sent with the session's own UTC offset, as a person there would read them."""
        from zoneinfo import ZoneInfo

        return value.astimezone(ZoneInfo(self.timezone)).isoformat()


class AttendanceRowOut(BaseModel):
    key: str = Field(description="l<learner id> for an enrolled learner, a<id> for a drop-in attendee")
    learner_id: int | None
    name: str
    status: str | None
    minutes_late: int
    minutes_left_early: int


class AttendanceOut(BaseModel):
    session_id: int
    rows: list[AttendanceRowOut]


class AttendanceEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=2, max_length=20)
    status: str = Field(min_length=1, max_length=30)
    minutes_late: int = Field(default=0, ge=0, le=600)
    minutes_left_early: int = Field(default=0, ge=0, le=600)
    note: str = Field(default="", max_length=500)


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entries: list[AttendanceEntryIn] = Field(max_length=500)
    #: Why marks already made are changed, from the day after the session (then required for that).
    reason: str = Field(default="", max_length=500)


class AttendanceSaved(BaseModel):
    session_id: int
    changed: int


class EnrolmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    learner_id: int = Field(ge=1, le=2**31 - 1)
    needs_creche: bool = False
    needs_interpreter: bool = False


class EnrolmentOut(BaseModel):
    outcome: str = Field(description="enrolled or waitlisted; a refusal is a 422 problem whose detail gives the reason")
    message: str
    enrolment_id: int | None
    learner_id: int
    cohort_id: int


class CertificateCheck(BaseModel):
    code: str
    status: str = Field(description="valid, expired or revoked")
    holder_name: str
    course_title: str
    organisation_name: str
    issued_date: date
    expiry_date: date | None
    revoked_reason: str = Field(default="", description="why it was revoked (empty unless revoked)")


class ProgrammeOut(Out):
    id: int
    organisation_id: int
    name: str
    funder_id: int | None
    start_date: date
    end_date: date


class PathwayOut(Out):
    id: int
    organisation_id: int
    name: str
    description: str
    is_archived: bool


class LearnerOut(Out):
    """Names and contact details only: sensitive data (immigration, health, convictions) is never in the API."""

    id: int
    organisation_id: int
    given_name: str
    family_name: str
    given_name_latin: str
    family_name_latin: str
    phone: str | None
    email: str | None
    preferred_languages: str


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    preferred_languages: str | None = Field(default=None, max_length=200)


class LearnerIn(ContactIn):
    """A learner from a partner's referral."""

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(default="", max_length=100)
    given_name_latin: str = Field(default="", max_length=100)
    family_name_latin: str = Field(default="", max_length=100)
    referral_source: str = Field(default="", max_length=200)


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class WithdrawOut(BaseModel):
    enrolment_id: int
    status: str
    places_offered_to: list[int] = Field(description="Learner ids offered the freed place")


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date
    start_time: time
    end_time: time
    accept_learner_clashes: bool = False


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    learner_id: int = Field(ge=1, le=2**31 - 1)
    referrer_name: str = Field(min_length=1, max_length=200)
    referrer_email: str = Field(default="", max_length=254)
    referrer_phone: str = Field(default="", max_length=30)
    consent_to_share_progress: bool = False
    cohort_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    notes: str = Field(default="", max_length=4000)


class ReferralOut(Out):
    id: int
    learner_id: int
    cohort_id: int | None
    status: str
    received_dt: AwareDatetime
    reviewed_dt: AwareDatetime | None
    decision_note: str


class EnrolmentSummary(Out):
    id: int
    cohort_id: int
    status: str


class ResultOut(Out):
    qualification_id: int
    grade: str
    result_date: date


class OutcomeOut(Out):
    kind: str
    outcome_date: date
    organisation_name: str
    sustained_13_weeks: bool | None
    sustained_26_weeks: bool | None


class CertificateSummary(Out):
    code: str
    course_title: str
    issued_date: date
    revoked: bool


class ProgressOut(BaseModel):
    learner_id: int
    enrolments: list[EnrolmentSummary]
    results: list[ResultOut]
    outcomes: list[OutcomeOut]
    certificates: list[CertificateSummary]


class CountOut(BaseModel):
    name: str
    value: float | str = Field(description='A number, or "<5" where a small count is hidden from funders')


class TargetOut(BaseModel):
    measure: str
    target: int
    actual: float | str


class FunderReturnOut(BaseModel):
    programme_id: int
    start: date
    end: date
    suppressed: bool = Field(
        description='True for funder viewers: counts from 1 to 4, and counts that would reveal them, are "[c]"'
    )
    figures: dict[str, float | str]
    breakdowns: dict[str, list[CountOut]]
    targets: list[TargetOut]


class CohortIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    course_id: int = Field(ge=1, le=2**31 - 1)
    programme_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    start_date: date
    end_date: date
    capacity: int = Field(ge=0, le=10_000)
    creche_capacity: int = Field(default=0, ge=0, le=10_000)
    interpreter_capacity: int = Field(default=0, ge=0, le=10_000)
    is_drop_in: bool = False
    allow_late_joiners: bool = False


class PreviewRow(BaseModel):
    enrolment_id: int
    learner_id: int
    attendance_rate: float | None
    qualifies: bool
    reasons: list[str]
    already_issued: bool


class PreviewOut(BaseModel):
    cohort_id: int
    certificate_type_id: int
    rows: list[PreviewRow]


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    certificate_type_id: int = Field(ge=1, le=2**31 - 1)
    enrolment_ids: list[int] = Field(min_length=1, max_length=500)


class IssuedOut(BaseModel):
    issued: list[CertificateSummary]
