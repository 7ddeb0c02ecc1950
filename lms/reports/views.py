"""Funder returns (page, CSV, XLSX), the coordinator dashboard, and exports for partners' systems."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_login import current_user
from markupsafe import Markup

from lms.assessments.attendance import services as attendance
from lms.assessments.attendance.access import markable_sessions
from lms.assessments.attendance.models import AttendanceMark
from lms.assessments.progression.models import ExternalCertificate, Outcome
from lms.core.access import role_required
from lms.core.errors import ServiceError
from lms.core.i18n import _, format_date
from lms.core.inputs import parse_id
from lms.core.roles import Role
from lms.core.spreadsheets import csv_stream, csv_text
from lms.core.time import now_utc, today_local
from lms.courses.models import Programme
from lms.extensions import db
from lms.people.access import visible_learners
from lms.people.models import Learner
from lms.people.queries import dbs_due, dbs_missing, organisation_logo
from lms.reports import charts, documents
from lms.reports.access import load_return_programme, period_problem, sees_individuals, visible_programmes
from lms.reports.disclosure import PublishedReturn, legend, publish
from lms.reports.measures import BREAKDOWN_DEFINITIONS, BREAKDOWNS, MEASURES, OUTCOME_RULE
from lms.reports.queries import funder_return
from lms.scheduling import queries as scheduling_queries
from lms.scheduling.access import readable_sessions
from lms.scheduling.models import Cohort, Session

bp = Blueprint("reports", __name__, template_folder="templates")


@dataclass
class Period:
    start: date
    end: date
    label: str
    #: The period before, of the same length (the reporting period before, if one was chosen).
    previous: tuple[date, date] | None = None


def _dates(programme: Programme) -> Period:
    """The period asked for: a reporting period, dates, or the whole grant. ServiceError if unreadable."""
    period_id = request.args.get("period", type=int)
    periods = sorted(programme.reporting_periods, key=lambda p: p.start_date)
    chosen = next((p for p in periods if p.id == period_id), None)
    if chosen is not None:
        length = chosen.end_date - chosen.start_date
        before = [
            p
            for p in periods
            if p.end_date < chosen.start_date and abs((p.end_date - p.start_date) - length) <= timedelta(days=5)
        ]
        previous = (before[-1].start_date, before[-1].end_date) if before else None
        return Period(chosen.start_date, chosen.end_date, chosen.name, previous)
    asked_start, asked_end = _date_args()
    start, end = asked_start or programme.start_date, asked_end or programme.end_date
    length = end - start
    previous_end = start - timedelta(days=1)
    previous = (previous_end - length, previous_end) if previous_end - length >= programme.start_date else None
    if start == programme.start_date and end == programme.end_date:
        return Period(start, end, _("The whole grant period"), None)
    label = _("%(start)s to %(end)s", start=format_date(start, "long"), end=format_date(end, "long"))
    return Period(start, end, label, previous)


def _period(programme: Programme, protected: bool) -> Period:
    """The period asked for, if this reader may have it; ServiceError with the reason if not."""
    period = _dates(programme)
    problem = period_problem(programme, period.start, period.end, protected=protected)
    if problem:
        raise ServiceError(problem)
    if period.previous and period_problem(programme, *period.previous, protected=protected):
        period.previous = None
    return period


def _published(programme: Programme, start: date, end: date) -> PublishedReturn:
    protected = not sees_individuals(current_user, programme)
    return publish(funder_return(programme, start, end), protect=protected)


@bp.get("/reports")
@role_required(Role.COORDINATOR, Role.FUNDER_VIEWER)
def index():
    programmes = db.session.scalars(
        sa.select(Programme)
        .where(visible_programmes(current_user))
        .options(sa.orm.selectinload(Programme.reporting_periods))
        .order_by(Programme.start_date.desc())
    ).all()
    return render_template("reports/index.html", programmes=programmes)


@bp.get("/reports/programmes/<int:programme_id>")
@role_required(Role.COORDINATOR, Role.FUNDER_VIEWER)
def programme_return(programme_id: int):
    programme = load_return_programme(programme_id)
    protected = not sees_individuals(current_user, programme)
    try:
        period = _period(programme, protected)
    except ServiceError as refused:
        return render_template(
            "reports/return.html", programme=programme, published=None, error=refused.message, **_dates_shown()
        ), 400
    published = _published(programme, period.start, period.end)
    previous = _published(programme, *period.previous) if period.previous else None
    return render_template(
        "reports/return.html",
        programme=programme,
        published=published,
        previous=previous,
        period=period,
        error=None,
        measures=MEASURES,
        breakdowns=BREAKDOWNS,
        breakdown_definitions=BREAKDOWN_DEFINITIONS,
        outcome_rule=OUTCOME_RULE,
        legend=legend(),
        charts=_charts(published),
        query=request.query_string.decode(),
        **_dates_shown(period),
    )


def _dates_shown(period: Period | None = None) -> dict:
    """What the date form shows: the period's dates, or what was typed."""
    if period is not None:
        return {"shown_from": period.start.isoformat(), "shown_to": period.end.isoformat()}
    return {"shown_from": request.args.get("from", ""), "shown_to": request.args.get("to", "")}


