"""The figures funders count, computed with SQL aggregates over a programme and a period.

docs/reports.md ("What each figure means") is the specification: one definition per measure, and
`tests/reports/test_reconciliation.py` holds this module to it. The number of statements is fixed,
whatever the size of the programme, and none reads every mark: attendance is summed from each
session's totals (`SessionAttendance`) and who took part when from each learner's month
(`AttendanceMonth`), both kept at write time by the attendance services; only the days of a month
that begins before the period (or the grant) are read from the marks. Outcomes belong to the people
who took part in the programme during the grant and count, once per person and kind, in the period of
their own date.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from lms.assessments.attendance.models import (
    ATTENDED,
    AttendanceMark,
    AttendanceMonth,
    SessionAttendance,
)
from lms.assessments.progression.models import (
    SELF_RATINGS,
    Certificate,
    EsolAssessment,
    ExternalCertificate,
    LearningPlan,
    Outcome,
    OutcomeKind,
    Placement,
    QualificationResult,
    ResultGrade,
)
from lms.core.esol import EsolSkill
from lms.core.i18n import _, language_name, territory_name
from lms.core.time import age_on, now_utc
from lms.courses.models import IntegrationDomain, Programme, TargetMeasure
from lms.extensions import db
from lms.people.models import ImmigrationStatus, ImmigrationStatusRecord, Learner, Organisation, Sex
from lms.scheduling.models import Cohort, Enrolment, EnrolmentStatus, Referral, Session, SessionStatus

PASSED = (ResultGrade.PASS, ResultGrade.MERIT, ResultGrade.DISTINCTION)
MAX_BOUND_IDS = 30_000
AGE_BANDS = [
    (0, 17, "Under 18"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 49, "35-49"),
    (50, 64, "50-64"),
    (65, 200, "65+"),
]
#: Outcome kinds counted together, once per learner (employment and self-employment are both work).
OUTCOME_GROUPS = {
    OutcomeKind.EMPLOYMENT: "into_work",
    OutcomeKind.SELF_EMPLOYMENT: "into_work",
    OutcomeKind.EDUCATION: "into_training",
    OutcomeKind.VOLUNTEERING: "volunteering",
    OutcomeKind.PLACEMENT: "placements",
}
SUSTAINED_AFTER = {"sustained_13_weeks": timedelta(weeks=13), "sustained_26_weeks": timedelta(weeks=26)}


@dataclass
class FunderReturn:
    programme: Programme
    start: date
    end: date
    figures: dict[str, float] = field(default_factory=dict)
    breakdowns: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    targets: list[tuple[TargetMeasure, int, float]] = field(default_factory=list)
    #: (rating, average at the start, average at the end, how many plans)
    ratings: list[tuple[str, float | None, float | None, int]] = field(default_factory=list)
    weekly_attendance: list[tuple[date, int, int]] = field(default_factory=list)


@dataclass
class _Scope:
    """What every statement of one return filters on."""

    programme: Programme
    start: date
    end: date
    zone: ZoneInfo
    first: datetime
    last: datetime
    now: datetime
    #: The grant's participants: their ids, or past what a statement can bind, the query that finds them.
    grant_ids: list[int] | sa.Select[Any] = field(default_factory=list)

    @property
    def in_programme(self) -> sa.ColumnElement[bool]:
        return Cohort.programme_id == self.programme.id

    def held(self, first: datetime | None = None, last: datetime | None = None) -> sa.ColumnElement[bool]:
        """Sessions of the programme held between two instants: not cancelled, already started."""
        return sa.and_(
            Session.status == SessionStatus.SCHEDULED,
            Session.start_dt >= (first or self.first),
            Session.start_dt < (last or self.last),
            Session.start_dt < self.now,
        )

    def in_period(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    def local_day(self, instant: datetime) -> date:
        if instant.tzinfo is None:  # an aggregate of a column does not always keep its type on SQLite
            instant = instant.replace(tzinfo=UTC)
        return instant.astimezone(self.zone).date()


def period_instants(programme: Programme, start: date, end: date) -> tuple[datetime, datetime]:
    """The period's first and last local days as instants, in the provider's time zone."""
    zone = ZoneInfo(db.session.get_one(Organisation, programme.organisation_id).timezone)
    return _instants(zone, start, end)


def _instants(zone: ZoneInfo, start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time.min, tzinfo=zone).astimezone(UTC),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC),
    )


def among(column: Any, ids: list[int] | sa.Select[Any]) -> sa.ColumnElement[bool]:
    """`column IN ids`. Thousands of ids are one text parameter on PostgreSQL, unnested there
    (`IN (SELECT unnest(string_to_array(:ids, ',')::int[]))`, which PostgreSQL joins by hash): bound one
    by one, planning 9,000 parameters cost 200 ms a statement at tier M; as an array parameter psycopg
    spent 25 ms writing each; `= ANY(...)` of a computed array compares every row with every id."""
    if isinstance(ids, list) and db.session.get_bind().dialect.name == "postgresql":
        text = ",".join(str(int(value)) for value in ids)
        array = sa.cast(
            sa.func.string_to_array(sa.bindparam(None, text, type_=sa.Text), ","), postgresql.ARRAY(sa.Integer)
        )
        return column.in_(sa.select(sa.func.unnest(array)).scalar_subquery())
    return column.in_(ids)


def _bindable(how_many: int) -> bool:
    """Whether this many ids can go into later statements as values rather than as the subquery that
    found them: always on PostgreSQL (one text parameter, see `among`), up to what SQLite binds."""
    return how_many <= MAX_BOUND_IDS or db.session.get_bind().dialect.name == "postgresql"


def _count(query: sa.Select[Any]) -> int:
    """A COUNT query's figure: it always returns one row."""
    return db.session.scalar(query) or 0


