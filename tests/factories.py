"""Factory functions with sensible defaults: `make_learner(given_name="...")`, `make_cohort(capacity=5)`.

They build through the same services the app uses (so places, audit and time zones are real) and flush,
never commit. Anything a factory needs and is not given it makes: `make_cohort()` alone brings its own
organisation, coordinator and course. Pass the objects a test cares about: `make_cohort(coordinator)`.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from lms.core.roles import Role
from lms.courses.inputs import ProgrammeInput
from lms.extensions import db
from lms.people import services
from lms.people.inputs import LearnerInput
from lms.people.models import Learner, Organisation, OrganisationKind, User
from lms.scheduling.cohorts.inputs import CohortInput, VenueInput

if TYPE_CHECKING:
    from lms.courses.models import Course, Programme
    from lms.scheduling.models import Cohort, Enrolment, EnrolmentStatus, Room, Session, Venue

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


def _owner(organisation: Organisation | None, actor: User | None) -> tuple[Organisation, User]:
    """The organisation and the coordinator acting for it, made where not given."""
    if actor is None:
        actor = make_user(organisation=organisation)
    return organisation or actor.organisation, actor


def make_course(organisation: Organisation | None = None, actor: User | None = None, **overrides) -> Course:  # noqa: ANN003
    from lms.courses import services as course_services
    from lms.courses.inputs import CourseInput

    organisation, actor = _owner(organisation, actor)
    n = next(_counter)
    values = {"code": f"C{n}", "title": f"Course {n}", "kind": "life_skills"}
    values.update(overrides)
    return course_services.save_course(organisation, CourseInput(**values), actor)


def make_programme(organisation: Organisation | None = None, actor: User | None = None, **overrides) -> Programme:  # noqa: ANN003
    """A grant programme over one April-to-March financial year."""
    from lms.courses import services as course_services

    organisation, actor = _owner(organisation, actor)
    values = {"name": f"Programme {next(_counter)}", "start_date": date(2026, 4, 1), "end_date": date(2027, 3, 31)}
    values.update(overrides)
    return course_services.save_programme(organisation, ProgrammeInput(**values), actor)


def make_venue(organisation: Organisation | None = None, actor: User | None = None, **overrides) -> Venue:  # noqa: ANN003
    from lms.scheduling.cohorts import services as scheduling_services

    organisation, actor = _owner(organisation, actor)
    values = {"name": f"Venue {next(_counter)}"}
    values.update(overrides)
    return scheduling_services.save_venue(organisation, VenueInput(**values), actor)


def make_room(venue: Venue, **overrides) -> Room:  # noqa: ANN003
    from lms.scheduling.models import Room

    values = {"name": f"Room {next(_counter)}"}
    values.update(overrides)
    room = Room(venue_id=venue.id, **values)
    db.session.add(room)
    db.session.flush()
    return room


def make_cohort(
    actor: User | None = None,
    *,
    organisation: Organisation | None = None,
    course: Course | None = None,
    **overrides,  # noqa: ANN003
) -> Cohort:
    """A cohort running through the 2026-27 academic year with 12 places, saved by `actor` (a coordinator).

    Overrides are the cohort form's fields: `capacity=1`, `status="open"`, `programme_id=...`, `venue_id=...`.
    Late joiners are refused unless `allow_late_joiners=True`, as the service does by default.
    """
    from lms.scheduling.cohorts import services as scheduling_services

    organisation, actor = _owner(organisation, actor)
    course = course or make_course(organisation, actor)
    values = {
        "name": f"Cohort {next(_counter)}",
        "course_id": course.id,
        "start_date": date(2026, 9, 1),
        "end_date": date(2027, 7, 31),
        "capacity": 12,
        "status": "running",
    }
    values.update(overrides)
    return scheduling_services.save_cohort(organisation, CohortInput(**values), actor)


def make_session(
    cohort: Cohort,
    actor: User | None = None,
    *,
    day: date = date(2026, 11, 25),
    start: time = time(9, 30),
    end: time = time(12),
    **options,  # noqa: ANN003
) -> Session:
    """One session on `day` from `start` to `end`, wall-clock times in the organisation's zone (Europe/London).

    Built by the timetable service, which turns them into aware UTC instants with zoneinfo, so a session
    after the clocks change keeps its local time. `options` are the service's: `venue_id`, `room_id`, ....
    The default day is the frozen clock's (Wednesday 25 November 2026).
    """
    from lms.scheduling.timetable import services as timetable

    actor = actor or make_user(organisation=cohort.organisation)
    return timetable.add_session(cohort, day, start, end, actor, **options)


def make_enrolment(
    cohort: Cohort,
    learner: Learner | None = None,
    *,
    actor: User | None = None,
    status: EnrolmentStatus | None = None,
    **options,  # noqa: ANN003
) -> Enrolment:
    """`learner` (a new one of the cohort's organisation by default) enrolled, or waitlisted if it is full.

    Enrolled through the service, with its checks and place counting, by `actor` (nobody: the learner's own
    request, by default); `options` are the service's own (`needs_creche`, `on`).
    With `status`, the row is written as it stands instead (history the service would refuse now, such as
    a completed place on a finished cohort); places are then not counted.
    """
    from lms.scheduling.cohorts import enrolment as enrolment_service
    from lms.scheduling.models import Enrolment

    learner = learner or make_learner(organisation=cohort.organisation)
    if status is not None:
        row = Enrolment(cohort_id=cohort.id, learner_id=learner.id, status=status, **options)
        db.session.add(row)
        db.session.flush()
        return row
    result = enrolment_service.enrol(cohort, learner, actor=actor, **options)
    assert result.enrolment is not None  # enrol() raises when it refuses
    return result.enrolment


def make_certificate_type(**overrides):  # noqa: ANN003, ANN201
    from lms.courses.models import CertificateKind, CertificateType

    values = {"name": f"Certificate {next(_counter)}", "kind": CertificateKind.EXTERNAL, "validity_months": 36}
    values.update(overrides)
    certificate_type = CertificateType(**values)
    db.session.add(certificate_type)
    db.session.flush()
    return certificate_type