def _charts(published: PublishedReturn) -> dict[str, Markup]:
    return {
        "targets": charts.bar_chart(
            "chart-targets",
            _("Results against targets"),
            [(str(measure.title), cell, target) for measure, target, cell in published.targets],
        ),
        "weekly": charts.column_chart(
            "chart-weekly",
            _("Attendance rate per week"),
            [(week.strftime("%d/%m"), cell) for week, cell in published.weekly],
        ),
        "gains": charts.bar_chart(
            "chart-gains",
            _("Learners who moved up an ESOL level, per skill"),
            [(name, cell, None) for name, cell in published.breakdowns["esol_gains"]],
        ),
    }


@bp.get("/reports/compare")
@role_required(Role.COORDINATOR)
def compare():
    """Several programmes side by side over the same dates, each clipped to its own grant."""
    programmes = db.session.scalars(
        sa.select(Programme).where(visible_programmes(current_user)).order_by(Programme.start_date.desc())
    ).all()
    visible = {p.id: p for p in programmes}
    chosen_ids = list(dict.fromkeys(parse_id(value) for value in request.args.getlist("programme")))
    chosen = [visible[i] for i in chosen_ids if i in visible]  # in the order they were chosen
    start, end, error = _compare_dates()
    columns = []
    for programme in [] if error else chosen:
        first = max(start or programme.start_date, programme.start_date)
        last = min(end or programme.end_date, programme.end_date)
        columns.append((programme, first, last, _published(programme, first, last) if first <= last else None))
    return render_template(
        "reports/compare.html",
        programmes=programmes,
        chosen_ids=chosen_ids,
        columns=columns,
        measures=MEASURES,
        error=error,
        shown_from=request.args.get("from", ""),
        shown_to=request.args.get("to", ""),
    ), 400 if error else 200


def _date_args() -> tuple[date | None, date | None]:
    """The `from` and `to` dates asked for (None where not given); ServiceError if unreadable."""
    try:
        start = date.fromisoformat(request.args["from"]) if request.args.get("from") else None
        end = date.fromisoformat(request.args["to"]) if request.args.get("to") else None
    except ValueError:
        raise ServiceError(_("Enter each date as day, month and year.")) from None
    return start, end


def _compare_dates() -> tuple[date | None, date | None, str | None]:
    """The dates to compare over (None: each programme's whole grant), and what is wrong with them."""
    try:
        start, end = _date_args()
    except ServiceError as refused:
        return None, None, refused.message
    if start and end and end < start:
        return None, None, _("The end of the period is before its start.")
    return start, end, None


def _return_rows(programme: Programme) -> tuple[list[list[str]], str]:
    protected = not sees_individuals(current_user, programme)
    try:
        period = _period(programme, protected)
    except ServiceError as refused:
        abort(400, refused.message)
    published = _published(programme, period.start, period.end)
    rows = [[_("Section"), _("Measure"), _("Value")]]
    rows += [[_("Figures"), str(MEASURES[key].title), cell.shown] for key, cell in published.figures.items()]
    for key, items in published.breakdowns.items():
        rows += [[str(BREAKDOWNS[key]), name, cell.shown] for name, cell in items]
    rows += [
        [_("Targets"), str(measure.title), f"{cell.shown} / {target}"] for measure, target, cell in published.targets
    ]
    if protected:
        rows.append([_("Note"), "", legend()])
    return rows, f"{programme.name} {period.label}"


@bp.get("/reports/programmes/<int:programme_id>.csv")
@role_required(Role.COORDINATOR, Role.FUNDER_VIEWER)
def programme_return_csv(programme_id: int):
    rows, title = _return_rows(load_return_programme(programme_id))
    body = csv_text([[title], *rows]).encode("utf-8-sig")
    return _download(body, "text/csv; charset=utf-8", "funder-return.csv")


