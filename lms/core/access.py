"""Who may use a view, and the building blocks of every area's object rules.

Every view declares who may use it with one of the decorators here. A test walks `app.url_map` and
fails on any endpoint whose function declares nothing, so a new route cannot ship open by accident.

Object-level rules (may this user see this cohort?) live in each area's `access.py`: one predicate
and one SQL filter per object kind, built from the organisation-level checks below. Pages, the API,
exports and calendar downloads load objects through `get_or_404` with those rules. A user who may
not see an object gets 404, never 403, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from lms.core.inputs import parse_id
from lms.core.roles import Role
from lms.extensions import db

T = TypeVar("T")
ACCESS_ATTR = "__lms_access__"


def _declare(view: Callable, access: Any) -> Callable:
    setattr(view, ACCESS_ATTR, access)
    return view


def public(view: Callable) -> Callable:
    """Anyone, logged in or not (login page, health check, certificate verification)."""
    return _declare(view, "public")


def login_required(view: Callable) -> Callable:
    """Any logged-in user, whatever their role."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            from lms.extensions import login_manager

            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return _declare(wrapped, "authenticated")


def role_required(*roles: Role) -> Callable[[Callable], Callable]:
    """Users holding any of `roles`. Administrators pass every role check."""
    allowed = frozenset(roles) | {Role.ADMIN}

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from lms.extensions import login_manager

                return login_manager.unauthorized()
            if not current_user.roles & allowed:
                abort(403)
            return view(*args, **kwargs)

        return _declare(wrapped, tuple(sorted(allowed)))

    return decorator


def declared_access(view: Callable) -> Any:
    return getattr(view, ACCESS_ATTR, None)


# --- organisation-level checks, the bricks of the areas' object rules -----------------------------
# Each predicate has its SQL twin over an `organisation_id` column, so a list query and a check of one
# object cannot drift apart (tests/core/test_access_rules.py holds them to it).


def is_coordinator_of(user: Any, organisation_id: int | None) -> bool:
    """Administrators, and coordinators of the organisation."""
    return user.is_admin or (user.has_role(Role.COORDINATOR) and user.organisation_id == organisation_id)


def coordinator_filter(user: Any, organisation_id: Any) -> sa.ColumnElement[bool]:
    """`is_coordinator_of` as a WHERE clause over an `organisation_id` column."""
    if user.is_admin:
        return sa.true()
    if user.has_role(Role.COORDINATOR):
        return organisation_id == user.organisation_id
    return sa.false()


def is_staff_of(user: Any, organisation_id: int | None) -> bool:
    """Administrators, and coordinators and educators of the organisation."""
    return user.is_admin or (user.has_role(Role.COORDINATOR, Role.EDUCATOR) and user.organisation_id == organisation_id)


def staff_filter(user: Any, organisation_id: Any) -> sa.ColumnElement[bool]:
    """`is_staff_of` as a WHERE clause over an `organisation_id` column."""
    if user.is_admin:
        return sa.true()
    if user.has_role(Role.COORDINATOR, Role.EDUCATOR):
        return organisation_id == user.organisation_id
    return sa.false()


def get_or_404(model: type[T], object_id: Any, rule: Callable[[Any, T], bool], *, user: Any = None) -> T:
    """The object with this id if `rule(user, object)` allows it (the current user unless given); 404
    otherwise, whether it does not exist or may not be seen, so the two cannot be told apart.

    The one loader behind every area's `load_…` functions. The API turns the 404 into its problem
    details (`lms/api/core.py`).
    """
    # An id no database integer holds (a huge number in a URL or a form) cannot exist: 404, not an overflow.
    obj = db.session.get(model, object_id) if parse_id(object_id) else None
    if obj is None or not rule(user if user is not None else current_user, obj):
        abort(404)
    return obj
