"""Every figure of a funder return against a plain Python count of the same rows, on random small programmes.

Hypothesis builds a small programme through the real services: a few learners in several classes of the
programme (and one class of another programme), sessions on either side of period and grant boundaries and
at times where the local date is not the UTC date, some cancelled and some still to come, marks of every
status, drop-in attendees who are later linked to learners, withdrawals, completed classes, certificates
issued and revoked, outcomes, placements, results, external certificates, ESOL assessments and referrals.

The expected figures are counted here, in Python, from the rows read back one table at a time, following the
written definitions in docs/reports.md ("What each figure means") and nothing in lms/reports. Each example
runs in one transaction that is rolled back, so the next one starts from an empty database.

Where the definitions leave room, the plain reading is taken: a start is the first attended mark in the
class among held sessions, whatever the class's own dates; "learners' marks" (contact hours, attendance
rate) leave out drop-in attendees not linked to a record; a participant with no immigration status in force
on the period's last day is "not recorded", apart from one recorded as "not known"; certificates revoked
at any time do not count. Two statuses, jobs or ESOL levels of one learner from the same day are not
generated, since nothing says which one holds.

LMS_RECONCILIATION_EXAMPLES sets the number of examples; LMS_RECONCILIATION_KEYS=starts,age compares only
those figures, to shrink one discrepancy at a time.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from lms.assessments.attendance import services as attendance
from lms.assessments.attendance.models import AttendanceMark, AttendanceStatus
from lms.assessments.progression import achievements
from lms.assessments.progression import services as progression
from lms.assessments.progression.inputs import OutcomeInput, PlacementInput
from lms.assessments.progression.jobs import complete_ended_classes
from lms.assessments.progression.models import (
    Certificate,
    EsolAssessment,
    ExternalCertificate,
    Outcome,
    OutcomeKind,
    Placement,
    QualificationResult,
    ResultGrade,
)
from lms.core.errors import ServiceError
from lms.core.esol import EsolLevel, EsolSkill
from lms.courses.models import CertificateKind, IntegrationDomain, Programme, Qualification
from lms.extensions import db as _db
from lms.people import services as people
from lms.people.models import ImmigrationStatus, ImmigrationStatusRecord, Learner, OrganisationKind, Sex
from lms.reports.queries import funder_return
from lms.scheduling.cohorts import enrolment as enrolments
from lms.scheduling.cohorts.inputs import ReferralInput
from lms.scheduling.models import (
    Cohort,
    DropInAttendee,
    Enrolment,
    EnrolmentStatus,
    Referral,
    ReferralSource,
    Session,
    SessionStatus,
)
from lms.scheduling.timetable import services as timetable
from tests.factories import (
    make_certificate_type,
    make_cohort,
    make_course,
    make_learner,
    make_organisation,
    make_programme,
    make_user,
)

ZONE = ZoneInfo("Europe/London")
GRANT_START, GRANT_END = date(2026, 4, 1), date(2027, 3, 31)
QUARTERS = [
    (date(2026, 4, 1), date(2026, 6, 30)),
    (date(2026, 7, 1), date(2026, 9, 30)),
    (date(2026, 10, 1), date(2026, 12, 31)),
    (date(2027, 1, 1), date(2027, 3, 31)),
]
MONTHS = [date(2026 + (month < 4), month, 1) for month in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2)]
#: The clock while achievements are recorded: every date drawn is in its past, and every sustained-work
#: check is due.
LATE = datetime(2028, 9, 1, 12, tzinfo=UTC)
#: Days where a wrong boundary shows: either side of the grant and of each quarter, the clocks changing.
EDGES = sorted(
    {
        GRANT_START - timedelta(days=1),
        GRANT_END + timedelta(days=1),
        date(2026, 3, 29),
        date(2026, 10, 25),
        date(2027, 3, 28),
        *(day for quarter in QUARTERS for day in quarter),
    }
)
#: Wall-clock slots; 00:30 and 23:15 in summer fall on another UTC date than the local one.
SLOTS = [(time(0, 30), time(1, 30)), (time(9, 30), time(12)), (time(18), time(20)), (time(23, 15), time(23, 55))]
ATTENDED_IN_ORDER = [AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY]
ATTENDED = set(ATTENDED_IN_ORDER)
NOT_IN_RATE = {AttendanceStatus.EXCUSED, AttendanceStatus.CANCELLED_BY_PROVIDER}
PASSED = {ResultGrade.PASS, ResultGrade.MERIT, ResultGrade.DISTINCTION}
WORK = {OutcomeKind.EMPLOYMENT, OutcomeKind.SELF_EMPLOYMENT}
PLACES = {
    EnrolmentStatus.ENROLLED,
    EnrolmentStatus.COMPLETED,
    EnrolmentStatus.DID_NOT_COMPLETE,
    EnrolmentStatus.WITHDRAWN,
}
AGE_BANDS = [(0, 17, "Under 18"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 49, "35-49"), (50, 64, "50-64")]
NOT_RECORDED = "Not recorded"
EXAMPLES = int(os.environ.get("LMS_RECONCILIATION_EXAMPLES", "25"))
#: To shrink one discrepancy at a time: LMS_RECONCILIATION_KEYS=starts,age compares only those.
ONLY = {key for key in os.environ.get("LMS_RECONCILIATION_KEYS", "").split(",") if key}

days = st.one_of(st.sampled_from(EDGES), st.dates(date(2026, 2, 1), date(2027, 6, 30)))


def local_day(instant: datetime) -> date:
    return instant.astimezone(ZONE).date()


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZONE).astimezone(UTC)


# --- building a programme through the services ------------------------------------------------------------


@dataclass
class World:
    programme: Programme
    log: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.log.append(text)


def _attempt(world: World, what: str, action: Callable[[], object]) -> object | None:
    """Run a service call; a refusal is part of the story (logged), not a failure of the test."""
    try:
        with _db.session.begin_nested():
            result = action()
    except ServiceError as error:
        world.say(f"  refused: {what}: {error.message}")
        return None
    world.say(what)
    return result


def build(data: st.DataObject, clock) -> World:  # noqa: ANN001, C901
    clock.now = LATE
    coordinator = make_user()
    organisation = coordinator.organisation
    programme = make_programme(organisation, coordinator, name="Helping Others")
    other = make_programme(organisation, coordinator, name="Other")
    world = World(programme)
    provider_type = make_certificate_type(kind=CertificateKind.PROVIDER, validity_months=None)
    external_types = [make_certificate_type(kind=CertificateKind.EXTERNAL) for _ in range(2)]
    qualifications = [Qualification(awarding_body="Trinity", code=f"Q{n}", title=f"ESOL Skills {n}") for n in (1, 2)]
    _db.session.add_all(qualifications)
    employer = make_organisation(name="Host Employer", kind=OrganisationKind.EMPLOYER)
    courses = [
        make_course(organisation, coordinator, certificate_type_ids=[provider_type.id], min_attendance_percent=minimum)
        for minimum in (None, 50)
    ]

    # Classes: several of the programme, one of another programme, perhaps a drop-in group.
    cohorts: list[Cohort] = []
    plans = [(programme, False)] * data.draw(st.integers(2, 3), "classes") + [(other, False)]
    if data.draw(st.booleans(), "drop-in group"):
        plans.append((programme, True))
    for n, (owner, drop_in) in enumerate(plans):
        start = data.draw(st.one_of(st.sampled_from(MONTHS), st.dates(GRANT_START, GRANT_END)), f"class {n} start")
        end = min(GRANT_END, start + timedelta(days=data.draw(st.integers(7, 150), f"class {n} days")))
        course = data.draw(st.sampled_from(courses), f"class {n} course")
        cohort = make_cohort(
            coordinator,
            course=course,
            name=f"{'Drop-in' if drop_in else 'Class'} {n}",
            programme_id=owner.id,
            start_date=start,
            end_date=end,
            is_drop_in=drop_in,
            allow_late_joiners=True,
        )
        cohorts.append(cohort)
        world.say(
            f"class {cohort.name} ({owner.name}{', drop-in' if drop_in else ''}, course rule "
            f"{course.min_attendance_percent}%) {start} to {end}"
        )
    classes = [c for c in cohorts if not c.is_drop_in]
    drop_ins = [c for c in cohorts if c.is_drop_in]

    learners = [_learner(data, world, organisation, coordinator, n) for n in range(data.draw(st.integers(2, 5)))]

    for learner in learners:
        for cohort in classes:
            if data.draw(st.sampled_from([False, True, True, True]), f"enrol {learner.given_name} in {cohort.name}"):
                _attempt(
                    world,
                    f"enrol {learner.given_name} in {cohort.name}",
                    lambda c=cohort, lr=learner: enrolments.enrol(c, lr, actor=coordinator, on=c.start_date),
                )
    attendees = [
        enrolments.add_drop_in_attendee(cohort, f"Visitor {n}", cohort.start_date, coordinator)
        for cohort in drop_ins
        for n in range(data.draw(st.integers(1, 3), "visitors"))
    ]

    sessions = []
    for cohort in cohorts:
        for _ in range(data.draw(st.integers(1, 5), f"sessions of {cohort.name}")):
            # Mostly within the class's dates; now and then on an edge day, or a few days outside them.
            day = data.draw(
                st.one_of(
                    st.dates(cohort.start_date, cohort.end_date),
                    days,
                    st.dates(cohort.start_date - timedelta(days=5), cohort.end_date + timedelta(days=5)),
                ),
                "session day",
            )
            start, end = data.draw(st.sampled_from(SLOTS), "session slot")
            session = _attempt(
                world,
                f"session of {cohort.name} on {day} {start:%H:%M}-{end:%H:%M}",
                lambda c=cohort, d=day, s=start, e=end: timetable.add_session(
                    c, d, s, e, coordinator, accept_learner_clashes=True
                ),
            )
            if session is not None:
                sessions.append(session)

    statuses = st.sampled_from([None, *AttendanceStatus, *ATTENDED_IN_ORDER])
    for session in sessions:
        entries = []
        for row in attendance.register_rows(session):
            status = data.draw(statuses, f"mark {row.key} at session {session.id}")
            if status is not None:
                late = data.draw(st.sampled_from([0, 10, 45]), "minutes late")
                early = data.draw(st.sampled_from([0, 20]), "minutes left early")
                entries.append(attendance.Entry(row.key, status.value, minutes_late=late, minutes_left_early=early))
        if entries:
            summary = ", ".join(f"{e.key} {e.status} -{e.minutes_late}/-{e.minutes_left_early}" for e in entries)
            _attempt(
                world,
                f"register of session {session.id} ({session.cohort.name}, {session.start_dt:%Y-%m-%d %H:%M}Z): "
                + summary,
                lambda s=session, e=entries: attendance.save_register(
                    s, e, coordinator, now=s.start_dt + timedelta(minutes=5)
                ),
            )
    for session in sessions:
        if data.draw(st.sampled_from([False, False, False, False, True]), "cancel?"):
            _attempt(
                world,
                f"cancel session {session.id}",
                lambda s=session: timetable.cancel_session(s, "The tutor is ill.", coordinator),
            )

    for attendee in attendees:
        learner = data.draw(st.one_of(st.none(), st.sampled_from(learners)), f"link {attendee.name}")
        if learner is not None:
            _attempt(
                world,
                f"link drop-in a{attendee.id} ({attendee.name}) to l{learner.id}",
                lambda a=attendee, lr=learner: attendance.merge_drop_in(a, lr, coordinator),
            )

    _withdraw_complete_and_certify(data, world, classes, provider_type, coordinator, clock)

    for learner in learners:
        clock.now = LATE  # the referrals of the learner before moved it
        _achievements(data, world, learner, coordinator, employer, qualifications, external_types)
        _referrals(data, world, learner, organisation, cohorts, programme, other, coordinator, clock)
    clock.now = LATE
    _db.session.flush()
    return world


def _learner(data: st.DataObject, world: World, organisation, coordinator, n: int) -> Learner:  # noqa: ANN001
    born = data.draw(st.one_of(st.none(), st.dates(date(1955, 1, 1), date(2010, 12, 31))), "born")
    values = {
        "given_name": f"L{n}",
        "date_of_birth": born,
        "sex": data.draw(st.sampled_from(list(Sex)), "sex"),
        "nationality": data.draw(st.sampled_from(["", "SY", "AF", "UA", "ER"]), "nationality"),
        "preferred_languages": data.draw(st.sampled_from(["", "ar", "fa ps", "ti ar", "uk"]), "languages"),
        "referral_source": data.draw(st.sampled_from(["", "Job Centre", "Refugee Council"]), "referrer"),
    }
    learner = make_learner(organisation=organisation, **values)
    world.say(f"learner l{learner.id} {values}")
    used: set[date] = set()
    for _ in range(data.draw(st.integers(0, 2), "immigration records")):
        since = data.draw(st.dates(date(2024, 1, 1), date(2027, 6, 30)), "status from")
        if since in used:  # two statuses from one day: which one holds is not defined
            continue
        used.add(since)
        until = data.draw(st.one_of(st.none(), st.integers(0, 400).map(lambda n, s=since: s + timedelta(days=n))))
        status = data.draw(st.sampled_from(list(ImmigrationStatus)), "status")
        people.add_immigration_status(
            learner, status=status, from_date=since, until_date=until, note="", actor=coordinator
        )
        world.say(f"  l{learner.id} status {status.value} from {since} until {until}")
    return learner


def _withdraw_complete_and_certify(data, world, classes, provider_type, coordinator, clock) -> None:  # noqa: ANN001
    for cohort in classes:
        for enrolment in _db.session.scalars(sa.select(Enrolment).where(Enrolment.cohort_id == cohort.id)).all():
            if enrolment.status is EnrolmentStatus.ENROLLED and data.draw(
                st.sampled_from([False, False, False, False, True]), "withdraw?"
            ):
                day = data.draw(days, "withdrawn on")
                clock.now = at_noon(day)
                _attempt(
                    world,
                    f"withdraw l{enrolment.learner_id} from {cohort.name} on {day}",
                    lambda e=enrolment, d=day: enrolments.withdraw(e, "Moved away.", coordinator, on=d),
                )
    if data.draw(st.booleans(), "nightly completion job?"):
        day = data.draw(days, "nightly job on")
        clock.now = datetime.combine(day, time(2), tzinfo=ZONE).astimezone(UTC)
        _attempt(world, f"nightly complete_ended_classes on {day}", lambda: complete_ended_classes(clock.now))
    for cohort in classes:
        if cohort.programme_id != world.programme.id and data.draw(st.booleans(), "other programme's class"):
            continue
        if data.draw(st.booleans(), f"complete {cohort.name}?"):
            day = data.draw(st.one_of(st.just(cohort.end_date), days), "completed on")
            clock.now = at_noon(day)
            _attempt(
                world,
                f"complete {cohort.name} on {day}",
                lambda c=cohort, d=day: progression.complete_cohort(c, coordinator, on=d),
            )
        places = _db.session.scalars(sa.select(Enrolment).where(Enrolment.cohort_id == cohort.id)).all()
        chosen = [e for e in places if data.draw(st.sampled_from([False, True, True]), "certificate?")]
        if chosen:
            day = data.draw(days, "issued on")
            clock.now = at_noon(day)
            issued = _attempt(
                world,
                f"issue certificates for {cohort.name} to {[f'l{e.learner_id}' for e in chosen]} on {day}",
                lambda c=cohort, ids=[e.id for e in chosen], d=day: progression.issue_certificates(
                    c, provider_type, ids, coordinator, on=d
                ),
            )
            for certificate in issued or []:
                if data.draw(st.sampled_from([False, False, False, True]), "revoke?"):
                    clock.now = at_noon(day) + timedelta(days=3)
                    _attempt(
                        world,
                        f"revoke certificate of l{certificate.learner_id}",
                        lambda c=certificate: progression.revoke_certificate(c, "Issued in error.", coordinator),
                    )


def _achievements(data, world, learner, coordinator, employer, qualifications, external_types) -> None:  # noqa: ANN001, C901
    work_days: set[date] = set()
    for _ in range(data.draw(st.integers(0, 3), "outcomes")):
        kind = data.draw(st.sampled_from(list(OutcomeKind)), "kind")
        day = data.draw(days, "outcome date")
        if kind in WORK:
            if day in work_days:  # two jobs from one day: which one is "the counted job" is not defined
                continue
            work_days.add(day)
        hours = data.draw(st.sampled_from([8, 15, 16, 30]), "hours") if kind in WORK else None
        domains = data.draw(st.lists(st.sampled_from(list(IntegrationDomain)), max_size=2, unique=True), "domains")
        outcome = _attempt(
            world,
            f"outcome of l{learner.id}: {kind.value} on {day}, {hours} h",
            lambda k=kind, d=day, h=hours, ds=domains: progression.record_outcome(
                learner, OutcomeInput(kind=k, outcome_date=d, hours_per_week=h, domains=ds), coordinator
            ),
        )
        if outcome is not None and kind in WORK:
            for weeks in (13, 26):
                still = data.draw(st.one_of(st.none(), st.booleans()), f"sustained {weeks}")
                if still is not None:
                    _attempt(
                        world,
                        f"  {weeks}-week check: {still}",
                        lambda o=outcome, w=weeks, s=still: progression.confirm_sustained(o, w, s, coordinator),
                    )
    for _ in range(data.draw(st.integers(0, 2), "placements")):
        start = data.draw(days, "placement start")
        end = start + timedelta(days=data.draw(st.integers(0, 60), "placement days"))
        completed = data.draw(st.booleans(), "placement completed")
        _attempt(
            world,
            f"placement of l{learner.id} {start} to {end}, completed {completed}",
            lambda s=start, e=end, c=completed: progression.record_placement(
                learner,
                PlacementInput(employer_id=employer.id, start_date=s, end_date=e, hours_per_week=20, completed=c),
                coordinator,
            ),
        )
    for _ in range(data.draw(st.integers(0, 2), "results")):
        qualification = data.draw(st.sampled_from(qualifications), "qualification")
        grade = data.draw(st.sampled_from(list(ResultGrade)), "grade")
        day = data.draw(days, "result date")
        _attempt(
            world,
            f"result of l{learner.id}: {qualification.code} {grade.value} on {day}",
            lambda q=qualification, g=grade, d=day: progression.record_result(learner, q, g.value, "", d, coordinator),
        )
    for _ in range(data.draw(st.integers(0, 2), "external certificates")):
        certificate_type = data.draw(st.sampled_from(external_types), "certificate type")
        day = data.draw(days, "certificate date")
        _attempt(
            world,
            f"external certificate of l{learner.id}: type {certificate_type.id} on {day}",
            lambda t=certificate_type, d=day: achievements.record_external_certificate(
                learner, t, number="", issued=d, expiry=None, renewal=False, evidence_seen=True, actor=coordinator
            ),
        )
    assessed: set[tuple[EsolSkill, date]] = set()
    for _ in range(data.draw(st.integers(0, 3), "ESOL assessments")):
        skill = data.draw(st.sampled_from([EsolSkill.SPEAKING, EsolSkill.READING]), "skill")
        level = data.draw(st.sampled_from([EsolLevel.ENTRY_1, EsolLevel.ENTRY_2, EsolLevel.ENTRY_3]), "level")
        day = data.draw(days, "assessed on")
        if (skill, day) in assessed:  # two levels on one day: which is the baseline is not defined
            continue
        assessed.add((skill, day))
        _attempt(
            world,
            f"ESOL of l{learner.id}: {skill.value} {level.value} on {day}",
            lambda s=skill, lv=level, d=day: achievements.record_esol_levels(
                learner, {s.value: lv.value}, "progress", d, coordinator
            ),
        )


def _referrals(data, world, learner, organisation, cohorts, programme, other, coordinator, clock) -> None:  # noqa: ANN001
    for _ in range(data.draw(st.integers(0, 2), "referrals")):
        day = data.draw(days, "received on")
        hour = data.draw(st.sampled_from([0, 12, 23]), "received at")
        clock.now = datetime.combine(day, time(hour, 30), tzinfo=ZONE).astimezone(UTC)
        cohort = data.draw(st.one_of(st.none(), st.sampled_from(cohorts)), "referred to class")
        source = data.draw(st.sampled_from(list(ReferralSource)), "source")
        referral = _attempt(
            world,
            f"referral of l{learner.id} ({source.value}) to {cohort.name if cohort else 'no class'} at {clock.now}",
            lambda c=cohort, s=source: enrolments.create_referral(
                organisation,
                learner,
                ReferralInput(source=s, referrer_name="A Partner", cohort_id=c.id if c else None),
                coordinator,
            ),
        )
        if referral is not None and cohort is None:
            # No service takes the programme of a referral that names no class: set as the form would.
            target = data.draw(st.sampled_from([None, programme, other]), "referred to programme")
            referral.programme_id = target.id if target else None
            world.say(f"  for programme {target.name if target else None}")


# --- the plain count, from docs/reports.md -----------------------------------------------------------------


def rows(model):  # noqa: ANN001, ANN201
    return _db.session.scalars(sa.select(model)).all()


def completion_day(enrolment: Enrolment) -> date | None:
    """The day a place was recorded as completed."""
    return enrolment.completed_date


def age_band(born: date | None, on: date) -> str:
    if born is None:
        return NOT_RECORDED
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return next((label for low, high, label in AGE_BANDS if low <= age <= high), "65+")


@dataclass
class Expected:
    figures: dict[str, float]
    breakdowns: dict[str, Counter]


def plain_count(programme_id: int, start: date, end: date, now: datetime) -> Expected:  # noqa: C901
    """The return as docs/reports.md defines it, counted row by row."""

    def in_period(day: date) -> bool:
        return start <= day <= end

    def in_grant(day: date) -> bool:
        return GRANT_START <= day <= GRANT_END

    cohorts = {c.id: c for c in rows(Cohort) if c.programme_id == programme_id}
    # A held session: of one of the programme's classes, not cancelled, already started.
    held = {
        s.id: s
        for s in rows(Session)
        if s.cohort_id in cohorts and s.status is not SessionStatus.CANCELLED and s.start_dt < now
    }
    attendees = {a.id: a for a in rows(DropInAttendee)}

    def person(mark: AttendanceMark) -> int | None:
        """The learner a mark belongs to: a linked drop-in attendee's marks are the learner's."""
        if mark.learner_id is not None:
            return mark.learner_id
        return attendees[mark.attendee_id].learner_id

    marks = [m for m in rows(AttendanceMark) if m.session_id in held]

    def day_of(mark: AttendanceMark) -> date:
        return local_day(held[mark.session_id].start_dt)

    period_marks = [m for m in marks if in_period(day_of(m))]
    learners_marks = [m for m in period_marks if person(m) is not None]
    participants = {person(m) for m in learners_marks if m.status in ATTENDED}

    took_part: dict[int, date] = {}
    for mark in marks:
        learner_id = person(mark)
        if learner_id is not None and mark.status in ATTENDED and in_grant(day_of(mark)):
            took_part[learner_id] = min(took_part.get(learner_id, date.max), day_of(mark))

    first_in_class: dict[tuple[int, int], datetime] = {}
    for mark in marks:
        learner_id = person(mark)
        if learner_id is not None and mark.status in ATTENDED:
            key = (learner_id, held[mark.session_id].cohort_id)
            first_in_class[key] = min(
                first_in_class.get(key, held[mark.session_id].start_dt), held[mark.session_id].start_dt
            )

    places = [e for e in rows(Enrolment) if e.cohort_id in cohorts]
    place_ids = {e.id for e in places}
    counted = [m for m in learners_marks if m.status not in NOT_IN_RATE]
    attended = [m for m in learners_marks if m.status in ATTENDED]

    def first_counted(dated: dict[object, list[date]], learner_of: Callable[[object], int]) -> int:
        """Once per key: its first date on or after the day its learner took part, within the grant, in the period."""
        total = 0
        for key, found in dated.items():
            learner_id = learner_of(key)
            if learner_id not in took_part:
                continue
            eligible = [d for d in found if took_part[learner_id] <= d and in_grant(d)]
            total += bool(eligible) and in_period(min(eligible))
        return total

    results: dict[object, list[date]] = defaultdict(list)
    for result in rows(QualificationResult):
        if result.grade in PASSED:
            results[(result.learner_id, result.qualification_id)].append(result.result_date)
    externals: dict[object, list[date]] = defaultdict(list)
    for certificate in rows(ExternalCertificate):
        externals[(certificate.learner_id, certificate.certificate_type_id)].append(certificate.issued_date)

    outcomes = sorted(rows(Outcome), key=lambda o: (o.outcome_date, o.id))
    by_kind: dict[str, dict[object, list[date]]] = defaultdict(lambda: defaultdict(list))
    for outcome in outcomes:
        by_kind["work" if outcome.kind in WORK else outcome.kind.value][outcome.learner_id].append(outcome.outcome_date)
    placements = by_kind[OutcomeKind.PLACEMENT.value]
    for placement in rows(Placement):
        if placement.completed:
            placements[placement.learner_id].append(placement.end_date)

    jobs = {}  # the counted job of each grant participant into work
    for outcome in outcomes:
        tp = took_part.get(outcome.learner_id)
        if outcome.kind in WORK and tp and tp <= outcome.outcome_date and in_grant(outcome.outcome_date):
            jobs.setdefault(outcome.learner_id, outcome)
    jobs_in_period = [job for job in jobs.values() if in_period(job.outcome_date)]

    referrals = [
        r
        for r in rows(Referral)
        if (r.programme_id == programme_id or r.cohort_id in cohorts) and in_period(local_day(r.received_dt))
    ]

    figures = {
        "participants": len(participants),
        "starts": sum(1 for first in first_in_class.values() if in_period(local_day(first))),
        "enrolments": sum(
            1
            for e in places
            if e.status in PLACES and cohorts[e.cohort_id].start_date <= end and cohorts[e.cohort_id].end_date >= start
        ),
        "completions": sum(
            1
            for e in places
            if e.status is EnrolmentStatus.COMPLETED and (day := completion_day(e)) is not None and in_period(day)
        ),
        "sessions": sum(1 for s in held.values() if in_period(local_day(s.start_dt))),
        "contact_hours": round(sum(m.minutes_attended for m in learners_marks) / 60, 1),
        "attendance_rate": round(len(attended) / len(counted) * 100, 1) if counted else 0,
        "certificates": sum(
            1
            for c in rows(Certificate)
            if c.enrolment_id in place_ids and in_period(c.issued_date) and c.revoked_dt is None
        ),
        "qualifications": first_counted(results, lambda key: key[0]),
        "external_certificates": first_counted(externals, lambda key: key[0]),
        "into_work": len(jobs_in_period),
        "into_work_16_hours": sum(1 for job in jobs_in_period if (job.hours_per_week or 0) >= 16),
        "sustained_13_weeks": sum(
            1 for job in jobs.values() if job.sustained_13_weeks and in_period(job.outcome_date + timedelta(days=91))
        ),
        "sustained_26_weeks": sum(
            1 for job in jobs.values() if job.sustained_26_weeks and in_period(job.outcome_date + timedelta(days=182))
        ),
        "into_training": first_counted(by_kind[OutcomeKind.EDUCATION.value], lambda key: key),
        "volunteering": first_counted(by_kind[OutcomeKind.VOLUNTEERING.value], lambda key: key),
        "placements": first_counted(placements, lambda key: key),
        "referrals_in": len(referrals),
        "drop_in_unlinked": len({m.attendee_id for m in period_marks if person(m) is None and m.status in ATTENDED}),
    }

    learners = {learner.id: learner for learner in rows(Learner) if learner.id in participants}
    statuses: dict[int, list[ImmigrationStatusRecord]] = defaultdict(list)
    for record in rows(ImmigrationStatusRecord):
        statuses[record.learner_id].append(record)

    def status_on_last_day(learner_id: int) -> str | None:
        current = [
            r for r in statuses[learner_id] if r.from_date <= end and (r.until_date is None or r.until_date >= end)
        ]
        return max(current, key=lambda r: r.from_date).status.value if current else None

    breakdowns = {
        "eligibility": Counter(status_on_last_day(i) for i in learners),
        "age": Counter(age_band(learner.date_of_birth, start) for learner in learners.values()),
        "sex": Counter(str(learner.sex.title) for learner in learners.values()),
        "nationality": Counter(learner.nationality or None for learner in learners.values()),
        "language": Counter((learner.preferred_languages.split() or [None])[0] for learner in learners.values()),
        "referral_source": Counter(learner.referral_source or None for learner in learners.values()),
        "referrals": Counter(r.source.value for r in referrals),
        "esol_gains": _esol_gains(took_part, in_period, in_grant),
    }
    return Expected(figures, breakdowns)


def _esol_gains(took_part: dict[int, date], in_period, in_grant) -> Counter:  # noqa: ANN001
    """Per skill: grant participants whose first assessment above their baseline (dated in the grant) is in
    the period. The baseline: the latest assessment on or before the day they took part, else the first after."""
    assessed: dict[tuple[int, EsolSkill], list[EsolAssessment]] = defaultdict(list)
    for assessment in sorted(rows(EsolAssessment), key=lambda a: (a.assessed_date, a.id)):
        assessed[(assessment.learner_id, assessment.skill)].append(assessment)
    gains: Counter = Counter()
    for (learner_id, skill), found in assessed.items():
        if learner_id not in took_part:
            continue
        before = [a for a in found if a.assessed_date <= took_part[learner_id]]
        baseline = before[-1] if before else found[0]
        later = found[found.index(baseline) + 1 :]
        higher = [a for a in later if in_grant(a.assessed_date) and a.level.rank > baseline.level.rank]
        if higher and in_period(higher[0].assessed_date):
            gains[str(skill.title)] += 1
    return gains


# --- comparing -------------------------------------------------------------------------------------------

#: Breakdowns whose labels the page translates (territory and language names, statuses, sources): compared
#: by their counts alone.
BY_COUNTS = ("eligibility", "nationality", "language", "referral_source", "referrals")
#: Breakdowns compared label by label.
BY_LABEL = ("age", "sex", "esol_gains")


def differences(report, expected: Expected) -> dict[str, tuple]:  # noqa: ANN001
    """Every figure and breakdown that differs, as (expected, actual)."""
    found = {}
    for key, value in expected.figures.items():
        actual = report.figures.get(key, "missing")
        if actual != value:
            found[key] = (value, actual)
    for key in BY_COUNTS + BY_LABEL:
        actual_rows = report.breakdowns.get(key)
        if actual_rows is None:
            found[key] = (dict(expected.breakdowns[key]), "missing")
            continue
        actual = Counter()
        for label, count in actual_rows:
            actual[str(label)] += count
        actual = +actual  # rows of nought do not count
        wanted = +expected.breakdowns[key]
        same = sorted(actual.values()) == sorted(wanted.values()) if key in BY_COUNTS else actual == wanted
        if not same:
            found[key] = (dict(wanted), dict(actual))
    for key in ("eligibility", "age", "sex", "nationality", "language", "referral_source"):
        total = sum(count for _label, count in report.breakdowns.get(key) or [])
        if total != report.figures.get("participants"):
            found[f"{key} total"] = (report.figures.get("participants"), total)
    return {key: value for key, value in found.items() if not ONLY or key.split()[0] in ONLY}


def _report_now(data: st.DataObject) -> datetime:
    day = data.draw(
        st.one_of(
            st.sampled_from([GRANT_END, date(2027, 1, 15), date(2026, 10, 1)]),
            st.dates(GRANT_START + timedelta(days=30), GRANT_END),
        ),
        "now",
    )
    return datetime.combine(
        day, data.draw(st.sampled_from([time(0, 10), time(10), time(23, 50)])), tzinfo=ZONE
    ).astimezone(UTC)


#: Both properties: a modest number of examples, each slow to build, no example database kept.
RECONCILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _period(data: st.DataObject) -> tuple[date, date]:
    if data.draw(st.booleans(), "a quarter or the grant?"):
        return data.draw(st.sampled_from([(GRANT_START, GRANT_END), *QUARTERS]), "quarter or grant")
    first = data.draw(st.one_of(st.sampled_from(MONTHS), st.dates(GRANT_START, GRANT_END)), "from")
    return first, min(GRANT_END, first + timedelta(days=data.draw(st.integers(0, 240), "days")))


@RECONCILE
@given(data=st.data())
def test_every_figure_matches_a_plain_count(db, frozen_clock, data):  # noqa: ANN001
    try:
        world = build(data, frozen_clock)
        now = _report_now(data)
        start, end = _period(data)
        note("\n".join(world.log))
        note(f"report from {start} to {end}, now {now}")
        report = funder_return(world.programme, start, end, now=now)
        expected = plain_count(world.programme.id, start, end, now)
        assert differences(report, expected) == {}
    finally:
        _db.session.rollback()


#: Figures counted once per learner (or place, or session) by a date: a grant's quarters add up to it.
ONCE_BY_DATE = (
    "into_work",
    "into_training",
    "volunteering",
    "placements",
    "qualifications",
    "external_certificates",
    "certificates",
    "completions",
    "starts",
    "sessions",
)


@RECONCILE
@given(data=st.data())
def test_the_quarters_add_up_to_the_grant(db, frozen_clock, data):  # noqa: ANN001
    try:
        world = build(data, frozen_clock)
        now = _report_now(data)
        note("\n".join(world.log))
        note(f"now {now}")
        periods = [(p.start_date, p.end_date) for p in world.programme.reporting_periods]
        assert periods == QUARTERS
        whole = funder_return(world.programme, GRANT_START, GRANT_END, now=now).figures
        quarters = [funder_return(world.programme, first, last, now=now).figures for first, last in periods]
        sums = {key: sum(q.get(key, 0) for q in quarters) for key in ONCE_BY_DATE}
        keys = [key for key in ONCE_BY_DATE if not ONLY or key in ONLY]
        assert {key: (whole.get(key), sums[key]) for key in keys if whole.get(key) != sums[key]} == {}
    finally:
        _db.session.rollback()