@bp.get("/reports/programmes/<int:programme_id>.xlsx")
@role_required(Role.COORDINATOR, Role.FUNDER_VIEWER)
def programme_return_xlsx(programme_id: int):
    published, title = _document(load_return_programme(programme_id))
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(documents.return_xlsx(published, title), xlsx, "funder-return.xlsx")


@bp.get("/reports/programmes/<int:programme_id>.pdf")
@role_required(Role.COORDINATOR, Role.FUNDER_VIEWER)
def programme_return_pdf(programme_id: int):
    programme = load_return_programme(programme_id)
    published, title = _document(programme)
    pdf = documents.return_pdf(published, programme, title, organisation_logo(programme.organisation_id))
    return _download(pdf, "application/pdf", "funder-return.pdf")


def _document(programme: Programme) -> tuple[PublishedReturn, str]:
    """The return as the current user may have it (protected for funders), and the file's title."""
    try:
        period = _period(programme, not sees_individuals(current_user, programme))
    except ServiceError as refused:
        abort(400, refused.message)
    published = _published(programme, period.start, period.end)
    return published, _("Funder return: %(programme)s, %(period)s", programme=programme.name, period=period.label)


def _download(body: bytes | Iterator[str], mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the coordinator's dashboard -----------------------------------------------------------------


#: How many rows each list on the dashboard shows.
SHOWN = 10
#: How far ahead the dashboard warns of DBS rechecks and certificates running out.
WARN_DAYS = 60


@bp.get("/dashboard")
@role_required(Role.COORDINATOR)
def dashboard():
    """What needs doing, in the same statements whatever the organisation's size: every list is the
    first few rows of a bounded, indexed query, with its total beside it."""
    organisation = current_user.organisation
    zone = ZoneInfo(organisation.timezone)
    today = today_local(zone)
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday, time.min, tzinfo=zone).astimezone(UTC)
    week_total, week = scheduling_queries.first_sessions_between(organisation.id, start, start + timedelta(days=7), 12)
    expiring = db.session.execute(
        sa.select(ExternalCertificate, Learner)
        .join(Learner, Learner.id == ExternalCertificate.learner_id)
        .where(
            Learner.organisation_id == organisation.id,
            ExternalCertificate.expiry_date >= today,
            ExternalCertificate.expiry_date <= today + timedelta(days=WARN_DAYS),
        )
        .options(sa.orm.joinedload(ExternalCertificate.certificate_type))
        .order_by(ExternalCertificate.expiry_date)
        .limit(SHOWN)
    ).all()
    at_risk = attendance.learners_at_risk(organisation.id, today=today)
    dbs, dbs_total = dbs_due(organisation.id, today + timedelta(days=WARN_DAYS), SHOWN)
    no_dbs, no_dbs_total = dbs_missing(organisation.id, SHOWN)
    return render_template(
        "reports/dashboard.html",
        week=week,
        week_total=week_total,
        zone=zone,
        at_risk=at_risk[:SHOWN],
        at_risk_total=len(at_risk),
        not_taken=attendance.registers_not_taken(organisation.id, today - timedelta(days=14)),
        cohorts=scheduling_queries.live_cohort_lists(organisation.id, SHOWN),
        expiring=expiring,
        dbs=dbs,
        dbs_total=dbs_total,
        no_dbs=no_dbs,
        no_dbs_total=no_dbs_total,
        today=today,
        now=now_utc(),
    )


# --- exports for partners' case-management systems ----------------------------------------------

EXPORTS = ("participants", "sessions", "attendance", "outcomes")


@bp.get("/exports")
@role_required(Role.COORDINATOR)
def exports():
    return render_template("reports/exports.html", kinds=EXPORTS, today=today_local())


@bp.get("/exports/<any(participants, sessions, attendance, outcomes):kind>.csv")
@role_required(Role.COORDINATOR)
def export_csv(kind: str):
    """Streamed in batches, so a year of attendance never sits in memory at once."""
    organisation_id = current_user.organisation_id
    zone = ZoneInfo(current_user.organisation.timezone)
    try:
        first = date.fromisoformat(request.args.get("from") or "2000-01-01")
        last = date.fromisoformat(request.args.get("to") or today_local(zone).isoformat())
    except ValueError:
        abort(400)
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    header, query, row_of = _export(kind, organisation_id, start, end, first, last, zone)
    query = query.where(_export_rule(kind))

    def generate() -> Iterator[str]:
        partitions = db.session.execute(query.execution_options(yield_per=2000)).partitions()
        yield from csv_stream(header, ([row_of(row) for row in partition] for partition in partitions))

    return _download(stream_with_context(generate()), "text/csv; charset=utf-8", f"{kind}-{first}-{last}.csv")


