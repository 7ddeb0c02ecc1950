"""The figures funders count, computed with SQL aggregates over a programme and a period.

A participant is a learner who attended at least one session of the programme in the period; they
are counted once however many cohorts they are in. Contact hours are minutes attended, summed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from lms.assessments.attendance.models import AttendanceMark, AttendanceStatus
from lms.assessments.progression.models import (
    SELF_RATINGS,
    Certificate,
    EsolAssessment,
    ExternalCertificate,
    LearningPlan,
    Outcome,
    OutcomeKind,
    Placement,
)
from lms.core.esol import EsolLevel, EsolSkill
from lms.core.i18n import _
from lms.core.time import age_on, now_utc
from lms.courses.models import IntegrationDomain, Programme, TargetMeasure
from lms.extensions import db
from lms.people.models import ImmigrationStatus, ImmigrationStatusRecord, Learner, Organisation, Sex
from lms.scheduling.models import Cohort, Enrolment, EnrolmentStatus, Referral, Session, SessionStatus

ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)
NOT_COUNTED = (AttendanceStatus.EXCUSED, AttendanceStatus.CANCELLED_BY_PROVIDER)
MAX_BOUND_IDS = 30_000
AGE_BANDS = [
    (0, 17, "Under 18"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 49, "35-49"),
    (50, 64, "50-64"),
    (65, 200, "65+"),
]


@dataclass
class FunderReturn:
    programme: Programme
    start: date
    end: date
    figures: dict[str, float] = field(default_factory=dict)
    breakdowns: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    targets: list[tuple[TargetMeasure, int, float]] = field(default_factory=list)
    ratings: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    weekly_attendance: list[tuple[date, int, int]] = field(default_factory=list)


def period_instants(programme: Programme, start: date, end: date) -> tuple[datetime, datetime]:
    """The period's first and last local days as instants, in the provider's time zone."""
    zone = ZoneInfo(db.session.get_one(Organisation, programme.organisation_id).timezone)
    return (
        datetime.combine(start, time.min, tzinfo=zone).astimezone(UTC),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC),
    )


def _count(query: sa.Select[int]) -> int:
    """A COUNT query's figure: it always returns one row."""
    return db.session.scalar(query) or 0


