"""Who may see and change the curriculum: programmes, courses, pathways and eligibility rules.

All four are owned by one organisation and follow one rule, so they share one predicate, one SQL
filter and one loader. Learners read titles through the simple catalogue instead (`courses.catalogue`).
"""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa

from lms.core.access import coordinator_filter, get_or_404, is_coordinator_of, is_staff_of, staff_filter
from lms.courses.models import Course, EligibilityRule, Pathway, Programme
from lms.people.models import User

#: The curriculum kinds these rules cover (a pathway's steps are reached through their pathway).
CURRICULUM = (Programme, Course, Pathway, EligibilityRule)
Item = TypeVar("Item", bound=Programme | Course | Pathway | EligibilityRule)


def can_read_curriculum(user: User, item: Programme | Course | Pathway | EligibilityRule) -> bool:
    """Staff read their organisation's curriculum: the catalogue says nothing about learners, and
    educators plan from the whole of it, not only the courses they teach now."""
    return is_staff_of(user, item.organisation_id)


def readable_curriculum(user: User, model: type[Item]) -> sa.ColumnElement[bool]:
    """`can_read_curriculum` as a WHERE clause over `model` (one of CURRICULUM)."""
    return staff_filter(user, model.organisation_id)


def can_manage_curriculum(user: User, item: Programme | Course | Pathway | EligibilityRule) -> bool:
    """Coordinators change their own organisation's curriculum."""
    return is_coordinator_of(user, item.organisation_id)


def manageable_curriculum(user: User, model: type[Item]) -> sa.ColumnElement[bool]:
    return coordinator_filter(user, model.organisation_id)


def load_curriculum(model: type[Item], object_id: int | None, *, manage: bool = False) -> Item:
    """The programme, course, pathway or rule if the current user may see (with manage: change) it."""
    return get_or_404(model, object_id, can_manage_curriculum if manage else can_read_curriculum)
