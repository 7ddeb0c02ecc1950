"""Factory functions with sensible defaults: `make_learner(given_name="...")`."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from lms.core.roles import Role
from lms.extensions import db
from lms.people import services
from lms.people.inputs import LearnerInput
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
    return services.create_learner(organisation or make_organisation(), LearnerInput(**values), actor=None)


def make_course(organisation: Organisation, actor: User, **overrides):  # noqa: ANN003, ANN201
    from lms.courses import services as course_services
    from lms.courses.inputs import CourseInput

    n = next(_counter)
    values = {"code": f"C{n}", "title": f"Course {n}", "kind": "life_skills"}
    values.update(overrides)
    return course_services.save_course(organisation, CourseInput(**values), actor)


def make_certificate_type(**overrides):  # noqa: ANN003, ANN201
    from lms.courses.models import CertificateKind, CertificateType

    values = {"name": f"Certificate {next(_counter)}", "kind": CertificateKind.EXTERNAL, "validity_months": 36}
    values.update(overrides)
    certificate_type = CertificateType(**values)
    db.session.add(certificate_type)
    db.session.flush()
    return certificate_type
