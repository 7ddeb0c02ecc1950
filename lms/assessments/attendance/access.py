"""Who may mark registers: one session's register, and a cohort's registers as a whole (the paper
register printed for venues with no signal is the cohort's next registers, so it follows that rule).

Reading a register (its marks, on the page or through the API) is the same circle as marking it: the
educators on the session (covering it too) and the organisation's coordinators. Teaching the cohort
(`lms/scheduling/access.py:teaches_cohort`) lets an educator read the cohort, not every register of it.
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.core.access import coordinator_filter, get_or_404, is_coordinator_of
from lms.core.roles import Role
from lms.people.models import User
from lms.scheduling.access import cohorts_taught_by, teaches_cohort
from lms.scheduling.models import Cohort, Session, SessionEducator


def can_mark(user: User, session: Session) -> bool:
    """Coordinators of the organisation, and the educators assigned to this session (covering it too)."""
    if is_coordinator_of(user, session.cohort.organisation_id):
        return True
    return (
        user.has_role(Role.EDUCATOR)
        and user.organisation_id == session.cohort.organisation_id
        and any(link.user_id == user.id for link in session.educator_links)
    )


def markable_sessions(user: User) -> sa.ColumnElement[bool]:
    """`can_mark` as a WHERE clause over Session."""
    coordinated = coordinator_filter(user, Cohort.organisation_id)
    if isinstance(coordinated, sa.True_):
        return coordinated
    own_cohorts = sa.select(Cohort.id).where(Cohort.organisation_id == user.organisation_id).correlate(None)
    if not isinstance(coordinated, sa.False_):  # a coordinator: every session of the organisation
        return Session.cohort_id.in_(own_cohorts)
    if not user.has_role(Role.EDUCATOR):
        return sa.false()
    assigned = sa.select(SessionEducator.session_id).where(SessionEducator.user_id == user.id).correlate(None)
    return sa.and_(Session.id.in_(assigned), Session.cohort_id.in_(own_cohorts))


def load_session_to_mark(session_id: int | None) -> Session:
    return get_or_404(Session, session_id, can_mark)


def can_mark_cohort(user: User, cohort: Cohort) -> bool:
    """The cohort's registers as a whole, and its paper register: coordinators of the organisation,
    and its educators (`teaches_cohort`: assigned to the cohort, or to or covering one of its sessions).

    An educator of the organisation who does not teach the cohort may not print its register, just as
    they may not mark it (docs/security.md).
    """
    return is_coordinator_of(user, cohort.organisation_id) or teaches_cohort(user, cohort)


def markable_cohorts(user: User) -> sa.ColumnElement[bool]:
    """`can_mark_cohort` as a WHERE clause over Cohort."""
    coordinated = coordinator_filter(user, Cohort.organisation_id)
    if isinstance(coordinated, sa.True_) or not user.has_role(Role.EDUCATOR):
        return coordinated
    return sa.or_(coordinated, cohorts_taught_by(user))


def load_cohort_to_mark(cohort_id: int | None) -> Cohort:
    return get_or_404(Cohort, cohort_id, can_mark_cohort)
