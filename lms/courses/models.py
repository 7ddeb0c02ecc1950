"""The curriculum: programmes, courses, qualifications, certificate types, eligibility rules, pathways."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import LimitedText, UTCDateTime, enum_type
from lms.core.enums import TitledEnum
from lms.core.esol import EsolLevel
from lms.core.i18n import _l
from lms.core.subjects import CourseKind, Sector
from lms.core.time import now_utc
from lms.extensions import Model, db
from lms.people.models import DbsLevel, Organisation


class DeliveryMode(TitledEnum):
    GROUP = "group"
    PAIR = "pair"
    ONE_TO_ONE = "one_to_one"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.GROUP: _l("Group"), cls.PAIR: _l("Pair"), cls.ONE_TO_ONE: _l("One-to-one")}


class DeliverySetting(TitledEnum):
    IN_PERSON = "in_person"
    VIRTUAL = "virtual"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.IN_PERSON: _l("In person"), cls.VIRTUAL: _l("Virtual classroom")}


class IntegrationDomain(TitledEnum):
    """The Home Office Indicators of Integration domains."""

    WORK = "work"
    HOUSING = "housing"
    EDUCATION = "education"
    HEALTH_SOCIAL_CARE = "health_social_care"
    LEISURE = "leisure"
    BONDS = "bonds"
    BRIDGES = "bridges"
    LINKS = "links"
    LANGUAGE = "language"
    CULTURE = "culture"
    DIGITAL = "digital"
    SAFETY = "safety"
    STABILITY = "stability"
    RIGHTS = "rights"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.WORK: _l("Work"),
            cls.HOUSING: _l("Housing"),
            cls.EDUCATION: _l("Education"),
            cls.HEALTH_SOCIAL_CARE: _l("Health and social care"),
            cls.LEISURE: _l("Leisure"),
            cls.BONDS: _l("Social bonds"),
            cls.BRIDGES: _l("Social bridges"),
            cls.LINKS: _l("Social links"),
            cls.LANGUAGE: _l("Language and communication"),
            cls.CULTURE: _l("Culture"),
            cls.DIGITAL: _l("Digital skills"),
            cls.SAFETY: _l("Safety"),
            cls.STABILITY: _l("Stability"),
            cls.RIGHTS: _l("Rights and responsibilities"),
        }


class ReportingScheme(TitledEnum):
    APRIL_MARCH_QUARTERS = "april_march_quarters"
    AUGUST_JULY_YEARS = "august_july_years"
    CUSTOM = "custom"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.APRIL_MARCH_QUARTERS: _l("Quarters of April-March years"),
            cls.AUGUST_JULY_YEARS: _l("August-July years"),
            cls.CUSTOM: _l("Custom periods"),
        }


class TargetMeasure(TitledEnum):
    PARTICIPANTS = "participants"
    STARTS = "starts"
    COMPLETIONS = "completions"
    CERTIFICATES = "certificates"
    INTO_WORK = "into_work"
    INTO_TRAINING = "into_training"
    VOLUNTEERING = "volunteering"
    PLACEMENTS = "placements"
    CONTACT_HOURS = "contact_hours"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.PARTICIPANTS: _l("Unique participants"),
            cls.STARTS: _l("Starts"),
            cls.COMPLETIONS: _l("Completions"),
            cls.CERTIFICATES: _l("Certificates"),
            cls.INTO_WORK: _l("Into work"),
            cls.INTO_TRAINING: _l("Into education or training"),
            cls.VOLUNTEERING: _l("Into volunteering"),
            cls.PLACEMENTS: _l("Work placements completed"),
            cls.CONTACT_HOURS: _l("Contact hours"),
        }


class CertificateKind(TitledEnum):
    PROVIDER = "provider"
    EXTERNAL = "external"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.PROVIDER: _l("Issued by us"), cls.EXTERNAL: _l("Awarded by another body")}


programme_partner = sa.Table(
    "programme_partner",
    db.metadata,
    sa.Column("programme_id", sa.ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("organisation_id", sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
)

course_certificate_type = sa.Table(
    "course_certificate_type",
    db.metadata,
    sa.Column("course_id", sa.ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("certificate_type_id", sa.ForeignKey("certificate_type.id", ondelete="CASCADE"), primary_key=True),
)


class EligibilityRule(Model):
    """Who may join, as data. `conditions` is validated by `courses.rules.parse_conditions`."""

    __tablename__ = "eligibility_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(LimitedText(2000), default="")
    #: {"immigration": [{"statuses": [...], "min_months": 6}], "age": {"min": 18, "max": 25},
    #:  "referral_sources": [...], "esol": {"min": "e1", "max": "e3"}}; sections AND, immigration clauses OR.
    conditions: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    is_archived: Mapped[bool] = mapped_column(default=False)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)


class Programme(Model):
    """A funded project: funder, grant period, strands, partners, targets and reporting periods."""

    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    funder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    #: Strand names, e.g. ["Employment", "ESOL and skills", "Wellbeing"].
    strands: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    reporting_scheme: Mapped[ReportingScheme] = mapped_column(
        enum_type(ReportingScheme, "reporting_scheme"), default=ReportingScheme.APRIL_MARCH_QUARTERS
    )
    #: Referring agencies accepted; empty means any.
    allowed_referral_sources: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    eligibility_rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("eligibility_rule.id"), index=True)
    description: Mapped[str] = mapped_column(LimitedText(4000), default="")
    #: How long after a learner's last course ends their details are kept (None: until removed by hand).
    retention_months: Mapped[int | None]
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    funder: Mapped[Organisation | None] = relationship(foreign_keys=[funder_id])
    partners: Mapped[list[Organisation]] = relationship(secondary=programme_partner, order_by=Organisation.name)
    eligibility_rule: Mapped[EligibilityRule | None] = relationship()
    targets: Mapped[list[ProgrammeTarget]] = relationship(
        cascade="all, delete-orphan", order_by=lambda: ProgrammeTarget.measure
    )
    reporting_periods: Mapped[list[ReportingPeriod]] = relationship(
        cascade="all, delete-orphan", order_by=lambda: ReportingPeriod.start_date
    )

    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),
        sa.UniqueConstraint("organisation_id", "name"),
    )


class ProgrammeTarget(Model):
    __tablename__ = "programme_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    measure: Mapped[TargetMeasure] = mapped_column(enum_type(TargetMeasure, "target_measure"))
    value: Mapped[int]

    __table_args__ = (
        sa.UniqueConstraint("programme_id", "measure"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
    )


class ReportingPeriod(Model):
    """A period a funder return covers: generated from the programme's scheme, or entered by hand."""

    __tablename__ = "reporting_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    start_date: Mapped[date]
    end_date: Mapped[date]

    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),
        sa.UniqueConstraint("programme_id", "start_date", "end_date"),
    )