def _export_rule(kind: str) -> sa.ColumnElement[bool]:
    """Each export applies the rule of what it lists, as the pages do: learners (participants,
    outcomes), sessions, and registers (attendance marks)."""
    if kind == "sessions":
        return readable_sessions(current_user)
    if kind == "attendance":
        return markable_sessions(current_user)
    return visible_learners(current_user)


def _export(kind: str, organisation_id: int, start: datetime, end: datetime, first: date, last: date, zone):  # noqa: ANN001, ANN202, PLR0913
    """Column names follow what Lamplight, Upshot, Charitylog and CiviCRM imports expect: one row per
    record, ISO dates, an external id to match on."""
    if kind == "participants":
        return (
            [
                "external_id",
                "first_name",
                "last_name",
                "first_name_latin",
                "last_name_latin",
                "date_of_birth",
                "sex",
                "nationality",
                "mobile",
                "email",
                "preferred_languages",
                "referral_source",
                "created",
            ],
            sa.select(Learner).where(Learner.organisation_id == organisation_id).order_by(Learner.id),
            lambda row: [
                f"pathways-{row.Learner.id}",
                row.Learner.given_name,
                row.Learner.family_name,
                row.Learner.given_name_latin,
                row.Learner.family_name_latin,
                row.Learner.date_of_birth.isoformat() if row.Learner.date_of_birth else "",
                row.Learner.sex.value,
                row.Learner.nationality,
                row.Learner.phone or "",
                row.Learner.email or "",
                row.Learner.preferred_languages,
                row.Learner.referral_source,
                row.Learner.created_dt.date().isoformat(),
            ],
        )
    if kind == "sessions":
        return (
            ["session_id", "cohort", "date", "start", "end", "status", "cancel_reason"],
            sa.select(Session.id, Cohort.name, Session.start_dt, Session.end_dt, Session.status, Session.cancel_reason)
            .join(Cohort, Cohort.id == Session.cohort_id)
            .where(Cohort.organisation_id == organisation_id, Session.start_dt >= start, Session.start_dt < end)
            .order_by(Session.start_dt, Session.id),
            lambda row: [
                row.id,
                row.name,
                row.start_dt.astimezone(zone).date().isoformat(),
                row.start_dt.astimezone(zone).strftime("%H:%M"),
                row.end_dt.astimezone(zone).strftime("%H:%M"),
                row.status.value,
                row.cancel_reason.removeprefix("timetable: "),
            ],
        )
    if kind == "attendance":
        return (
            ["external_id", "session_id", "cohort", "date", "status", "attended", "minutes_attended"],
            sa.select(
                AttendanceMark.learner_id,
                AttendanceMark.session_id,
                Cohort.name,
                Session.start_dt,
                AttendanceMark.status,
                AttendanceMark.minutes_attended,
            )
            .join(Session, Session.id == AttendanceMark.session_id)
            .join(Cohort, Cohort.id == Session.cohort_id)
            .where(
                Cohort.organisation_id == organisation_id,
                Session.start_dt >= start,
                Session.start_dt < end,
                AttendanceMark.learner_id.is_not(None),
            )
            .order_by(Session.start_dt, AttendanceMark.id),
            lambda row: [
                f"pathways-{row.learner_id}",
                row.session_id,
                row.name,
                row.start_dt.astimezone(zone).date().isoformat(),
                row.status.value,
                "yes" if row.status.attended else "no",
                row.minutes_attended,
            ],
        )
    return (
        [
            "external_id",
            "outcome",
            "date",
            "hours_per_week",
            "organisation",
            "sustained_13_weeks",
            "sustained_26_weeks",
            "domains",
        ],
        sa.select(Outcome)
        .join(Learner, Learner.id == Outcome.learner_id)
        .where(Learner.organisation_id == organisation_id, Outcome.outcome_date >= first, Outcome.outcome_date <= last)
        .order_by(Outcome.outcome_date, Outcome.id),
        lambda row: [
            f"pathways-{row.Outcome.learner_id}",
            row.Outcome.kind.value,
            row.Outcome.outcome_date.isoformat(),
            row.Outcome.hours_per_week or "",
            row.Outcome.organisation_name,
            _yes_no(row.Outcome.sustained_13_weeks),
            _yes_no(row.Outcome.sustained_26_weeks),
            " ".join(row.Outcome.domains or []),
        ],
    )


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")
