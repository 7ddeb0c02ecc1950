"""Who sees which reports: coordinators their organisation's programmes; funders only aggregates of the
programmes they fund, with small numbers suppressed."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from lms.core.access import coordinator_filter, get_or_404, is_coordinator_of
from lms.core.i18n import _, format_date
from lms.core.roles import Role
from lms.courses.models import Programme
from lms.people.models import User
from lms.reports.disclosure import shortest_funder_period


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


def period_problem(programme: Programme, start: date, end: date, *, protected: bool) -> str | None:
    """Why a reader may not have a return for these dates, in their language; None if they may.

    Every return lies within the grant (its outcomes are attributed to the grant's participants).
    Funders may not ask for less than a month: two long periods a day apart would show by their
    difference the people of that one day."""
    if end < start:
        return _("The end of the period is before its start.")
    if start < programme.start_date or end > programme.end_date:
        return _(
            "Choose dates within the grant, %(start)s to %(end)s.",
            start=format_date(programme.start_date, "long"),
            end=format_date(programme.end_date, "long"),
        )
    if protected and end < shortest_funder_period(start):
        return _("Returns for funders cover a month or more, so that nobody can be picked out by comparing periods.")
    return None
