"""Who may see and change which people. The one place these rules live for the people area."""

from __future__ import annotations

from lms.core.roles import Role
from lms.people.models import Learner, User


def can_view_learner(user: User, learner: Learner) -> bool:
    if user.is_admin:
        return True
    if learner.user_id is not None and learner.user_id == user.id:
        return True
    # Educators reach learners through the cohorts they teach (added with cohorts), not the whole list.
    return user.has_role(Role.COORDINATOR) and learner.organisation_id == user.organisation_id


def can_add_learner(user: User) -> bool:
    """Coordinators add learners to their own organisation (the web page's role check, for the API)."""
    return user.is_admin or user.has_role(Role.COORDINATOR)


def can_edit_learner(user: User, learner: Learner) -> bool:
    if user.is_admin:
        return True
    return user.has_role(Role.COORDINATOR) and learner.organisation_id == user.organisation_id


def can_view_sensitive(user: User, learner: Learner) -> bool:
    """Immigration status, health and access needs, conviction flag and safeguarding notes.

    Only the learner's own organisation's coordinators (and administrators) need them: they assess
    eligibility and keep people safe. Educators, funders and the learner's own login do not see them
    here; a learner's own copy comes through a subject-access export.
    """
    return can_edit_learner(user, learner)