def _marks() -> sa.Select[Any]:
    """Marks joined to their session and its cohort, selecting nothing yet."""
    return (
        sa.select()
        .select_from(AttendanceMark)
        .join(Session, Session.id == AttendanceMark.session_id)
        .join(Cohort, Cohort.id == Session.cohort_id)
    )


def funder_return(programme: Programme, start: date, end: date, now: datetime | None = None) -> FunderReturn:
    zone = ZoneInfo(db.session.get_one(Organisation, programme.organisation_id).timezone)
    scope = _Scope(programme, start, end, zone, *_instants(zone, start, end), now or now_utc())
    report = FunderReturn(programme, start, end)
    participant_ids = _attendance(report, scope)
    _places(report, scope)
    took_part = _took_part(scope)
    scope.grant_ids = list(took_part) if _bindable(len(took_part)) else _grant_participants(scope)
    _outcomes(report, scope, took_part)
    _achievements(report, scope, took_part)
    _esol_gains(report, scope, took_part)
    _participant_breakdowns(report, participant_ids, start, end)
    _rarpa(report, scope)
    _referrals(report, scope)
    report.targets = [(t.measure, t.value, report.figures[t.measure.value]) for t in programme.targets]
    report.weekly_attendance = _weekly(scope)
    return report


def _attendance(report: FunderReturn, scope: _Scope) -> list[int] | sa.Select[Any]:
    """Participants, contact hours, attendance rate, sessions and unlinked drop-in attendees; returns
    the participants (their ids, or past what one statement can bind, the query that finds them)."""
    attended_marks, counted_marks, minutes, sessions = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(SessionAttendance.attended), 0),
            sa.func.coalesce(sa.func.sum(SessionAttendance.counted), 0),
            sa.func.coalesce(sa.func.sum(SessionAttendance.minutes_attended), 0),
            sa.func.count(Session.id),
        )
        .select_from(Session)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .outerjoin(SessionAttendance, SessionAttendance.session_id == Session.id)
        .where(scope.in_programme, scope.held())
    ).one()
    unlinked = _count(
        _marks()
        .add_columns(sa.func.count(sa.distinct(AttendanceMark.attendee_id)))
        .where(
            scope.in_programme,
            scope.held(),
            AttendanceMark.attendee_id.is_not(None),
            AttendanceMark.status.in_(ATTENDED),
        )
    )
    attended = _attended_between(scope, scope.first, scope.last).subquery()
    participants_select = sa.select(attended.c.learner_id).distinct()
    # Found once and reused: as a subquery it would be recomputed by each query below. Past what one
    # statement can bind (about 32,000 parameters on SQLite), the subquery is used after all.
    found = list(db.session.scalars(participants_select))
    report.figures |= {
        "participants": len(found),
        "sessions": sessions,
        "contact_hours": round(minutes / 60, 1),
        "attendance_rate": round(attended_marks / counted_marks * 100, 1) if counted_marks else 0,
        "drop_in_unlinked": unlinked,
    }
    return found if _bindable(len(found)) else participants_select


