"""Who may see and change cohorts and enrolments: one place for the scheduling area's object checks."""

from __future__ import annotations

from lms.core.roles import Role
from lms.people.models import User


def can_manage(user: User, organisation_id: int) -> bool:
    return user.is_admin or (user.has_role(Role.COORDINATOR) and user.organisation_id == organisation_id)


def can_read(user: User, organisation_id: int) -> bool:
    """Educators see their organisation's cohorts (assignment to sessions comes with scheduling)."""
    return user.is_admin or (user.has_role(Role.COORDINATOR, Role.EDUCATOR) and user.organisation_id == organisation_id)
