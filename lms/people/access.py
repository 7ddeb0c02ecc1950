"""Who may see and change which people: learners, users and organisations. The one place these
rules live; every predicate has its SQL filter for list queries and a loader that answers 404."""

from __future__ import annotations

import sqlalchemy as sa

from lms.core.access import coordinator_filter, get_or_404, is_coordinator_of
from lms.core.roles import Role
from lms.people.models import Learner, Organisation, OrganisationKind, User, UserRole

# --- learners ------------------------------------------------------------------------------------


def can_view_learner(user: User, learner: Learner) -> bool:
    """Coordinators of the learner's organisation, and the learner's own login.

    Educators reach learners only through the rosters and registers of the cohorts and sessions they
    teach (`lms/scheduling/access.py`, `lms/assessments/attendance/access.py`), never the learner record:
    names and the crèche and interpreter needs of a place are what teaching needs.
    """
    if learner.user_id is not None and learner.user_id == user.id:
        return True
    return is_coordinator_of(user, learner.organisation_id)


def visible_learners(user: User) -> sa.ColumnElement[bool]:
    """`can_view_learner` as a WHERE clause over Learner."""
    return sa.or_(Learner.user_id == user.id, coordinator_filter(user, Learner.organisation_id))


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
