"""A deterministic data generator for benchmarks: `lms bench-data --tier S|M|L --seed N`.

Written in bulk through SQLAlchemy Core. Every cohort has 24 sessions; its size sets the marks per
session: tier S (one charity) 500 learners, 20 educators, 40 cohorts, ~1,000 sessions, ~24,000 marks;
tier M (a regional partnership over 3 years) 15,000 learners, 150 educators, 900 cohorts, ~21,600
sessions, ~720,000 marks; tier L (national headroom, PostgreSQL) ten times M. Pathological cases are
added on top: a learner in 8 cohorts, an educator with 1,000 sessions, a cohort of 60 learners and 36
sessions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from lms.assessments.attendance.models import AttendanceMark
from lms.courses.models import Course, Programme
from lms.extensions import db
from lms.people.models import EducatorProfile, Learner, Organisation, User, UserRole
from lms.scheduling.models import Cohort, Enrolment, Session, SessionEducator, Venue

TIERS = {
    "S": {"learners": 500, "educators": 20, "cohorts": 40, "cohort_size": 24, "years": 1},
    "M": {"learners": 15_000, "educators": 150, "cohorts": 900, "cohort_size": 33, "years": 3},
    "L": {"learners": 150_000, "educators": 1_500, "cohorts": 9_000, "cohort_size": 33, "years": 3},
}
SESSIONS_PER_COHORT = 24
PASSWORD = "benchmark-password"  # noqa: S105 - benchmark data only


@dataclass
class Generated:
    organisation_id: int
    programme_id: int
    coordinator_id: int
    busy_educator_id: int
    busy_learner_id: int
    big_cohort_id: int
    big_session_id: int
    start: date
    end: date
    counts: dict


def _batches(rows: list[dict], size: int = 5000):  # noqa: ANN202
    for index in range(0, len(rows), size):
        yield rows[index : index + size]


def _insert(table, rows: list[dict], returning=None) -> list:  # noqa: ANN001
    ids = []
    for batch in _batches(rows):
        if returning is not None:
            ids.extend(db.session.scalars(sa.insert(table).returning(returning), batch))
        else:
            db.session.execute(sa.insert(table), batch)
    return ids


def generate(tier: str, seed: int = 1) -> Generated:
    spec = TIERS[tier]
    rng = random.Random(seed)
    now = datetime(2026, 11, 25, 9, tzinfo=UTC)
    start = date(2026, 11, 25) - timedelta(days=365 * spec["years"])
    password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")

    organisation_id = db.session.scalar(
        sa.insert(Organisation).returning(Organisation.id),
        {
            "name": f"Benchmark partnership {tier}{seed}",
            "kind": "provider",
            "timezone": "Europe/London",
            "holiday_region": "ENG",
            "is_active": True,
            "created_dt": now,
        },
    )
    programme_id = db.session.scalar(
        sa.insert(Programme).returning(Programme.id),
        {
            "organisation_id": organisation_id,
            "name": "Benchmark programme",
            "start_date": start,
            "end_date": date(2027, 12, 31),
            "strands": [],
            "reporting_scheme": "april_march_quarters",
            "allowed_referral_sources": [],
            "description": "",
            "is_archived": False,
            "created_dt": now,
        },
    )
    course_ids = _insert(
        Course,
        [
            {
                "organisation_id": organisation_id,
                "code": f"B{n}",
                "title": f"Benchmark course {n}",
                "kind": "life_skills",
                "esol_skills": [],
                "is_accredited": False,
                "summary": "",
                "aims": "",
                "learning_outcomes": "",
                "delivery_modes": [],
                "delivery_settings": [],
                "integration_domains": [],
                "requires_signoff": False,
                "requires_assessment_pass": False,
                "is_archived": False,
                "created_dt": now,
                "updated_dt": now,
            }
            for n in range(20)
        ],
        Course.id,
    )
    venue_ids = _insert(
        Venue,
        [
            {
                "organisation_id": organisation_id,
                "name": f"Venue {n}",
                "address": f"{n} High Street, Leicester",
                "postcode": "LE1 1AA",
                "step_free": True,
                "has_creche": False,
                "accessibility_notes": "",
                "is_virtual": False,
                "meeting_url": "",
                "is_archived": False,
            }
            for n in range(max(5, spec["cohorts"] // 20))
        ],
        Venue.id,
    )

    user_rows = [
        {
            "organisation_id": organisation_id,
            "display_name": "Benchmark Coordinator",
            "email": f"coordinator-{tier.lower()}{seed}@bench.example",
            "password_hash": password,
            "is_active": True,
            "created_dt": now,
        }
    ]
    user_rows += [
        {
            "organisation_id": organisation_id,
            "display_name": f"Educator {n}",
            "email": f"educator-{tier.lower()}{seed}-{n}@bench.example",
            "password_hash": password,
            "is_active": True,
            "created_dt": now,
        }
        for n in range(spec["educators"])
    ]
    user_ids = _insert(User, user_rows, User.id)
    coordinator_id, educator_ids = user_ids[0], user_ids[1:]
    _insert(
        UserRole,
        [{"user_id": coordinator_id, "role": "coordinator"}]
        + [{"user_id": uid, "role": "educator"} for uid in educator_ids],
    )
    _insert(
        EducatorProfile,
        [
            {"user_id": uid, "languages": "en", "qualifications": "", "skills": "", "is_volunteer": False}
            for uid in educator_ids
        ],
    )

    learner_ids = _insert(
        Learner,
        [
            {
                "organisation_id": organisation_id,
                "given_name": f"Learner{n}",
                "family_name": "Bench",
                "given_name_latin": f"Learner{n}",
                "family_name_latin": "Bench",
                "sex": rng.choice(["female", "male"]),
                "nationality": rng.choice(["SY", "AF", "ER", "UA", "IR", "SD"]),
                "preferred_languages": "ar en",
                "interpreter_needed": False,
                "first_language_literacy": "unknown",
                "childcare_needs": "",
                "referral_source": "Benchmark referrer",
                "date_of_birth": date(1970 + n % 35, 1 + n % 12, 1 + n % 28),
                "created_dt": now,
                "updated_dt": now,
            }
            for n in range(spec["learners"])
        ],
        Learner.id,
    )

    # Cohorts spread over the years, each 12 weeks of Tuesdays and Thursdays.
    cohort_rows, cohort_starts = [], []
    span = (date(2026, 11, 25) - start).days - 84  # most cohorts have finished; the last few are running
    busy_count = 1000 // SESSIONS_PER_COHORT + 1  # the busy educator's cohorts, on top of the tier's
    for n in range(spec["cohorts"] + busy_count):
        if n < busy_count:  # running now and starting over the coming year, so all are in their feed
            first = date(2026, 11, 25) - timedelta(days=28) + timedelta(days=7 * n)
        elif n >= spec["cohorts"] + busy_count - 8:  # the last few are running now (the busy learner's)
            first = date(2026, 11, 25) - timedelta(days=rng.randrange(60))
        else:
            first = start + timedelta(days=rng.randrange(span))
        first -= timedelta(days=first.weekday() - 1)  # a Tuesday
        cohort_starts.append(first)
        cohort_rows.append(
            {
                "organisation_id": organisation_id,
                "course_id": rng.choice(course_ids),
                "programme_id": programme_id,
                "venue_id": rng.choice(venue_ids),
                "name": f"Cohort {n}",
                "start_date": first,
                "end_date": first + timedelta(weeks=12),
                "capacity": spec["cohort_size"] + 5,
                "creche_capacity": 0,
                "interpreter_capacity": 0,
                "places_taken": spec["cohort_size"],
                "creche_places_taken": 0,
                "interpreter_places_taken": 0,
                "delivery_mode": "group",
                "delivery_setting": "in_person",
                "status": "running",
                "is_drop_in": False,
                "allow_late_joiners": False,
                "offer_hours": 72,
                "what_to_bring": "",
                "created_dt": now,
            }
        )
    cohort_ids = _insert(Cohort, cohort_rows, Cohort.id)

    busy_educator = educator_ids[0]
    session_rows, session_meta = [], []
    for cohort_id, first, row in zip(cohort_ids, cohort_starts, cohort_rows, strict=True):
        for number in range(SESSIONS_PER_COHORT):
            day = first + timedelta(days=(number // 2) * 7 + (number % 2) * 2)
            begin = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
            session_rows.append(
                {
                    "cohort_id": cohort_id,
                    "start_dt": begin,
                    "end_dt": begin + timedelta(hours=2),
                    "timezone": "Europe/London",
                    "venue_id": row["venue_id"],
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
            session_meta.append((cohort_id, begin))
    session_ids = _insert(Session, session_rows, Session.id)
    sessions_by_cohort: dict[int, list[tuple[int, datetime]]] = {}
    for session_id, (cohort_id, begin) in zip(session_ids, session_meta, strict=True):
        sessions_by_cohort.setdefault(cohort_id, []).append((session_id, begin))
    # Each cohort's educator; the busy one teaches enough cohorts for 1,000 sessions.
    busy_cohorts = set(cohort_ids[:busy_count])
    educator_rows = []
    for cohort_id in cohort_ids:
        educator = busy_educator if cohort_id in busy_cohorts else rng.choice(educator_ids[1:] or educator_ids)
        educator_rows += [
            {"session_id": sid, "user_id": educator, "role": "lead"} for sid, _ in sessions_by_cohort[cohort_id]
        ]
    _insert(SessionEducator, educator_rows)

    enrolment_rows, mark_rows = [], []
    cursor = 0
    for cohort_id in cohort_ids:
        members = [learner_ids[(cursor + k) % len(learner_ids)] for k in range(spec["cohort_size"])]
        cursor += spec["cohort_size"]
        for learner_id in members:
            enrolment_rows.append(_enrolment(cohort_id, learner_id, now))
        for session_id, begin in sessions_by_cohort[cohort_id]:
            if begin >= now:
                continue
            for learner_id in members:
                mark_rows.append(_mark(session_id, learner_id, rng, now))
    # The pathological learner is in 8 cohorts (the last eight, so their feed has sessions to come).
    busy_learner = learner_ids[-1]
    enrolled_pairs = {(row["cohort_id"], row["learner_id"]) for row in enrolment_rows}
    for cohort_id in cohort_ids[-8:]:
        if (cohort_id, busy_learner) not in enrolled_pairs:
            enrolment_rows.append(_enrolment(cohort_id, busy_learner, now))
    _insert(Enrolment, enrolment_rows)
    _insert(AttendanceMark, mark_rows)

    # A cohort of 60 learners and 36 sessions, one of them today for the register benchmark.
    big_start = date(2026, 9, 1)
    big_id = db.session.scalar(
        sa.insert(Cohort).returning(Cohort.id),
        {
            **cohort_rows[0],
            "name": "Big cohort",
            "start_date": big_start,
            "end_date": date(2027, 3, 1),
            "capacity": 60,
            "places_taken": 60,
        },
    )
    big_sessions = []
    for number in range(36):
        begin = datetime(2026, 11, 25, 9, tzinfo=UTC) - timedelta(days=7 * (35 - number) // 2)
        big_sessions.append(
            {
                "cohort_id": big_id,
                "start_dt": begin,
                "end_dt": begin + timedelta(hours=2),
                "timezone": "Europe/London",
                "venue_id": venue_ids[0],
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
    big_session_ids = _insert(Session, big_sessions, Session.id)
    _insert(
        SessionEducator, [{"session_id": sid, "user_id": busy_educator, "role": "support"} for sid in big_session_ids]
    )
    _insert(Enrolment, [_enrolment(big_id, learner_id, now) for learner_id in learner_ids[:60]])
    db.session.commit()
    # Give the planner statistics, as autovacuum would on a live database after a bulk load.
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return Generated(
        organisation_id,
        programme_id,
        coordinator_id,
        busy_educator,
        busy_learner,
        big_id,
        big_session_ids[-1],
        start,
        date(2026, 11, 25),
        {
            "learners": len(learner_ids),
            "educators": len(educator_ids),
            "cohorts": len(cohort_ids) + 1,
            "sessions": len(session_ids) + len(big_session_ids),
            "marks": len(mark_rows),
        },
    )


def _enrolment(cohort_id: int, learner_id: int, now: datetime) -> dict:
    return {
        "cohort_id": cohort_id,
        "learner_id": learner_id,
        "status": "enrolled",
        "needs_creche": False,
        "needs_interpreter": False,
        "requested_dt": now,
        "status_changed_dt": now,
        "withdrawn_reason": "",
        "waiting_note": "",
    }


def _mark(session_id: int, learner_id: int, rng: random.Random, now: datetime) -> dict:
    roll = rng.random()
    status = "present" if roll < 0.8 else ("late" if roll < 0.88 else ("absent_notified" if roll < 0.94 else "absent"))
    minutes = 120 if status == "present" else (105 if status == "late" else 0)
    return {
        "session_id": session_id,
        "learner_id": learner_id,
        "status": status,
        "minutes_late": 15 if status == "late" else 0,
        "minutes_left_early": 0,
        "minutes_attended": minutes,
        "note": "",
        "source": "register",
        "marked_dt": now,
    }