def funder_return(programme: Programme, start: date, end: date, now: datetime | None = None) -> FunderReturn:
    now = now or now_utc()
    report = FunderReturn(programme, start, end)
    first, last = period_instants(programme, start, end)
    in_programme = Cohort.programme_id == programme.id
    held = sa.and_(
        Session.status == SessionStatus.SCHEDULED,
        Session.start_dt >= first,
        Session.start_dt < last,
        Session.start_dt < now,
    )

    # Attendance, participants and contact hours: one aggregate query.
    attended_case = sa.case((AttendanceMark.status.in_(ATTENDED), 1), else_=0)
    counted_case = sa.case((AttendanceMark.status.in_(NOT_COUNTED), 0), else_=1)
    participants, attended, counted, minutes = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(sa.case((AttendanceMark.status.in_(ATTENDED), AttendanceMark.learner_id)))),
            sa.func.coalesce(sa.func.sum(attended_case), 0),
            sa.func.coalesce(sa.func.sum(counted_case), 0),
            sa.func.coalesce(sa.func.sum(AttendanceMark.minutes_attended), 0),
        )
        .join(Session, Session.id == AttendanceMark.session_id)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(in_programme, held, AttendanceMark.learner_id.is_not(None))
    ).one()
    sessions = _count(
        sa.select(sa.func.count(Session.id)).join(Cohort, Cohort.id == Session.cohort_id).where(in_programme, held)
    )
    participants_select = (
        sa.select(AttendanceMark.learner_id)
        .distinct()
        .join(Session, Session.id == AttendanceMark.session_id)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(in_programme, held, AttendanceMark.status.in_(ATTENDED), AttendanceMark.learner_id.is_not(None))
    )
    # Found once and reused: as a subquery it would be recomputed by each query below. Past what one
    # statement can bind (about 32,000 parameters on SQLite), the subquery is used after all.
    found = list(db.session.scalars(participants_select))
    participant_ids = found if len(found) <= MAX_BOUND_IDS else participants_select

    # Starts: enrolments whose first attended session falls in the period.
    first_attended = (
        sa.select(AttendanceMark.learner_id, Session.cohort_id, sa.func.min(Session.start_dt).label("first"))
        .join(Session, Session.id == AttendanceMark.session_id)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(
            in_programme,
            AttendanceMark.status.in_(ATTENDED),
            Session.status == SessionStatus.SCHEDULED,
            # Only cohorts still running when the period began can start anyone in it.
            Cohort.end_date >= start,
            Cohort.start_date <= end,
            Session.start_dt < last,
        )
        .group_by(AttendanceMark.learner_id, Session.cohort_id)
        .subquery()
    )
    starts = _count(
        sa.select(sa.func.count())
        .select_from(first_attended)
        .where(first_attended.c.first >= first, first_attended.c.first < last)
    )
    enrolments = _count(
        sa.select(sa.func.count(Enrolment.id))
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(
            in_programme,
            Enrolment.status.in_(
                [
                    EnrolmentStatus.ENROLLED,
                    EnrolmentStatus.COMPLETED,
                    EnrolmentStatus.DID_NOT_COMPLETE,
                    EnrolmentStatus.WITHDRAWN,
                ]
            ),
            Cohort.start_date <= end,
            Cohort.end_date >= start,
        )
    )
    completions = _count(
        sa.select(sa.func.count(Enrolment.id))
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(
            in_programme,
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.status_changed_dt >= first,
            Enrolment.status_changed_dt < last,
        )
    )
    certificates = _count(
        sa.select(sa.func.count(Certificate.id))
        .join(Enrolment, Enrolment.id == Certificate.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(
            in_programme,
            Certificate.issued_date >= start,
            Certificate.issued_date <= end,
            Certificate.revoked_dt.is_(None),
        )
    )
    external = _count(
        sa.select(sa.func.count(ExternalCertificate.id)).where(
            ExternalCertificate.learner_id.in_(participant_ids),
            ExternalCertificate.issued_date >= start,
            ExternalCertificate.issued_date <= end,
        )
    )
    placements = _count(
        sa.select(sa.func.count(Placement.id)).where(
            Placement.learner_id.in_(participant_ids),
            Placement.completed.is_(True),
            Placement.end_date >= start,
            Placement.end_date <= end,
        )
    )

    report.figures = {
        "participants": participants,
        "starts": starts,
        "enrolments": enrolments,
        "sessions": sessions,
        "contact_hours": round(minutes / 60, 1),
        "attendance_rate": round(attended / counted * 100, 1) if counted else 0,
        "completions": completions,
        "certificates": certificates,
        "external_certificates": external,
    }
    _outcome_figures(report, participant_ids, start, end, placements)
    _participant_breakdowns(report, participant_ids, start, end)
    _rarpa(report, in_programme, first, last)
    _esol_gains(report, participant_ids, end)
    referrals = db.session.execute(
        sa.select(Referral.source, sa.func.count(Referral.id))
        .outerjoin(Cohort, Cohort.id == Referral.cohort_id)
        .where(
            sa.or_(in_programme, Referral.programme_id == programme.id),
            Referral.received_dt >= first,
            Referral.received_dt < last,
        )
        .group_by(Referral.source)
    ).all()
    report.breakdowns["referrals"] = [(source.title, count) for source, count in referrals]
    report.figures["referrals_in"] = sum(count for _source, count in referrals)
    actual_for = {
        TargetMeasure.PARTICIPANTS: "participants",
        TargetMeasure.STARTS: "starts",
        TargetMeasure.COMPLETIONS: "completions",
        TargetMeasure.CERTIFICATES: "certificates",
        TargetMeasure.INTO_WORK: "into_work",
        TargetMeasure.INTO_TRAINING: "into_training",
        TargetMeasure.VOLUNTEERING: "volunteering",
        TargetMeasure.PLACEMENTS: "placements",
        TargetMeasure.CONTACT_HOURS: "contact_hours",
    }
    report.targets = [(t.measure, t.value, report.figures[actual_for[t.measure]]) for t in programme.targets]
    report.weekly_attendance = _weekly(in_programme, first, last, now)
    return report


def _outcome_figures(report: FunderReturn, participant_ids, start: date, end: date, placements: int) -> None:  # noqa: ANN001
    """Where participants went: work (and whether it lasted), training, volunteering, placements; and
    the Indicators of Integration their outcomes touched."""
    outcome_rows = db.session.execute(
        sa.select(
            Outcome.kind,
            Outcome.hours_per_week,
            Outcome.sustained_13_weeks,
            Outcome.sustained_26_weeks,
            Outcome.domains,
        ).where(Outcome.learner_id.in_(participant_ids), Outcome.outcome_date >= start, Outcome.outcome_date <= end)
    ).all()
    kinds = Counter(row.kind for row in outcome_rows)
    work = [row for row in outcome_rows if row.kind in (OutcomeKind.EMPLOYMENT, OutcomeKind.SELF_EMPLOYMENT)]
    report.figures |= {
        "into_work": len(work),
        "into_work_16_hours": sum(1 for row in work if (row.hours_per_week or 0) >= 16),
        "sustained_13_weeks": sum(1 for row in work if row.sustained_13_weeks),
        "sustained_26_weeks": sum(1 for row in work if row.sustained_26_weeks),
        "into_training": kinds[OutcomeKind.EDUCATION],
        "volunteering": kinds[OutcomeKind.VOLUNTEERING],
        "placements": placements + kinds[OutcomeKind.PLACEMENT],
    }
    report.breakdowns["domains"] = _domain_breakdown([row.domains for row in outcome_rows])


def _domain_breakdown(domain_lists: list[list[str]]) -> list[tuple[str, int]]:
    """How many outcomes touched each Indicator of Integration (one list per outcome), in the framework's order."""
    domain_counts: Counter[str] = Counter()
    for domains in domain_lists:
        domain_counts.update(domains or [])
    return [(IntegrationDomain(d).title, domain_counts[d]) for d in IntegrationDomain if domain_counts[d]]


def _participant_breakdowns(report: FunderReturn, participant_ids, start: date, end: date) -> None:  # noqa: ANN001
    learners = db.session.execute(
        sa.select(Learner.id, Learner.sex, Learner.nationality, Learner.referral_source, Learner.date_of_birth).where(
            Learner.id.in_(participant_ids)
        )
    ).all()
    statuses: dict[int, list] = defaultdict(list)
    for row in db.session.execute(
        sa.select(
            ImmigrationStatusRecord.learner_id,
            ImmigrationStatusRecord.status,
            ImmigrationStatusRecord.from_date,
            ImmigrationStatusRecord.until_date,
        ).where(ImmigrationStatusRecord.learner_id.in_(participant_ids))
    ):
        statuses[row.learner_id].append(row)

    def status_at_end(learner_id: int) -> ImmigrationStatus:
        current = [
            r for r in statuses[learner_id] if r.from_date <= end and (r.until_date is None or r.until_date >= end)
        ]
        return max(current, key=lambda r: r.from_date).status if current else ImmigrationStatus.UNKNOWN

    def band(dob: date | None) -> str:
        if dob is None:
            return _("Not recorded")
        age = age_on(dob, start)
        return next(label for low, high, label in AGE_BANDS if low <= age <= high)

    def counted(values) -> list[tuple[str, int]]:  # noqa: ANN001
        return sorted(Counter(values).items(), key=lambda item: (-item[1], item[0]))

    report.breakdowns["eligibility"] = counted(status_at_end(row.id).title for row in learners)
    report.breakdowns["age"] = counted(band(row.date_of_birth) for row in learners)
    report.breakdowns["sex"] = counted(Sex(row.sex).title for row in learners)
    report.breakdowns["nationality"] = counted(row.nationality or _("Not recorded") for row in learners)
    report.breakdowns["referral_source"] = counted(row.referral_source or _("Not recorded") for row in learners)


def _rarpa(report: FunderReturn, in_programme, first: datetime, last: datetime) -> None:  # noqa: ANN001
    plans = db.session.execute(
        sa.select(LearningPlan.outcome, LearningPlan.start_ratings, LearningPlan.end_ratings)
        .join(Enrolment, Enrolment.id == LearningPlan.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(in_programme, LearningPlan.signed_off_dt >= first, LearningPlan.signed_off_dt < last)
    ).all()
    outcomes = Counter(plan.outcome for plan in plans if plan.outcome)
    report.breakdowns["rarpa"] = [(outcome.title, outcomes[outcome]) for outcome in outcomes]
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
            )
        )


