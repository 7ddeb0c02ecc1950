"""Factory functions with sensible defaults: `make_learner(given_name="...")`."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from lms.core.roles import Role
from lms.extensions import db
from lms.people import services
from lms.people.models import Learner, Organisation, OrganisationKind, User

_counter = itertools.count(1)
PASSWORD = "correct horse battery"  # noqa: S105


class FrozenClock:
    """A clock tests can set and move: `clock.now = ...`, `clock.advance(minutes=5)`."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def make_organisation(**overrides) -> Organisation:  # noqa: ANN003
    values = {"name": f"Organisation {next(_counter)}", "kind": OrganisationKind.PROVIDER}
    values.update(overrides)
    organisation = Organisation(**values)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def make_user(*, roles=(Role.COORDINATOR,), organisation: Organisation | None = None, **overrides) -> User:  # noqa: ANN001, ANN003
    n = next(_counter)
    values = {
        "display_name": f"User {n}",
        "email": f"user{n}@example.org",
        "password": PASSWORD,
    }
    values.update(overrides)
    return services.create_user(organisation=organisation or make_organisation(), roles=roles, **values)


def make_learner(*, organisation: Organisation | None = None, **overrides) -> Learner:  # noqa: ANN003
    n = next(_counter)
    values = {
        "given_name": f"Learner{n}",
        "family_name": "Test",
        "given_name_latin": f"Learner{n}",
        "family_name_latin": "Test",
    }
    values.update(overrides)
    return services.create_learner(organisation or make_organisation(), values, actor=None)