class Qualification(Model):
    """An awarding body's qualification or unit, kept as data because the details change."""

    __tablename__ = "qualification"

    id: Mapped[int] = mapped_column(primary_key=True)
    awarding_body: Mapped[str] = mapped_column(sa.String(100))
    code: Mapped[str] = mapped_column(sa.String(50))
    title: Mapped[str] = mapped_column(sa.String(300))
    #: The ESOL level for ESOL qualifications; free text ("Level 2") for others.
    level: Mapped[str] = mapped_column(sa.String(50), default="")
    #: The ESOL skill a unit covers, if it covers one.
    skill: Mapped[str | None] = mapped_column(sa.String(20))
    guided_learning_hours: Mapped[int | None]

    __table_args__ = (sa.UniqueConstraint("awarding_body", "code"),)


class CertificateType(Model):
    """A certificate a course can lead to, with its validity rule (e.g. Food Hygiene: 36 months)."""

    __tablename__ = "certificate_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[CertificateKind] = mapped_column(enum_type(CertificateKind, "certificate_kind"))
    #: How long it stays valid; None means it does not expire.
    validity_months: Mapped[int | None]
    #: A different validity for renewals (CSCS: first card 2 years, renewal 5 years).
    renewal_validity_months: Mapped[int | None]
    description: Mapped[str] = mapped_column(LimitedText(4000), default="")


class Course(Model):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[CourseKind] = mapped_column(enum_type(CourseKind, "course_kind"))
    sector: Mapped[Sector | None] = mapped_column(enum_type(Sector, "sector"))
    esol_level: Mapped[EsolLevel | None] = mapped_column(enum_type(EsolLevel, "esol_level", length=16))
    #: The skills the level applies to; empty means all four.
    esol_skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    is_accredited: Mapped[bool] = mapped_column(default=False)
    qualification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("qualification.id"), index=True)
    summary: Mapped[str] = mapped_column(LimitedText(2000), default="")
    #: RARPA stage 1: what the course sets out to do, and what learners will be able to do.
    aims: Mapped[str] = mapped_column(LimitedText(4000), default="")
    learning_outcomes: Mapped[str] = mapped_column(LimitedText(4000), default="")
    duration_weeks: Mapped[int | None]
    guided_hours: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 1))
    delivery_modes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    delivery_settings: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    integration_domains: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Completion rules: all that are set must be met.
    min_attendance_percent: Mapped[int | None]
    requires_signoff: Mapped[bool] = mapped_column(default=False)
    requires_assessment_pass: Mapped[bool] = mapped_column(default=False)
    required_certificate_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificate_type.id"))
    #: The DBS check its educators need at least (enhanced for placements and vulnerable groups);
    #: None: any current check.
    required_dbs_level: Mapped[DbsLevel | None] = mapped_column(enum_type(DbsLevel, "dbs_level", length=16))
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    qualification: Mapped[Qualification | None] = relationship()
    certificate_types: Mapped[list[CertificateType]] = relationship(
        secondary=course_certificate_type, order_by=CertificateType.name
    )
    required_certificate_type: Mapped[CertificateType | None] = relationship()
    translations: Mapped[list[CourseTranslation]] = relationship(
        cascade="all, delete-orphan", order_by=lambda: CourseTranslation.locale
    )

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "code"),
        sa.CheckConstraint(
            "min_attendance_percent IS NULL OR (min_attendance_percent BETWEEN 0 AND 100)",
            name="attendance_percent_range",
        ),
        sa.CheckConstraint("guided_hours IS NULL OR guided_hours >= 0", name="guided_hours_not_negative"),
        sa.CheckConstraint("duration_weeks IS NULL OR duration_weeks > 0", name="duration_positive"),
    )

    def translated(self, language_tags: list[str]) -> tuple[str, str, str | None]:
        """Title, summary and the tag they are in, for the first of `language_tags` we have."""
        by_locale = {translation.locale: translation for translation in self.translations}
        for tag in language_tags:
            for candidate in (tag, tag.split("-")[0]):
                if candidate in by_locale:
                    found = by_locale[candidate]
                    return found.title, found.summary or self.summary, candidate
        return self.title, self.summary, None


