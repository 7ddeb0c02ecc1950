"""Writes for venues and cohorts. (Enrolment lives in enrolment.py.)"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from lms.core import audit
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.courses.models import Course, Programme
from lms.extensions import db
from lms.people.models import HOLIDAY_REGION_TITLES, Organisation, User
from lms.scheduling.cohorts.inputs import CohortInput, VenueInput
from lms.scheduling.models import Cohort, CohortStatus, Venue

MAX_COHORT_DAYS = 2 * 366


def _check_name_free(model: type[Venue] | type[Cohort], organisation: Organisation, name: str, current_id: int | None):
    query = sa.select(model.id).where(model.organisation_id == organisation.id, model.name == name)
    if current_id is not None:
        query = query.where(model.id != current_id)
    if db.session.scalar(query):
        raise ServiceError(_("This name is already used. Choose another."), field="name")


def save_venue(organisation: Organisation, data: VenueInput, actor: User, venue: Venue | None = None) -> Venue:
    if not data.name:
        raise ServiceError(_("Give the venue a name."), field="name")
    _check_name_free(Venue, organisation, data.name, venue.id if venue else None)
    if data.is_virtual and not data.meeting_url.startswith("https://"):
        raise ServiceError(_("A virtual room needs a meeting link starting with https://."), field="meeting_url")
    if data.capacity is not None and data.capacity <= 0:
        raise ServiceError(_("Capacity must be at least 1."), field="capacity")
    if data.holiday_region is not None and data.holiday_region not in HOLIDAY_REGION_TITLES:
        raise ServiceError(_("Choose from the list."), field="holiday_region")
    venue = venue or Venue(organisation_id=organisation.id)
    venue.holiday_region = data.holiday_region
    venue.name, venue.address = data.name, data.address
    venue.postcode = data.postcode.upper()
    venue.capacity, venue.step_free, venue.has_creche = data.capacity, data.step_free, data.has_creche
    venue.accessibility_notes = data.accessibility_notes
    venue.is_virtual, venue.meeting_url = data.is_virtual, data.meeting_url
    db.session.add(venue)
    db.session.flush()
    audit.record("venue.save", actor_id=actor.id, subject_type="venue", subject_id=venue.id)
    return venue


def _chosen_programme(organisation: Organisation, programme_id: int | None) -> Programme | None:
    if not programme_id:
        return None
    programme = db.session.get(Programme, programme_id)
    if programme is None or programme.organisation_id != organisation.id:
        raise ServiceError(_("Choose from the list."), field="programme_id")
    return programme


def _chosen_venue(organisation: Organisation, venue_id: int | None) -> Venue | None:
    if not venue_id:
        return None
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.organisation_id != organisation.id:
        raise ServiceError(_("Choose from the list."), field="venue_id")
    return venue


def _check_dates(data: CohortInput, programme: Programme | None) -> tuple[date, date]:
    """The cohort's dates, both given, in order and within the programme's grant period."""
    start, end = data.start_date, data.end_date
    if not start or not end:
        raise ServiceError(_("Enter the start and end dates."), field="start_date")
    if end < start:
        raise ServiceError(_("The end date must be on or after the start date."), field="end_date")
    if (end - start).days > MAX_COHORT_DAYS:
        raise ServiceError(_("A cohort cannot run for more than two years."), field="end_date")
    if programme is not None and (start < programme.start_date or end > programme.end_date):
        raise ServiceError(_("The cohort must run within the programme's grant period."), field="start_date")
    return start, end


def _check_places(data: CohortInput, venue: Venue | None, cohort: Cohort | None) -> None:
    capacity, creche, interpreter = data.capacity, data.creche_capacity, data.interpreter_capacity
    if not data.is_drop_in and capacity < 1:
        raise ServiceError(_("A cohort needs at least one place."), field="capacity")
    if min(capacity, creche, interpreter) < 0:
        raise ServiceError(_("Places cannot be negative."), field="capacity")
    if venue is not None:
        _check_venue_holds(data, venue)
    if cohort is not None and (
        capacity < cohort.places_taken
        or creche < cohort.creche_places_taken
        or interpreter < cohort.interpreter_places_taken
    ):
        raise ServiceError(
            _("%(count)d places are taken: withdraw learners before lowering the places.", count=cohort.places_taken),
            field="capacity",
        )


def _check_venue_holds(data: CohortInput, venue: Venue) -> None:
    if venue.capacity is not None and data.capacity > venue.capacity:
        raise ServiceError(
            _(
                "%(venue)s holds %(count)d people: reduce the places or choose a bigger room.",
                venue=venue.name,
                count=venue.capacity,
            ),
            field="capacity",
        )
    if data.creche_capacity and not venue.has_creche:
        raise ServiceError(_("%(venue)s has no crèche.", venue=venue.name), field="creche_capacity")


def save_cohort(organisation: Organisation, data: CohortInput, actor: User, cohort: Cohort | None = None) -> Cohort:
    if not data.name:
        raise ServiceError(_("Give the cohort a name."), field="name")
    _check_name_free(Cohort, organisation, data.name, cohort.id if cohort else None)
    course = db.session.get(Course, data.course_id or 0)
    if course is None or course.organisation_id != organisation.id:
        raise ServiceError(_("Choose the course."), field="course_id")
    programme = _chosen_programme(organisation, data.programme_id)
    venue = _chosen_venue(organisation, data.venue_id)
    start, end = _check_dates(data, programme)
    _check_places(data, venue, cohort)
    if not 1 <= data.offer_hours <= 720:
        raise ServiceError(_("Offers can stay open from 1 hour to 30 days."), field="offer_hours")

    cohort = cohort or Cohort(organisation_id=organisation.id)
    cohort.name, cohort.course, cohort.programme, cohort.venue = data.name, course, programme, venue
    cohort.start_date, cohort.end_date = start, end
    cohort.capacity, cohort.creche_capacity = data.capacity, data.creche_capacity
    cohort.interpreter_capacity = data.interpreter_capacity
    cohort.delivery_mode, cohort.delivery_setting = data.delivery_mode, data.delivery_setting
    cohort.status = data.status or cohort.status or CohortStatus.PLANNED
    cohort.is_drop_in, cohort.allow_late_joiners = data.is_drop_in, data.allow_late_joiners
    cohort.offer_hours = data.offer_hours
    cohort.what_to_bring = data.what_to_bring[:500]
    db.session.add(cohort)
    db.session.flush()
    audit.record("cohort.save", actor_id=actor.id, subject_type="cohort", subject_id=cohort.id)
    return cohort
