"""A deterministic data generator for benchmarks: `lms bench-data --tier S|M|L --seed N`.

Rows are streamed from generators into the database in batches of a few thousand (COPY through psycopg
on PostgreSQL, executemany on SQLite), cohort by cohort, so memory stays bounded at every tier: no list
of all marks, sessions or enrolments is ever held. Every cohort has 24 sessions; its size sets the marks
per session: tier S (one charity) 500 learners, 20 educators, 40 cohorts, ~1,000 sessions, ~20,000
marks; tier M (a regional partnership over 3 years) 15,000 learners, 150 educators, 900 cohorts,
~21,600 sessions, ~680,000 marks; tier L (national headroom, PostgreSQL) ten times M. Pathological
cases come on top: a learner in 8 cohorts, an educator with 1,000+ sessions, a cohort of 60 learners
with 36 sessions. Every learner has a user account; all bench users share one password, hashed once
with the production method (scrypt) so logging in costs what it costs in production.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from lms.assessments.attendance import services as attendance_services
from lms.assessments.attendance.models import AttendanceMark
from lms.courses.models import Course, Programme
from lms.extensions import db
from lms.people import services as people_services
from lms.people.models import EducatorProfile, Learner, Organisation, User, UserRole
from lms.scheduling.models import Cohort, Enrolment, Session, SessionEducator, Venue

TIERS = {
    "S": {"learners": 500, "educators": 20, "cohorts": 40, "cohort_size": 24, "years": 1},
    "M": {"learners": 15_000, "educators": 150, "cohorts": 900, "cohort_size": 33, "years": 3},
    "L": {"learners": 150_000, "educators": 1_500, "cohorts": 9_000, "cohort_size": 33, "years": 3},
}
SESSIONS_PER_COHORT = 24
PASSWORD = "benchmark-password"  # noqa: S105 - benchmark data only
#: The instant the data is built around: the benchmark server's clock is fixed to it.
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
TODAY = date(2026, 11, 25)
BATCH = 5000
COHORTS_PER_CHUNK = 100


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
    seconds: float = 0.0
    peak_rss_mib: float = 0.0
    rates: dict = field(default_factory=dict)


def organisation_name(tier: str, seed: int) -> str:
    return f"Benchmark partnership {tier}{seed}"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Writer:
    """Writes rows in batches: COPY on PostgreSQL, executemany on SQLite. Values go through each
    column's own bind processing (UTC datetimes, enums), and columns left out get their model default."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.written: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def _columns(self, table: sa.Table, keys: Iterable[str]) -> tuple[list[str], list]:
        keys = list(keys)
        columns, fixed = list(keys), []
        for column in table.columns:
            if column.name in keys or column.primary_key or column.server_default is not None:
                continue
            if column.default is not None and column.default.is_scalar:
                columns.append(column.name)
                fixed.append(column.default.arg)
            elif column.default is not None and column.default.is_callable:
                columns.append(column.name)
                fixed.append(column.default.arg(None))
            elif not column.nullable:
                raise ValueError(f"{table.name}.{column.name} needs a value in the benchmark data")
        return columns, fixed

    def rows(self, model: type, rows: Iterable[dict]) -> int:
        """Write every row (dicts with the same keys); returns how many."""
        table = model.__table__
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            return 0
        started = time.perf_counter()
        columns, fixed = self._columns(table, first.keys())
        keys = list(first.keys())
        processors = [table.c[name].type._cached_bind_processor(self.dialect) for name in columns]

        def tuples() -> Iterator[tuple]:
            for row in _chain(first, iterator):
                values = [row[key] for key in keys] + fixed
                yield tuple(
                    value if proc is None or value is None else proc(value)
                    for value, proc in zip(values, processors, strict=True)
                )

        if self.dialect.name == "postgresql":
            count = self._copy(table, columns, tuples())
        else:
            count = self._executemany(table, columns, tuples())
        self.written[table.name] = self.written.get(table.name, 0) + count
        self.seconds[table.name] = self.seconds.get(table.name, 0.0) + time.perf_counter() - started
        return count

    def _quoted(self, table: sa.Table, columns: list[str]) -> tuple[str, str]:
        quote = self.dialect.identifier_preparer.quote
        return quote(table.name), ", ".join(quote(name) for name in columns)

    def _copy(self, table: sa.Table, columns: list[str], tuples: Iterator[tuple]) -> int:
        name, names = self._quoted(table, columns)
        raw = self.connection.connection.driver_connection
        count = 0
        with raw.cursor() as cursor, cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in tuples:
                copy.write_row(row)
                count += 1
        return count

    def _executemany(self, table: sa.Table, columns: list[str], tuples: Iterator[tuple]) -> int:
        name, names = self._quoted(table, columns)
        sql = f"INSERT INTO {name} ({names}) VALUES ({', '.join('?' for _ in columns)})"  # noqa: S608
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        count, batch = 0, []
        for row in tuples:
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count, batch = count + len(batch), []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
        cursor.close()
        return count

    def ids(self, statement: sa.Select) -> list[int]:
        return list(self.connection.scalars(statement))


