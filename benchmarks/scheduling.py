"""Generating a term of sessions with clash checks against many existing sessions.

The existing sessions are written in bulk through SQLAlchemy Core: `existing` sessions over a year,
spread across rooms, cohorts and educators, so every clash query has real neighbours to look through.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from benchmarks.timing import counting_queries, measure, report
from lms.core.roles import Role
from lms.courses import services as course_services
from lms.courses.inputs import CourseInput
from lms.extensions import db
from lms.people import services as people_services
from lms.people.models import Learner, OrganisationKind
from lms.scheduling.cohorts import services as scheduling_services
from lms.scheduling.cohorts.inputs import CohortInput, VenueInput
from lms.scheduling.models import Cohort, Enrolment, Room, Session, SessionEducator
from lms.scheduling.timetable import services as timetable
from lms.scheduling.timetable import staffing
from lms.scheduling.timetable.inputs import TimetableRuleInput


def seed(existing: int, seed_value: int = 1) -> dict:
    rng = random.Random(seed_value)
    organisation = people_services.create_organisation("Benchmark provider", OrganisationKind.PROVIDER)
    coordinator = people_services.create_user(
        organisation=organisation,
        display_name="Coordinator",
        email="bench-coordinator@example.org",
        roles=[Role.COORDINATOR],
    )
    educators = [
        people_services.create_user(
            organisation=organisation,
            display_name=f"Educator {n}",
            email=f"bench-educator-{n}@example.org",
            roles=[Role.EDUCATOR],
        )
        for n in range(60)
    ]
    venue = scheduling_services.save_venue(organisation, VenueInput(name="Benchmark centre"), coordinator)
    rooms = [Room(venue_id=venue.id, name=f"Room {n}") for n in range(40)]
    db.session.add_all(rooms)
    course = course_services.save_course(
        organisation,
        CourseInput.model_validate({"code": "BENCH", "title": "Benchmark course", "kind": "life_skills"}),
        coordinator,
    )
    cohort_rows = [
        {
            "organisation_id": organisation.id,
            "course_id": course.id,
            "name": f"Cohort {n}",
            "start_date": date(2026, 9, 1),
            "end_date": date(2027, 8, 31),
            "capacity": 12,
            "creche_capacity": 0,
            "interpreter_capacity": 0,
            "places_taken": 0,
            "creche_places_taken": 0,
            "interpreter_places_taken": 0,
            "delivery_mode": "group",
            "delivery_setting": "in_person",
            "status": "running",
            "is_drop_in": False,
            "allow_late_joiners": False,
            "offer_hours": 72,
            "created_dt": datetime.now(UTC),
        }
        for n in range(400)
    ]
    db.session.flush()
    cohort_ids = list(db.session.scalars(sa.insert(Cohort).returning(Cohort.id), cohort_rows))
    start_of_year = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    now = datetime.now(UTC)
    session_rows = []
    for _ in range(existing):
        start = start_of_year + timedelta(days=rng.randrange(365), hours=rng.randrange(8), minutes=rng.choice([0, 30]))
        session_rows.append(
            {
                "cohort_id": rng.choice(cohort_ids),
                "start_dt": start,
                "end_dt": start + timedelta(hours=2),
                "timezone": "Europe/London",
                "venue_id": venue.id,
                "room_id": rng.choice(rooms).id,
                "status": "scheduled",
                "cancel_reason": "",
                "is_moved": False,
                "needs_decision": False,
                "decision_note": "",
                "revision": 0,
                "created_dt": now,
                "updated_dt": now,
            }
        )
    session_ids = list(db.session.scalars(sa.insert(Session).returning(Session.id), session_rows))
    db.session.execute(
        sa.insert(SessionEducator),
        [{"session_id": session_id, "user_id": rng.choice(educators).id, "role": "lead"} for session_id in session_ids],
    )
    new_cohort = scheduling_services.save_cohort(
        organisation,
        CohortInput.model_validate(
            {
                "name": "New term cohort",
                "course_id": course.id,
                "start_date": date(2027, 1, 4),
                "end_date": date(2027, 3, 26),
                "capacity": 12,
                "status": "open",
                "venue_id": venue.id,
            }
        ),
        coordinator,
    )
    # Twelve learners in the new cohort, each also in five running cohorts, so the learner clash check
    # has real diaries to look through (an empty cohort would make it free).
    learner_ids = list(
        db.session.scalars(
            sa.insert(Learner).returning(Learner.id),
            [
                {"organisation_id": organisation.id, "given_name": f"Learner{n}", "created_dt": now, "updated_dt": now}
                for n in range(12)
            ],
        )
    )
    enrolments = [(new_cohort.id, learner_id) for learner_id in learner_ids]
    enrolments += [(cohort_id, lid) for lid in learner_ids for cohort_id in rng.sample(cohort_ids, 5)]
    db.session.execute(
        sa.insert(Enrolment),
        [
            {
                "cohort_id": cohort_id,
                "learner_id": learner_id,
                "status": "enrolled",
                "requested_dt": now,
                "status_changed_dt": now,
                "withdrawn_reason": "",
                "waiting_note": "",
            }
            for cohort_id, learner_id in enrolments
        ],
    )
    free_room = Room(venue_id=venue.id, name="Quiet room")
    db.session.add(free_room)
    db.session.flush()
    # An educator with a full daytime diary elsewhere, so the educator check has work to do.
    staffing.assign_to_cohort(new_cohort, educators[0], "lead", coordinator)
    db.session.commit()
    return {"coordinator": coordinator, "cohort": new_cohort, "room": free_room, "venue": venue}


def run(repeat: int = 30, existing: int = 20_000) -> list[str]:
    data = seed(existing)
    coordinator, cohort = data["coordinator"], data["cohort"]
    rule = timetable.save_rule(
        cohort,
        TimetableRuleInput.model_validate(
            {
                "weekdays": [1, 3],
                "start_time": time(18, 0),
                "end_time": time(20, 0),
                "venue_id": data["venue"].id,
                "room_id": data["room"].id,
            }
        ),
        coordinator,
    )
    db.session.commit()

    def generate_and_roll_back() -> None:
        timetable.generate(rule, coordinator, accept_learner_clashes=True)
        db.session.rollback()

    enrolled = db.session.scalar(sa.select(sa.func.count()).where(Enrolment.cohort_id == cohort.id))
    generate_and_roll_back()  # warm caches
    samples = measure(generate_and_roll_back, repeat)
    with counting_queries(db.engine) as counter:
        plan = timetable.generate(rule, coordinator, accept_learner_clashes=True)
    db.session.rollback()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Session))
    name = f"generate a term ({len(plan.create)} sessions, {enrolled} learners) vs {total:,} sessions"
    return [report(name, samples, counter["count"])]
