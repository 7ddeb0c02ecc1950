"""Who may see and change which people: learners, users and organisations. The one place these
rules live; every predicate has its SQL filter for list queries and a loader that answers 404."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import abort

from lms.core.access import coordinator_filter, get_or_404, is_coordinator_of
from lms.core.roles import Role
from lms.people.models import Learner, Organisation, OrganisationKind, User, UserRole, VolunteerHours

# --- learners ------------------------------------------------------------------------------------


def can_view_learner(user: User, learner: Learner) -> bool:
    """Coordinators of the learner's organisation, the learner's own login, and the educators who
    teach one of the learner's cohorts (`teaches_learner`): names, contact, languages, needs and progress.

    Nobody but coordinators sees the sensitive tier (`can_view_sensitive`).
    """
    if learner.user_id is not None and learner.user_id == user.id:
        return True
    return is_coordinator_of(user, learner.organisation_id) or teaches_learner(user, learner)


def visible_learners(user: User) -> sa.ColumnElement[bool]:
    """`can_view_learner` as a WHERE clause over Learner."""
    return sa.or_(Learner.user_id == user.id, coordinator_filter(user, Learner.organisation_id), taught_learners(user))


# --- teaching: the rule is scheduling's, told at start-up ----------------------------------------
# People sits below scheduling, so it cannot ask who teaches whom. `create_app` registers scheduling's
# `teaches_learner` and `learners_taught_by` here; until then (and for nobody) the answer is no.

_teaching: dict[str, Callable] = {}


def register_teaching_rule(
    predicate: Callable[[User, Learner], bool], where: Callable[[User], sa.ColumnElement[bool]]
) -> None:
    _teaching["predicate"], _teaching["where"] = predicate, where


def teaches_learner(user: User, learner: Learner) -> bool:
    """The user teaches (or covers) a cohort the learner has a place on."""
    predicate = _teaching.get("predicate")
    return bool(predicate and predicate(user, learner))


def taught_learners(user: User) -> sa.ColumnElement[bool]:
    """`teaches_learner` as a WHERE clause over Learner."""
    where = _teaching.get("where")
    return where(user) if where else sa.false()


def can_add_learner(user: User) -> bool:
    """Coordinators add learners to their own organisation (the web page's role check, for the API)."""
    return user.is_admin or user.has_role(Role.COORDINATOR)


def can_edit_learner(user: User, learner: Learner) -> bool:
    return is_coordinator_of(user, learner.organisation_id)


def editable_learners(user: User) -> sa.ColumnElement[bool]:
    return coordinator_filter(user, Learner.organisation_id)


def can_view_sensitive(user: User, learner: Learner) -> bool:
    """Immigration status, health and access needs, conviction flag and safeguarding notes.

    Only the learner's own organisation's coordinators (and administrators) need them: they assess
    eligibility and keep people safe. Educators, funders and the learner's own login do not see them
    here; a learner's own copy comes through a subject-access export.
    """
    return can_edit_learner(user, learner)


def load_learner(learner_id: int | None, *, edit: bool = False) -> Learner:
    """The learner if the current user may see (with edit: change) their record; 404 otherwise."""
    return get_or_404(Learner, learner_id, can_edit_learner if edit else can_view_learner)


# --- users ---------------------------------------------------------------------------------------


def can_manage_user(user: User, other: User) -> bool:
    """Coordinators look after their organisation's accounts (calendar links, availability)."""
    return is_coordinator_of(user, other.organisation_id)


def manageable_users(user: User) -> sa.ColumnElement[bool]:
    return coordinator_filter(user, User.organisation_id)


def can_edit_user(user: User, other: User) -> bool:
    """Change an account (names, contact, roles), deactivate it, send it a password link: administrators
    any account, in any organisation; coordinators their organisation's, except administrators'."""
    return user.is_admin or (is_coordinator_of(user, other.organisation_id) and not other.is_admin)


def editable_users(user: User) -> sa.ColumnElement[bool]:
    if user.is_admin:
        return sa.true()
    admins = sa.select(UserRole.user_id).where(UserRole.role == Role.ADMIN)
    return sa.and_(coordinator_filter(user, User.organisation_id), User.id.not_in(admins))


def load_account(user_id: int | None, *, edit: bool = False) -> User:
    """The account if the current user looks after it (with edit: may change it); 404 otherwise."""
    return get_or_404(User, user_id, can_edit_user if edit else can_manage_user)


# --- educators' profiles -------------------------------------------------------------------------


def _is_educator(user: User) -> bool:
    return user.has_role(Role.EDUCATOR)


def _educator_filter() -> sa.ColumnElement[bool]:
    return User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == Role.EDUCATOR).correlate(None))


def can_view_educator(user: User, educator: User) -> bool:
    """An educator's profile, DBS certificate number included: her coordinators, and the educator herself.
    She also changes her own languages, availability and absences there, never her DBS check."""
    return _is_educator(educator) and (educator.id == user.id or is_coordinator_of(user, educator.organisation_id))


def viewable_educators(user: User) -> sa.ColumnElement[bool]:
    """`can_view_educator` as a WHERE clause over User."""
    return sa.and_(_educator_filter(), sa.or_(User.id == user.id, coordinator_filter(user, User.organisation_id)))


def can_manage_educator(user: User, educator: User) -> bool:
    """Her DBS check, subjects, volunteering and hours: coordinators of her organisation only."""
    return _is_educator(educator) and is_coordinator_of(user, educator.organisation_id)


def manageable_educators(user: User) -> sa.ColumnElement[bool]:
    return sa.and_(_educator_filter(), coordinator_filter(user, User.organisation_id))


def load_educator(user_id: int | None, *, manage: bool = False) -> User:
    """The educator if the current user may see (with manage: change) her profile; 404 otherwise."""
    return get_or_404(User, user_id, can_manage_educator if manage else can_view_educator)


def can_manage_volunteer_hours(user: User, row: VolunteerHours) -> bool:
    """Hours recorded for an educator follow her profile: her coordinators change them."""
    return can_manage_educator(user, row.user)


def load_volunteer_hours(hours_id: int | None, educator: User) -> VolunteerHours:
    """A row of `educator`'s recorded hours that the current user may change; 404 otherwise."""
    row = get_or_404(VolunteerHours, hours_id, can_manage_volunteer_hours)
    if row.user_id != educator.id:
        abort(404)
    return row


# --- organisations -------------------------------------------------------------------------------


def can_see_organisation(user: User, organisation: Organisation) -> bool:
    """Your own organisation; partners, funders and employers too for those who add learners (they
    are listed on coordinators' forms). Other providers stay hidden."""
    return organisation.id == user.organisation_id or (
        organisation.kind is not OrganisationKind.PROVIDER and can_add_learner(user)
    )


def visible_organisations(user: User) -> sa.ColumnElement[bool]:
    others = Organisation.kind != OrganisationKind.PROVIDER if can_add_learner(user) else sa.false()
    return sa.or_(Organisation.id == user.organisation_id, others)