def _chain(first: dict, rest: Iterator[dict]) -> Iterator[dict]:
    yield first
    yield from rest


def _small(model: type, rows: list[dict]) -> list[int]:
    """A few rows through the ORM's table with RETURNING (courses, venues: tens of rows)."""
    return [db.session.scalar(sa.insert(model).returning(model.id), row) for row in rows]


def generate(tier: str, seed: int = 1, progress: bool = False) -> Generated:
    spec = TIERS[tier]
    rng = random.Random(seed)
    started = time.perf_counter()
    now = NOW
    start = TODAY - timedelta(days=365 * spec["years"])
    password = people_services._hash_secret(PASSWORD)  # the production method, hashed once for everyone

    def say(message: str) -> None:
        if progress:
            print(f"  {time.perf_counter() - started:7.1f} s  {message}  (peak RSS {peak_rss_mib():.0f} MiB)")

    organisation_id = db.session.scalar(
        sa.insert(Organisation).returning(Organisation.id),
        {
            "name": organisation_name(tier, seed),
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
    course_ids = _small(Course, [_course(organisation_id, n, now) for n in range(20)])
    venue_ids = _small(Venue, [_venue(organisation_id, n) for n in range(max(5, spec["cohorts"] // 20))])
    writer = Writer(db.session.connection())

    # Users: the coordinator, the educators, then one account per learner, all with the same hash.
    def users() -> Iterator[dict]:
        yield _user(organisation_id, "Benchmark Coordinator", f"coordinator-{tier.lower()}{seed}", password, now)
        for n in range(spec["educators"]):
            yield _user(organisation_id, f"Educator {n}", f"educator-{tier.lower()}{seed}-{n}", password, now)
        for n in range(spec["learners"]):
            yield _user(organisation_id, f"Learner{n} Bench", f"learner-{tier.lower()}{seed}-{n}", password, now)

    writer.rows(User, users())
    user_ids = writer.ids(sa.select(User.id).where(User.organisation_id == organisation_id).order_by(User.id))
    coordinator_id = user_ids[0]
    educator_ids = user_ids[1 : 1 + spec["educators"]]
    learner_user_ids = user_ids[1 + spec["educators"] :]
    del user_ids
    writer.rows(
        UserRole,
        _chain(
            {"user_id": coordinator_id, "role": "coordinator"},
            _concat(
                ({"user_id": uid, "role": "educator"} for uid in educator_ids),
                ({"user_id": uid, "role": "learner"} for uid in learner_user_ids),
            ),
        ),
    )
    writer.rows(
        EducatorProfile,
        (
            {"user_id": uid, "languages": "en", "qualifications": "", "skills": "", "is_volunteer": False}
            for uid in educator_ids
        ),
    )
    say(f"{writer.written['user']:,} users")
    writer.rows(
        Learner,
        (_learner(organisation_id, n, uid, rng, now) for n, uid in enumerate(learner_user_ids)),
    )
    del learner_user_ids
    learner_ids = writer.ids(
        sa.select(Learner.id).where(Learner.organisation_id == organisation_id).order_by(Learner.id)
    )
    say(f"{len(learner_ids):,} learners")

    # Cohorts spread over the years, each 12 weeks of Tuesdays and Thursdays.
    span = (TODAY - start).days - 84  # most cohorts have finished; the last few are running
    busy_count = 1000 // SESSIONS_PER_COHORT + 1  # the busy educator's cohorts, on top of the tier's
    total = spec["cohorts"] + busy_count
    cohort_starts, cohort_venues = [], []
    for n in range(total):
        if n < busy_count:  # running now and starting over the coming year, so all are in their feed
            first = TODAY - timedelta(days=28) + timedelta(days=7 * n)
        elif n >= total - 8:  # the last few are running now (the busy learner's)
            first = TODAY - timedelta(days=rng.randrange(60))
        else:
            first = start + timedelta(days=rng.randrange(span))
        cohort_starts.append(first - timedelta(days=first.weekday() - 1))  # a Tuesday
        cohort_venues.append(rng.choice(venue_ids))
    cohort_courses = [rng.choice(course_ids) for _ in range(total)]
    writer.rows(
        Cohort,
        (
            _cohort(organisation_id, programme_id, n, cohort_courses[n], cohort_venues[n], cohort_starts[n], spec, now)
            for n in range(total)
        ),
    )
    cohort_ids = writer.ids(sa.select(Cohort.id).where(Cohort.organisation_id == organisation_id).order_by(Cohort.id))
    say(f"{len(cohort_ids):,} cohorts")

    busy_educator, busy_learner = educator_ids[0], learner_ids[-1]
    size = spec["cohort_size"]
    marks, summary_seconds = 0, 0.0
    for chunk in range(0, total, COHORTS_PER_CHUNK):
        indexes = range(chunk, min(total, chunk + COHORTS_PER_CHUNK))
        writer.rows(
            Session,
            (
                _session(cohort_ids[n], begin, cohort_venues[n], now)
                for n in indexes
                for begin in _session_starts(cohort_starts[n])
            ),
        )
        session_ids = writer.ids(
            sa.select(Session.id)
            .where(Session.cohort_id.in_([cohort_ids[n] for n in indexes]))
            .order_by(Session.cohort_id, Session.id)
        )
        by_cohort = {
            n: session_ids[k * SESSIONS_PER_COHORT : (k + 1) * SESSIONS_PER_COHORT] for k, n in enumerate(indexes)
        }
        educators = {
            n: busy_educator if n < busy_count else rng.choice(educator_ids[1:] or educator_ids) for n in indexes
        }
        writer.rows(
            SessionEducator,
            ({"session_id": sid, "user_id": educators[n], "role": "lead"} for n in indexes for sid in by_cohort[n]),
        )

        def members(n: int) -> list[int]:
            people = [learner_ids[(n * size + k) % len(learner_ids)] for k in range(size)]
            if n >= total - 8 and busy_learner not in people:  # the pathological learner is in the last 8
                people.append(busy_learner)
            return people

        writer.rows(Enrolment, (_enrolment(cohort_ids[n], lid, now) for n in indexes for lid in members(n)))
        marks += writer.rows(
            AttendanceMark,
            (
                _mark(sid, lid, rng, now)
                for n in indexes
                for sid, begin in zip(by_cohort[n], _session_starts(cohort_starts[n]), strict=True)
                if begin < now
                for lid in members(n)
                if lid != busy_learner or n < total - 8  # the busy learner joined their cohorts late
            ),
        )
        # Each place's attendance summary, counted by the service that keeps it right in production.
        summarising = time.perf_counter()
        for n in indexes:
            attendance_services.refresh_summaries(cohort_ids[n])
        attendance_services.refresh_session_totals(sid for n in indexes for sid in by_cohort[n])
        summary_seconds += time.perf_counter() - summarising
        if chunk // COHORTS_PER_CHUNK % 10 == 9 or indexes[-1] == total - 1:
            say(
                f"{indexes[-1] + 1:,} cohorts of sessions, enrolments and {marks:,} marks "
                f"(attendance summaries: {summary_seconds:.0f} s so far)"
            )

    # A cohort of 60 learners and 36 sessions, one of them today for the register benchmark.
    big = _cohort(organisation_id, programme_id, 0, course_ids[0], venue_ids[0], date(2026, 9, 1), spec, now)
    big.update(name="Big cohort", end_date=date(2027, 3, 1), capacity=60, places_taken=60)
    big_id = db.session.scalar(sa.insert(Cohort).returning(Cohort.id), big)
    big_starts = [datetime(2026, 11, 25, 9, tzinfo=UTC) - timedelta(days=7 * (35 - n) // 2) for n in range(36)]
    writer.rows(Session, (_session(big_id, begin, venue_ids[0], now) for begin in big_starts))
    big_session_ids = writer.ids(sa.select(Session.id).where(Session.cohort_id == big_id).order_by(Session.id))
    writer.rows(
        SessionEducator, ({"session_id": sid, "user_id": busy_educator, "role": "support"} for sid in big_session_ids)
    )
    writer.rows(Enrolment, (_enrolment(big_id, lid, now) for lid in learner_ids[:60]))
    db.session.commit()
    say("committed")
    # Give the planner statistics, as autovacuum would on a live database after a bulk load.
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    seconds = time.perf_counter() - started
    say("analysed")
    return Generated(
        organisation_id,
        programme_id,
        coordinator_id,
        busy_educator,
        busy_learner,
        big_id,
        big_session_ids[-1],
        start,
        TODAY,
        {
            "learners": len(learner_ids),
            "educators": len(educator_ids),
            "cohorts": len(cohort_ids) + 1,
            "sessions": writer.written["session"],
            "marks": marks,
        },
        seconds,
        peak_rss_mib(),
        {name: writer.written[name] / max(writer.seconds[name], 1e-9) for name in writer.written},
    )


def find(tier: str, seed: int = 1) -> Generated | None:
    """The tier's data already in the database (built earlier by `lms bench-data`), or None."""
    organisation_id = db.session.scalar(
        sa.select(Organisation.id).where(Organisation.name == organisation_name(tier, seed))
    )
    if organisation_id is None:
        return None

    def one(statement: sa.Select) -> int:
        return db.session.scalar(statement)

    def email(name: str) -> int:
        return one(sa.select(User.id).where(User.email == f"{name}@bench.example"))

    spec = TIERS[tier]
    big_id = one(sa.select(Cohort.id).where(Cohort.organisation_id == organisation_id, Cohort.name == "Big cohort"))
    cohorts = sa.select(Cohort.id).where(Cohort.organisation_id == organisation_id)
    return Generated(
        organisation_id,
        one(sa.select(Programme.id).where(Programme.organisation_id == organisation_id)),
        email(f"coordinator-{tier.lower()}{seed}"),
        email(f"educator-{tier.lower()}{seed}-0"),
        one(sa.select(sa.func.max(Learner.id)).where(Learner.organisation_id == organisation_id)),
        big_id,
        one(sa.select(sa.func.max(Session.id)).where(Session.cohort_id == big_id)),
        TODAY - timedelta(days=365 * spec["years"]),
        TODAY,
        {
            "learners": one(sa.select(sa.func.count()).where(Learner.organisation_id == organisation_id)),
            "educators": spec["educators"],
            "cohorts": one(sa.select(sa.func.count()).select_from(cohorts.subquery())),
            "sessions": one(sa.select(sa.func.count()).where(Session.cohort_id.in_(cohorts))),
            "marks": one(
                sa.select(sa.func.count())
                .select_from(AttendanceMark)
                .join(Session, Session.id == AttendanceMark.session_id)
                .where(Session.cohort_id.in_(cohorts))
            ),
        },
    )


def _concat(*iterables: Iterable[dict]) -> Iterator[dict]:
    for iterable in iterables:
        yield from iterable


def _session_starts(first: date) -> Iterator[datetime]:
    for number in range(SESSIONS_PER_COHORT):
        day = first + timedelta(days=(number // 2) * 7 + (number % 2) * 2)
        yield datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def _user(organisation_id: int, name: str, email: str, password: str, now: datetime) -> dict:
    return {
        "organisation_id": organisation_id,
        "display_name": name,
        "email": f"{email}@bench.example",
        "password_hash": password,
        "is_active": True,
        "created_dt": now,
    }


def _course(organisation_id: int, n: int, now: datetime) -> dict:
    return {
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


def _venue(organisation_id: int, n: int) -> dict:
    return {
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


def _learner(organisation_id: int, n: int, user_id: int, rng: random.Random, now: datetime) -> dict:
    return {
        "organisation_id": organisation_id,
        "user_id": user_id,
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


def _cohort(
    organisation_id: int,
    programme_id: int,
    n: int,
    course_id: int,
    venue_id: int,
    first: date,
    spec: dict,
    now: datetime,
) -> dict:
    return {
        "organisation_id": organisation_id,
        "course_id": course_id,
        "programme_id": programme_id,
        "venue_id": venue_id,
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


def _session(cohort_id: int, begin: datetime, venue_id: int, now: datetime) -> dict:
    return {
        "cohort_id": cohort_id,
        "start_dt": begin,
        "end_dt": begin + timedelta(hours=2),
        "timezone": "Europe/London",
        "venue_id": venue_id,
        "status": "scheduled",
        "cancel_reason": "",
        "is_moved": False,
        "needs_decision": False,
        "decision_note": "",
        "revision": 0,
        "created_dt": now,
        "updated_dt": now,
    }


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
