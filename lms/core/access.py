"""Who may use a view. Every view function declares it with one of these decorators.

A test walks `app.url_map` and fails on any endpoint whose function declares nothing, so a new route
cannot ship open by accident. Object-level checks (may this user see this learner?) live in each
area's `access.py`; a view that fails one answers 404, never 403, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from lms.core.roles import Role

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
