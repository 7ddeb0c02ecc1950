"""Who sees which reports: coordinators their organisation's programmes; funders only aggregates of the
programmes they fund, with small numbers suppressed."""

from __future__ import annotations

from lms.core.roles import Role
from lms.courses.models import Programme
from lms.people.models import User

#: Figures under this are shown to funders as "<5", so nobody can be picked out.
SUPPRESS_BELOW = 5
#: Figures that are not counts of people, so never suppressed.
NOT_COUNTS = {"contact_hours", "attendance_rate", "sessions"}


def is_hidden(value: float, key: str = "") -> bool:
    """Whether a figure must be shown as "<5" to someone who may not see individuals."""
    return key not in NOT_COUNTS and 0 < value < SUPPRESS_BELOW


def can_see_return(user: User, programme: Programme) -> bool:
    if user.is_admin:
        return True
    if user.has_role(Role.COORDINATOR) and user.organisation_id == programme.organisation_id:
        return True
    return user.has_role(Role.FUNDER_VIEWER) and programme.funder_id == user.organisation_id


def sees_individuals(user: User, programme: Programme) -> bool:
    """Funder viewers never see individuals, nor small numbers that could identify them."""
    return user.is_admin or (user.has_role(Role.COORDINATOR) and user.organisation_id == programme.organisation_id)