def _esol_gains(report: FunderReturn, participant_ids, end: date) -> None:  # noqa: ANN001
    rows = db.session.execute(
        sa.select(EsolAssessment.learner_id, EsolAssessment.skill, EsolAssessment.level, EsolAssessment.assessed_date)
        .where(EsolAssessment.learner_id.in_(participant_ids), EsolAssessment.assessed_date <= end)
        .order_by(EsolAssessment.assessed_date, EsolAssessment.id)
    ).all()
    first_last: dict[tuple[int, EsolSkill], list[EsolLevel]] = {}
    for row in rows:
        levels = first_last.setdefault((row.learner_id, row.skill), [row.level, row.level])
        levels[1] = row.level
    gains = Counter(skill for (_learner, skill), (first, last) in first_last.items() if last > first)
    report.breakdowns["esol_gains"] = [(skill.title, gains[skill]) for skill in EsolSkill]


def _weekly(in_programme, first: datetime, last: datetime, now: datetime) -> list[tuple[date, int, int]]:  # noqa: ANN001
    """Attended and counted marks per week: summed per session in SQL, then grouped by local week."""
    attended = sa.func.sum(sa.case((AttendanceMark.status.in_(ATTENDED), 1), else_=0))
    counted = sa.func.sum(sa.case((AttendanceMark.status.in_(NOT_COUNTED), 0), else_=1))
    rows = db.session.execute(
        sa.select(Session.start_dt, attended, counted)
        .join(AttendanceMark, AttendanceMark.session_id == Session.id)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(
            in_programme,
            Session.status == SessionStatus.SCHEDULED,
            Session.start_dt >= first,
            Session.start_dt < min(last, now),
        )
        .group_by(Session.id, Session.start_dt)
    ).all()
    weeks: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    zone = ZoneInfo("Europe/London")
    for start_dt, session_attended, session_counted in rows:
        if start_dt.tzinfo is None:  # a column in a GROUP BY keeps its type on PostgreSQL but not always on SQLite
            start_dt = start_dt.replace(tzinfo=UTC)
        day = start_dt.astimezone(zone).date()
        monday = day - timedelta(days=day.weekday())
        weeks[monday][0] += int(session_attended or 0)
        weeks[monday][1] += int(session_counted or 0)
    return [(week, values[0], values[1]) for week, values in sorted(weeks.items())]