def _attended_between(
    scope: _Scope, first: datetime, last: datetime
) -> sa.Select[int, datetime | None] | sa.CompoundSelect:
    """(learner_id, first): learners of the programme who came to a session held between two instants,
    with when they first came, as one row per learner and month from `AttendanceMonth` (a month's first
    attended session tells whether it falls before `last` and before now), and from the marks for the
    days of a month that begins before `first`, where a month's first session could fall before it."""
    day = scope.local_day(first)
    month = day.replace(day=1) if _instants(scope.zone, day, day)[0] == first and day.day == 1 else _next_month(day)
    boundary = min(_instants(scope.zone, month, month)[0], last)
    months = (
        sa.select(AttendanceMonth.learner_id, AttendanceMonth.first_attended_dt.label("first"))
        .join(Cohort, Cohort.id == AttendanceMonth.cohort_id)
        .where(
            scope.in_programme,
            AttendanceMonth.month >= month,
            AttendanceMonth.first_attended_dt < min(last, scope.now),
        )
    )
    if boundary <= first:
        return months
    edge = (
        _marks()
        .add_columns(AttendanceMark.learner_id, Session.start_dt.label("first"))
        .where(
            scope.in_programme,
            scope.held(first, boundary),
            AttendanceMark.status.in_(ATTENDED),
            AttendanceMark.learner_id.is_not(None),
        )
    )
    return sa.union_all(months, edge)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _places(report: FunderReturn, scope: _Scope) -> None:
    """Starts, enrolments, completions and certificates: places on the programme's classes."""
    first_attended = (
        sa.select(
            AttendanceMonth.learner_id,
            AttendanceMonth.cohort_id,
            sa.func.min(AttendanceMonth.first_attended_dt).label("first"),
        )
        .join(Cohort, Cohort.id == AttendanceMonth.cohort_id)
        .where(scope.in_programme, AttendanceMonth.first_attended_dt < min(scope.now, scope.last))
        .group_by(AttendanceMonth.learner_id, AttendanceMonth.cohort_id)
        .subquery()
    )
    starts = _count(sa.select(sa.func.count()).select_from(first_attended).where(first_attended.c.first >= scope.first))
    placed = (
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.COMPLETED,
        EnrolmentStatus.DID_NOT_COMPLETE,
        EnrolmentStatus.WITHDRAWN,
    )
    enrolments, completions = db.session.execute(
        sa.select(
            sa.func.count(
                sa.case((sa.and_(Cohort.start_date <= scope.end, Cohort.end_date >= scope.start), Enrolment.id))
            ),
            sa.func.count(
                sa.case(
                    (
                        sa.and_(
                            Enrolment.status == EnrolmentStatus.COMPLETED,
                            Enrolment.completed_date >= scope.start,
                            Enrolment.completed_date <= scope.end,
                        ),
                        Enrolment.id,
                    )
                )
            ),
        )
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(scope.in_programme, Enrolment.status.in_(placed))
    ).one()
    certificates = _count(
        sa.select(sa.func.count(Certificate.id))
        .join(Enrolment, Enrolment.id == Certificate.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(
            scope.in_programme,
            Certificate.issued_date >= scope.start,
            Certificate.issued_date <= scope.end,
            Certificate.revoked_dt.is_(None),
        )
    )
    report.figures |= {
        "starts": starts,
        "enrolments": enrolments,
        "completions": completions,
        "certificates": certificates,
    }


def _took_part(scope: _Scope) -> dict[int, date]:
    """Grant participants, and the local day each first took part."""
    attended = _grant_attendance(scope).subquery()
    rows = db.session.execute(
        sa.select(attended.c.learner_id, sa.func.min(attended.c.first)).group_by(attended.c.learner_id)
    ).all()
    return {learner_id: scope.local_day(first) for learner_id, first in rows}


def _grant_participants(scope: _Scope) -> sa.Select[Any]:
    """The learners `_took_part` finds, as a subquery for the statements that follow it."""
    attended = _grant_attendance(scope).subquery()
    return sa.select(attended.c.learner_id).distinct()


def _grant_attendance(scope: _Scope) -> sa.Select[int, datetime | None] | sa.CompoundSelect:
    """Learners who came to the programme's sessions held during the grant, and when they first came."""
    return _attended_between(scope, *_instants(scope.zone, scope.programme.start_date, scope.programme.end_date))


def _firsts(rows: Iterable[Any], key, when, took_part: dict[int, date], grant_end: date) -> dict:  # noqa: ANN001
    """The first row per key dated on or after the learner took part and within the grant; rows come
    ordered by date and id."""
    first: dict = {}
    for row in rows:
        day = when(row)
        if took_part.get(row.learner_id, date.max) <= day <= grant_end:
            first.setdefault(key(row), row)
    return first


def _outcomes(report: FunderReturn, scope: _Scope, took_part: dict[int, date]) -> None:
    """Where grant participants went, by the outcome's own date, once per learner and kind."""
    grant_end = scope.programme.end_date
    outcomes = db.session.execute(
        sa.select(
            Outcome.id,
            Outcome.learner_id,
            Outcome.kind,
            Outcome.outcome_date.label("day"),
            Outcome.hours_per_week,
            Outcome.sustained_13_weeks,
            Outcome.sustained_26_weeks,
            Outcome.domains,
        )
        .where(among(Outcome.learner_id, scope.grant_ids), Outcome.outcome_date <= grant_end)
        .order_by(Outcome.outcome_date, Outcome.id)
    ).all()
    placements = db.session.execute(
        sa.select(Placement.id, Placement.learner_id, Placement.end_date.label("day"))
        .where(
            among(Placement.learner_id, scope.grant_ids),
            Placement.completed.is_(True),
            Placement.end_date <= grant_end,
        )
        .order_by(Placement.end_date, Placement.id)
    ).all()
    firsts = _firsts(
        sorted([*outcomes, *placements], key=lambda row: row.day),
        lambda row: (row.learner_id, OUTCOME_GROUPS[row.kind] if hasattr(row, "kind") else "placements"),
        lambda row: row.day,
        took_part,
        grant_end,
    )
    _count_outcomes(report, scope, firsts)


def _count_outcomes(report: FunderReturn, scope: _Scope, firsts: dict[tuple[int, str], Any]) -> None:
    """The outcome figures from each learner's first outcome of each kind."""
    counted = [row for row in firsts.values() if scope.in_period(row.day)]
    groups = Counter(group for (_learner, group), row in firsts.items() if scope.in_period(row.day))
    report.figures |= {group: groups[group] for group in ("into_work", "into_training", "volunteering", "placements")}
    report.figures |= _work_figures([row for (_learner, group), row in firsts.items() if group == "into_work"], scope)
    report.breakdowns["domains"] = _domain_breakdown([getattr(row, "domains", None) or [] for row in counted])


def _work_figures(work: list[Any], scope: _Scope) -> dict[str, float]:
    """From each learner's counted job: 16 hours or more, and the 13- and 26-week checks due in the period."""
    figures: dict[str, float] = {
        "into_work_16_hours": sum(1 for row in work if scope.in_period(row.day) and (row.hours_per_week or 0) >= 16)
    }
    for key, after in SUSTAINED_AFTER.items():
        figures[key] = sum(1 for row in work if getattr(row, key) and scope.in_period(row.day + after))
    return figures


def _domain_breakdown(domain_lists: list[list[str]]) -> list[tuple[str, int]]:
    """How many outcomes touched each Indicator of Integration (one list per outcome), largest first."""
    domain_counts: Counter[str] = Counter()
    for domains in domain_lists:
        domain_counts.update(domains or [])
    return _by_size((str(IntegrationDomain(d).title), domain_counts[d]) for d in IntegrationDomain if domain_counts[d])


def _achievements(report: FunderReturn, scope: _Scope, took_part: dict[int, date]) -> None:
    """Qualifications passed and external certificates gained, once per learner and kind, by date."""
    grant_end = scope.programme.end_date
    results = db.session.execute(
        sa.select(
            QualificationResult.learner_id,
            QualificationResult.qualification_id,
            QualificationResult.result_date.label("day"),
        )
        .where(
            among(QualificationResult.learner_id, scope.grant_ids),
            QualificationResult.grade.in_(PASSED),
            QualificationResult.result_date <= grant_end,
        )
        .order_by(QualificationResult.result_date, QualificationResult.id)
    ).all()
    external = db.session.execute(
        sa.select(
            ExternalCertificate.learner_id,
            ExternalCertificate.certificate_type_id,
            ExternalCertificate.issued_date.label("day"),
        )
        .where(
            among(ExternalCertificate.learner_id, scope.grant_ids),
            ExternalCertificate.issued_date <= grant_end,
        )
        .order_by(ExternalCertificate.issued_date, ExternalCertificate.id)
    ).all()

    def counted(rows: Iterable[Any], kind: str) -> int:
        firsts = _firsts(
            rows, lambda row: (row.learner_id, getattr(row, kind)), lambda row: row.day, took_part, grant_end
        )
        return sum(1 for row in firsts.values() if scope.in_period(row.day))

    report.figures["qualifications"] = counted(results, "qualification_id")
    report.figures["external_certificates"] = counted(external, "certificate_type_id")


def _esol_gains(report: FunderReturn, scope: _Scope, took_part: dict[int, date]) -> None:
    """Per skill, grant participants whose first assessment above their baseline is dated in the period."""
    rows = db.session.execute(
        sa.select(EsolAssessment.learner_id, EsolAssessment.skill, EsolAssessment.level, EsolAssessment.assessed_date)
        .where(
            among(EsolAssessment.learner_id, scope.grant_ids),
            EsolAssessment.assessed_date <= scope.programme.end_date,
        )
        .order_by(EsolAssessment.assessed_date, EsolAssessment.id)
    ).all()
    series: dict[tuple[int, EsolSkill], list[Any]] = defaultdict(list)
    for row in rows:
        series[(row.learner_id, row.skill)].append(row)
    gains: Counter[EsolSkill] = Counter()
    for (learner_id, skill), assessments in series.items():
        joined = took_part[learner_id]
        before = [row for row in assessments if row.assessed_date <= joined]
        baseline = before[-1] if before else assessments[0]
        later = assessments[assessments.index(baseline) + 1 :]
        gain = next((row for row in later if row.level > baseline.level), None)
        if gain is not None and scope.in_period(gain.assessed_date):
            gains[skill] += 1
    report.breakdowns["esol_gains"] = [(str(skill.title), gains[skill]) for skill in EsolSkill]


def _by_size(items: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(items, key=lambda item: (-item[1], item[0]))


def _participant_breakdowns(report: FunderReturn, participant_ids, start: date, end: date) -> None:  # noqa: ANN001
    """Participants by eligibility at the period's end, age at its start, sex, nationality, first
    language and referrer, counted by SQL: a return reads a row per combination of values (and per
    birth date), not per learner."""
    combinations = db.session.execute(
        sa.select(
            Learner.sex, Learner.nationality, Learner.preferred_languages, Learner.referral_source, sa.func.count()
        )
        .where(among(Learner.id, participant_ids))
        .group_by(Learner.sex, Learner.nationality, Learner.preferred_languages, Learner.referral_source)
    ).all()
    births = db.session.execute(
        sa.select(Learner.date_of_birth, sa.func.count())
        .where(among(Learner.id, participant_ids))
        .group_by(Learner.date_of_birth)
    ).all()

    def band(dob: date | None) -> str:
        if dob is None:
            return _("Not recorded")
        age = age_on(dob, start)
        return next(label for low, high, label in AGE_BANDS if low <= age <= high)

    not_recorded = _("Not recorded")
    sexes: Counter[str] = Counter()
    nationalities: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    referrers: Counter[str] = Counter()
    for sex, nationality, tags, source, count in combinations:
        sexes[str(Sex(sex).title)] += count
        nationalities[nationality] += count
        languages[(tags or "").split(" ")[0]] += count
        referrers[source or not_recorded] += count
    ages: Counter[str] = Counter()
    for dob, count in births:
        ages[band(dob)] += count
    report.breakdowns["eligibility"] = _statuses_at_end(participant_ids, end, sum(sexes.values()))
    report.breakdowns["age"] = _by_size(ages.items())
    report.breakdowns["sex"] = _by_size(sexes.items())
    # Counted by code, then named: naming is the slow part, so it is done once per code.
    report.breakdowns["nationality"] = _named(nationalities, territory_name, not_recorded)
    report.breakdowns["language"] = _named(languages, language_name, not_recorded)
    report.breakdowns["referral_source"] = _by_size(referrers.items())


def _statuses_at_end(participant_ids, end: date, total: int) -> list[tuple[str, int]]:  # noqa: ANN001
    """Participants by the immigration status current on the period's last day (the latest to start)."""
    latest: dict[int, tuple[date, ImmigrationStatus]] = {}
    for learner_id, status, from_date in db.session.execute(
        sa.select(ImmigrationStatusRecord.learner_id, ImmigrationStatusRecord.status, ImmigrationStatusRecord.from_date)
        .where(
            among(ImmigrationStatusRecord.learner_id, participant_ids),
            ImmigrationStatusRecord.from_date <= end,
            sa.or_(ImmigrationStatusRecord.until_date.is_(None), ImmigrationStatusRecord.until_date >= end),
        )
        .order_by(ImmigrationStatusRecord.learner_id, ImmigrationStatusRecord.from_date, ImmigrationStatusRecord.id)
    ):
        if learner_id not in latest or from_date > latest[learner_id][0]:  # on a tie, the first recorded
            latest[learner_id] = (from_date, status)
    statuses = Counter(str(status.title) for _from, status in latest.values())
    if total > len(latest):
        statuses[_("Not recorded")] += total - len(latest)
    return _by_size(statuses.items())


def _named(counts: Counter[str], name: Callable[[str], str], not_recorded: str) -> list[tuple[str, int]]:
    named: Counter[str] = Counter()
    for code, count in counts.items():
        named[name(code) or not_recorded] += count
    return _by_size(named.items())


def _rarpa(report: FunderReturn, scope: _Scope) -> None:
    plans = db.session.execute(
        sa.select(LearningPlan.outcome, LearningPlan.start_ratings, LearningPlan.end_ratings)
        .join(Enrolment, Enrolment.id == LearningPlan.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(scope.in_programme, LearningPlan.signed_off_dt >= scope.first, LearningPlan.signed_off_dt < scope.last)
    ).all()
    outcomes = Counter(plan.outcome for plan in plans if plan.outcome)
    report.breakdowns["rarpa"] = _by_size((str(outcome.title), count) for outcome, count in outcomes.items())
    for key in SELF_RATINGS:
        pairs = [
            (p.start_ratings.get(key), p.end_ratings.get(key))
            for p in plans
            if p.start_ratings.get(key) and p.end_ratings.get(key)
        ]
        report.ratings.append(
            (
                key,
                round(sum(a for a, _b in pairs) / len(pairs), 1) if pairs else None,
                round(sum(b for _a, b in pairs) / len(pairs), 1) if pairs else None,
                len(pairs),
            )
        )


def _referrals(report: FunderReturn, scope: _Scope) -> None:
    referrals = db.session.execute(
        sa.select(Referral.source, sa.func.count(Referral.id))
        .outerjoin(Cohort, Cohort.id == Referral.cohort_id)
        .where(
            sa.or_(scope.in_programme, Referral.programme_id == scope.programme.id),
            Referral.received_dt >= scope.first,
            Referral.received_dt < scope.last,
        )
        .group_by(Referral.source)
    ).all()
    report.breakdowns["referrals"] = _by_size((str(source.title), count) for source, count in referrals)
    report.figures["referrals_in"] = sum(count for _source, count in referrals)


def _weekly(scope: _Scope) -> list[tuple[date, int, int]]:
    """Attended and counted marks per week: each session's totals, grouped by local week."""
    rows = db.session.execute(
        sa.select(Session.start_dt, SessionAttendance.attended, SessionAttendance.counted)
        .join(SessionAttendance, SessionAttendance.session_id == Session.id)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(scope.in_programme, scope.held())
    ).all()
    weeks: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for start_dt, session_attended, session_counted in rows:
        day = scope.local_day(start_dt)
        monday = day - timedelta(days=day.weekday())
        weeks[monday][0] += session_attended
        weeks[monday][1] += session_counted
    return [(week, values[0], values[1]) for week, values in sorted(weeks.items())]
