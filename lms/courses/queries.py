"""Reads for the curriculum that views (and later reports and the API) share."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lms.courses.models import (
    CertificateType,
    Course,
    EligibilityRule,
    Pathway,
    PathwayMembership,
    PathwayStep,
    Programme,
    Qualification,
)
from lms.extensions import db
from lms.people.models import Learner, Organisation, OrganisationKind


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def programmes_select(organisation_id: int, search: str = "", archived: bool = False) -> sa.Select:
    query = (
        sa.select(Programme)
        .where(Programme.organisation_id == organisation_id, Programme.is_archived.is_(archived))
        .options(selectinload(Programme.funder))
        .order_by(Programme.start_date.desc(), Programme.name)
    )
    if search:
        query = query.where(Programme.name.ilike(_like(search), escape="\\"))
    return query


def courses_select(
    organisation_id: int, *, search: str = "", kind: str = "", level: str = "", archived: bool = False
) -> sa.Select:
    query = (
        sa.select(Course)
        .where(Course.organisation_id == organisation_id, Course.is_archived.is_(archived))
        .options(selectinload(Course.translations))
        .order_by(Course.kind, Course.esol_level, Course.title)
    )
    if search:
        pattern = _like(search)
        query = query.where(
            sa.or_(
                Course.title.ilike(pattern, escape="\\"),
                Course.code.ilike(pattern, escape="\\"),
                Course.summary.ilike(pattern, escape="\\"),
            )
        )
    if kind:
        query = query.where(Course.kind == kind)
    if level:
        query = query.where(Course.esol_level == level)
    return query


def pathways_of(organisation_id: int, archived: bool = False) -> list[Pathway]:
    return list(
        db.session.scalars(
            sa.select(Pathway)
            .where(Pathway.organisation_id == organisation_id, Pathway.is_archived.is_(archived))
            .options(
                selectinload(Pathway.steps).selectinload(PathwayStep.course),
                selectinload(Pathway.steps).selectinload(PathwayStep.certificate_type),
            )
            .order_by(Pathway.name)
        )
    )


def pathway_with_steps(pathway_id: int) -> Pathway | None:
    return db.session.scalar(
        sa.select(Pathway)
        .where(Pathway.id == pathway_id)
        .options(
            selectinload(Pathway.steps).selectinload(PathwayStep.course),
            selectinload(Pathway.steps).selectinload(PathwayStep.certificate_type),
            selectinload(Pathway.steps).selectinload(PathwayStep.prerequisites),
        )
    )


def rules_of(organisation_id: int, include_archived: bool = False) -> list[EligibilityRule]:
    query = sa.select(EligibilityRule).where(EligibilityRule.organisation_id == organisation_id)
    if not include_archived:
        query = query.where(EligibilityRule.is_archived.is_(False))
    return list(db.session.scalars(query.order_by(EligibilityRule.name)))


def rules_by_id(organisation_id: int) -> dict[int, EligibilityRule]:
    return {rule.id: rule for rule in rules_of(organisation_id, include_archived=True)}


def organisations_of_kind(*kinds: OrganisationKind) -> list[Organisation]:
    return list(
        db.session.scalars(sa.select(Organisation).where(Organisation.kind.in_(kinds)).order_by(Organisation.name))
    )


def qualifications() -> list[Qualification]:
    return list(db.session.scalars(sa.select(Qualification).order_by(Qualification.awarding_body, Qualification.title)))


def certificate_types() -> list[CertificateType]:
    return list(db.session.scalars(sa.select(CertificateType).order_by(CertificateType.name)))


def active_courses(organisation_id: int) -> list[Course]:
    return list(db.session.scalars(courses_select(organisation_id)))


def members_of(pathway_id: int) -> list[Learner]:
    return list(
        db.session.scalars(
            sa.select(Learner)
            .join(PathwayMembership, PathwayMembership.learner_id == Learner.id)
            .where(PathwayMembership.pathway_id == pathway_id, PathwayMembership.left_date.is_(None))
            .order_by(Learner.family_name_latin, Learner.given_name_latin, Learner.id)
        )
    )


def pathways_of_learner(learner_id: int) -> list[Pathway]:
    return list(
        db.session.scalars(
            sa.select(Pathway)
            .join(PathwayMembership, PathwayMembership.pathway_id == Pathway.id)
            .where(PathwayMembership.learner_id == learner_id, PathwayMembership.left_date.is_(None))
            .options(
                selectinload(Pathway.steps).selectinload(PathwayStep.course).selectinload(Course.translations),
                selectinload(Pathway.steps).selectinload(PathwayStep.certificate_type),
                selectinload(Pathway.steps).selectinload(PathwayStep.prerequisites),
            )
            .order_by(Pathway.name)
        )
    )
