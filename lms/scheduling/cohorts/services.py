"""Writes for venues and cohorts. (Enrolment lives in enrolment.py.)"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lms.core import audit
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.courses.models import Course, DeliveryMode, DeliverySetting, Programme
from lms.extensions import db
from lms.people.models import Organisation, User
from lms.scheduling.models import Cohort, CohortStatus, Venue

MAX_COHORT_DAYS = 2 * 366


def save_venue(organisation: Organisation, data: dict[str, Any], actor: User, venue: Venue | None = None) -> Venue:
    name = (data.get("name") or "").strip()
    if not name:
        raise ServiceError(_("Give the venue a name."), field="name")
    query = sa.select(Venue.id).where(Venue.organisation_id == organisation.id, Venue.name == name)
    if venue is not None:
        query = query.where(Venue.id != venue.id)
    if db.session.scalar(query):
        raise ServiceError(_("This name is already used. Choose another."), field="name")
    is_virtual = bool(data.get("is_virtual"))
    meeting_url = (data.get("meeting_url") or "").strip()
    if is_virtual and not meeting_url.startswith("https://"):
        raise ServiceError(_("A virtual room needs a meeting link starting with https://."), field="meeting_url")
    capacity = data.get("capacity")
    if capacity is not None and capacity <= 0:
        raise ServiceError(_("Capacity must be at least 1."), field="capacity")
    venue = venue or Venue(organisation_id=organisation.id)
    venue.name, venue.address = name, (data.get("address") or "").strip()
    venue.postcode = (data.get("postcode") or "").strip().upper()
    venue.capacity, venue.step_free, venue.has_creche = (
        capacity,
        bool(data.get("step_free")),
        bool(data.get("has_creche")),
    )
    venue.accessibility_notes = (data.get("accessibility_notes") or "").strip()
    venue.is_virtual, venue.meeting_url = is_virtual, meeting_url
    db.session.add(venue)
    db.session.flush()
    audit.record("venue.save", actor_id=actor.id, subject_type="venue", subject_id=venue.id)
    return venue


def save_cohort(organisation: Organisation, data: dict[str, Any], actor: User, cohort: Cohort | None = None) -> Cohort:
    name = (data.get("name") or "").strip()
    if not name:
        raise ServiceError(_("Give the cohort a name."), field="name")
    query = sa.select(Cohort.id).where(Cohort.organisation_id == organisation.id, Cohort.name == name)
    if cohort is not None:
        query = query.where(Cohort.id != cohort.id)
    if db.session.scalar(query):
        raise ServiceError(_("This name is already used. Choose another."), field="name")
    course = db.session.get(Course, int(data.get("course_id") or 0))
    if course is None or course.organisation_id != organisation.id:
        raise ServiceError(_("Choose the course."), field="course_id")
    programme = None
    if data.get("programme_id"):
        programme = db.session.get(Programme, int(data["programme_id"]))
        if programme is None or programme.organisation_id != organisation.id:
            raise ServiceError(_("Choose from the list."), field="programme_id")
    venue = None
    if data.get("venue_id"):
        venue = db.session.get(Venue, int(data["venue_id"]))
        if venue is None or venue.organisation_id != organisation.id:
            raise ServiceError(_("Choose from the list."), field="venue_id")
    start, end = data.get("start_date"), data.get("end_date")
    if not start or not end:
        raise ServiceError(_("Enter the start and end dates."), field="start_date")
    if end < start:
        raise ServiceError(_("The end date must be on or after the start date."), field="end_date")
    if (end - start).days > MAX_COHORT_DAYS:
        raise ServiceError(_("A cohort cannot run for more than two years."), field="end_date")
    if programme is not None and (start < programme.start_date or end > programme.end_date):
        raise ServiceError(_("The cohort must run within the programme's grant period."), field="start_date")
    is_drop_in = bool(data.get("is_drop_in"))
    capacity = data.get("capacity") or 0
    creche, interpreter = data.get("creche_capacity") or 0, data.get("interpreter_capacity") or 0
    if not is_drop_in and capacity < 1:
        raise ServiceError(_("A cohort needs at least one place."), field="capacity")
    if min(capacity, creche, interpreter) < 0:
        raise ServiceError(_("Places cannot be negative."), field="capacity")
    if venue is not None and venue.capacity is not None and capacity > venue.capacity:
        raise ServiceError(
            _(
                "%(venue)s holds %(count)d people: reduce the places or choose a bigger room.",
                venue=venue.name,
                count=venue.capacity,
            ),
            field="capacity",
        )
    if creche and venue is not None and not venue.has_creche:
        raise ServiceError(_("%(venue)s has no crèche.", venue=venue.name), field="creche_capacity")
    if cohort is not None and (
        capacity < cohort.places_taken
        or creche < cohort.creche_places_taken
        or interpreter < cohort.interpreter_places_taken
    ):
        raise ServiceError(
            _("%(count)d places are taken: withdraw learners before lowering the places.", count=cohort.places_taken),
            field="capacity",
        )
    offer_hours = data.get("offer_hours") or 72
    if not 1 <= offer_hours <= 720:
        raise ServiceError(_("Offers can stay open from 1 hour to 30 days."), field="offer_hours")

    cohort = cohort or Cohort(organisation_id=organisation.id)
    cohort.name, cohort.course, cohort.programme, cohort.venue = name, course, programme, venue
    cohort.start_date, cohort.end_date = start, end
    cohort.capacity, cohort.creche_capacity, cohort.interpreter_capacity = capacity, creche, interpreter
    cohort.delivery_mode = DeliveryMode(data.get("delivery_mode") or DeliveryMode.GROUP)
    cohort.delivery_setting = DeliverySetting(data.get("delivery_setting") or DeliverySetting.IN_PERSON)
    cohort.status = CohortStatus(data.get("status") or cohort.status or CohortStatus.PLANNED)
    cohort.is_drop_in, cohort.allow_late_joiners = is_drop_in, bool(data.get("allow_late_joiners"))
    cohort.offer_hours = offer_hours
    cohort.what_to_bring = (data.get("what_to_bring") or "").strip()[:500]
    db.session.add(cohort)
    db.session.flush()
    audit.record("cohort.save", actor_id=actor.id, subject_type="cohort", subject_id=cohort.id)
    return cohort