class CourseTranslation(Model):
    """A course's title and short description in a learner's language, written by a coordinator."""

    __tablename__ = "course_translation"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    #: BCP-47 tag: ar, fa-AF, ckb, ti ...
    locale: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(LimitedText(2000), default="")

    __table_args__ = (sa.UniqueConstraint("course_id", "locale"),)


class StepKind(TitledEnum):
    COURSE = "course"
    PLACEMENT = "placement"
    EXTERNAL_CERTIFICATE = "external_certificate"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.COURSE: _l("Course"),
            cls.PLACEMENT: _l("Work placement"),
            cls.EXTERNAL_CERTIFICATE: _l("External certificate"),
        }


class Pathway(Model):
    __tablename__ = "pathway"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(LimitedText(4000), default="")
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    steps: Mapped[list[PathwayStep]] = relationship(
        back_populates="pathway", cascade="all, delete-orphan", order_by=lambda: PathwayStep.position
    )

    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)


pathway_step_prerequisite = sa.Table(
    "pathway_step_prerequisite",
    db.metadata,
    sa.Column("step_id", sa.ForeignKey("pathway_step.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("required_step_id", sa.ForeignKey("pathway_step.id", ondelete="CASCADE"), primary_key=True),
    sa.CheckConstraint("step_id <> required_step_id", name="not_self"),
)


class PathwayStep(Model):
    """A course, placement or external certificate on a pathway, with its entry requirements."""

    __tablename__ = "pathway_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(sa.ForeignKey("pathway.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[StepKind] = mapped_column(enum_type(StepKind, "step_kind"))
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course.id"), index=True)
    certificate_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificate_type.id"), index=True)
    is_required: Mapped[bool] = mapped_column(default=True)
    #: With several prerequisites: True when any one completed is enough (branches joining again).
    prerequisites_any: Mapped[bool] = mapped_column(default=False)
    #: Minimum ESOL level per skill to start, e.g. {"speaking": "e2", "listening": "e2"}.
    min_esol_levels: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    eligibility_rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("eligibility_rule.id"))

    pathway: Mapped[Pathway] = relationship(back_populates="steps")
    course: Mapped[Course | None] = relationship()
    certificate_type: Mapped[CertificateType | None] = relationship()
    eligibility_rule: Mapped[EligibilityRule | None] = relationship()
    prerequisites: Mapped[list[PathwayStep]] = relationship(
        secondary=pathway_step_prerequisite,
        primaryjoin=lambda: PathwayStep.id == pathway_step_prerequisite.c.step_id,
        secondaryjoin=lambda: PathwayStep.id == pathway_step_prerequisite.c.required_step_id,
        order_by=lambda: PathwayStep.position,
    )

    __table_args__ = (
        sa.UniqueConstraint("pathway_id", "position"),
        sa.CheckConstraint(
            "(kind = 'external_certificate' AND certificate_type_id IS NOT NULL AND course_id IS NULL)"
            " OR (kind <> 'external_certificate' AND course_id IS NOT NULL AND certificate_type_id IS NULL)",
            name="target_matches_kind",
        ),
        sa.CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="age_band_in_order"),
    )

    @property
    def title(self) -> str:
        if self.course is not None:
            return self.course.title
        return self.certificate_type.name if self.certificate_type else ""


class PathwayMembership(Model):
    """A learner following a pathway."""

    __tablename__ = "pathway_membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(sa.ForeignKey("pathway.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    joined_date: Mapped[date]
    left_date: Mapped[date | None]

    pathway: Mapped[Pathway] = relationship()

    __table_args__ = (sa.UniqueConstraint("pathway_id", "learner_id"),)


class EligibilityCheck(Model):
    """A rule evaluated for a learner on a date when it was used, with the reasons, kept as evidence."""

    __tablename__ = "eligibility_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("eligibility_rule.id"), index=True)
    on_date: Mapped[date]
    passed: Mapped[bool]
    #: Structured reasons [{"code": ..., "passed": ..., "params": {...}}], rendered in the reader's language.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    #: What the check was for, e.g. "enrolment:42" or "manual".
    purpose: Mapped[str] = mapped_column(sa.String(50), default="manual")
    checked_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    rule: Mapped[EligibilityRule] = relationship()
