"""Who sees which reports: coordinators their organisation's programmes; funders only aggregates of the
programmes they fund, with small numbers suppressed."""

from __future__ import annotations

import sqlalchemy as sa

from lms.core.access import coordinator_filter, get_or_404, is_coordinator_of
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
    """A programme's funder return: coordinators of the programme's organisation, and funder viewers of
    the organisation that funds it (aggregates only, see `sees_individuals`)."""
    if is_coordinator_of(user, programme.organisation_id):
        return True
    return user.has_role(Role.FUNDER_VIEWER) and programme.funder_id == user.organisation_id


def visible_programmes(user: User) -> sa.ColumnElement[bool]:
    """`can_see_return` as a WHERE clause over Programme: the reports index, and any list of returns."""
    funded = Programme.funder_id == user.organisation_id if user.has_role(Role.FUNDER_VIEWER) else sa.false()
    return sa.or_(coordinator_filter(user, Programme.organisation_id), funded)


def load_return_programme(programme_id: int | None) -> Programme:
    """The programme whose return the current user asks for, or 404."""
    return get_or_404(Programme, programme_id, can_see_return)


def sees_individuals(user: User, programme: Programme) -> bool:
    """Funder viewers never see individuals, nor small numbers that could identify them."""
    return is_coordinator_of(user, programme.organisation_id)
