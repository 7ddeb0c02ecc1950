"""Who may see and change the curriculum: one place for the courses area's object checks."""

from __future__ import annotations

from lms.core.roles import Role
from lms.people.models import User


def can_manage(user: User, organisation_id: int) -> bool:
    """Coordinators change their own organisation's curriculum."""
    return user.is_admin or (user.has_role(Role.COORDINATOR) and user.organisation_id == organisation_id)


def can_read(user: User, organisation_id: int) -> bool:
    """Staff read their organisation's curriculum; learners use the simple catalogue instead."""
    return user.is_admin or (user.has_role(Role.COORDINATOR, Role.EDUCATOR) and user.organisation_id == organisation_id)
