"""JSON API v1: thin views over the same services and object checks as the web pages."""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from lms.api import schemas
from lms.api.access import owns_token
from lms.api.core import REGISTRY, Problem, dump, field_problem, json_response, not_allowed, operation, page
from lms.api.models import ApiToken, TokenScope
from lms.api.openapi import openapi_document
from lms.api.tokens import TokenForm, create_token, revoke_token, tokens_of
from lms.assessments.attendance import services as attendance
from lms.assessments.attendance.access import can_mark, load_session_to_mark
from lms.assessments.attendance.services import Entry
from lms.assessments.progression import services as progression
from lms.assessments.progression.access import load_cohort_to_teach, why_not_issue
from lms.assessments.progression.models import Certificate, Outcome, QualificationResult
from lms.core.access import get_or_404, is_staff_of, login_required, public
from lms.core.i18n import _
from lms.core.time import LONDON
from lms.courses.access import readable_curriculum
from lms.courses.models import CertificateKind, CertificateType, Course, Pathway, Programme
from lms.extensions import db
from lms.people import access as people_access
from lms.people import services as people_services
from lms.people.inputs import LearnerInput
from lms.people.models import Learner, Organisation
from lms.reports import access as report_access
from lms.reports import queries as report_queries
from lms.reports.disclosure import Cell, publish
from lms.scheduling import access as scheduling_access
from lms.scheduling.clashes import ClashError
from lms.scheduling.cohorts import enrolment
from lms.scheduling.cohorts import services as scheduling_services
from lms.scheduling.cohorts.inputs import CohortInput, ReferralInput
from lms.scheduling.models import Cohort, Enrolment, ReferralSource, Session
from lms.scheduling.timetable import services as timetable

bp = Blueprint("api", __name__, template_folder="templates")

DATE_RANGE = [("from", "date", "On or after this date (YYYY-MM-DD)"), ("to", "date", "On or before this date")]
PAGING = [("limit", "integer", "Items per page, 1 to 200"), ("cursor", "string", "next_cursor of the previous page")]


def _date_arg(name: str) -> date | None:
    if name not in request.args:
        return None
    try:
        return date.fromisoformat(request.args[name])
    except ValueError:
        raise field_problem(name, _("Dates are written YYYY-MM-DD."), 400)


def _org_reader() -> int:
    """Lists are of the caller's own organisation, for staff; each list also applies its kind's rule."""
    if not is_staff_of(current_user, current_user.organisation_id):
        raise not_allowed(_("Your role cannot see this."))
    return current_user.organisation_id


# --- discovery -----------------------------------------------------------------------------------


@operation("get", "/openapi.json", "This description", scope=None)
def openapi():
    return json_response(_openapi())


@functools.cache
def _openapi() -> dict:
    """Built once: the operations are all declared when this module is imported."""
    return openapi_document(REGISTRY)


@operation("get", "/me", "Who the token acts as", response=schemas.Me)
def me():
    user = current_user
    return json_response(
        schemas.Me(
            id=user.id,
            display_name=user.display_name,
            organisation_id=user.organisation_id,
            roles=sorted(role.value for role in user.roles),
            token_scope=g.api_token.scope.value,
        ).model_dump(mode="json")
    )


@operation(
    "get",
    "/organisations/<id:organisation_id>",
    "Your organisation, or a partner, funder or employer",
    response=schemas.OrganisationOut,
)
def organisation(organisation_id: int):
    record = get_or_404(Organisation, organisation_id, people_access.can_see_organisation)
    return json_response(dump(schemas.OrganisationOut, record))


# --- curriculum ----------------------------------------------------------------------------------


@operation("get", "/courses", "Courses of your organisation", response=schemas.CourseOut, many=True, query=PAGING)
def courses():
    organisation_id = _org_reader()
    return json_response(
        page(
            sa.select(Course).where(
                Course.organisation_id == organisation_id, readable_curriculum(current_user, Course)
            ),
            Course.id,
            schemas.CourseOut,
        )
    )


@operation(
    "get", "/programmes", "Programmes of your organisation", response=schemas.ProgrammeOut, many=True, query=PAGING
)
def programmes():
    organisation_id = _org_reader()
    return json_response(
        page(
            sa.select(Programme).where(
                Programme.organisation_id == organisation_id, readable_curriculum(current_user, Programme)
            ),
            Programme.id,
            schemas.ProgrammeOut,
        )
    )


@operation(
    "get", "/pathways", "Learning pathways of your organisation", response=schemas.PathwayOut, many=True, query=PAGING
)
def pathways():
    organisation_id = _org_reader()
    return json_response(
        page(
            sa.select(Pathway).where(
                Pathway.organisation_id == organisation_id, readable_curriculum(current_user, Pathway)
            ),
            Pathway.id,
            schemas.PathwayOut,
        )
    )


# --- learners ------------------------------------------------------------------------------------


def _learner_of(organisation_id: int, learner_id: int) -> Learner:
    """A learner named in a body: one of the organisation's, else the field is wrong (not a 404)."""
    learner = db.session.get(Learner, learner_id)
    if learner is None or learner.organisation_id != organisation_id:
        raise field_problem("learner_id", _("Choose the learner from your organisation."))
    return learner


@operation(
    "post",
    "/learners",
    "Add a learner from a referral (coordinators)",
    scope=TokenScope.WRITE,
    body=schemas.LearnerIn,
    response=schemas.LearnerOut,
    idempotent=True,
)
def create_learner(payload: schemas.LearnerIn):
    if not people_access.can_add_learner(current_user):
        raise not_allowed(_("Only coordinators can add learners."))
    data = LearnerInput(**payload.model_dump(exclude_none=True))
    learner = people_services.create_learner(current_user.organisation, data, current_user)
    return json_response(dump(schemas.LearnerOut, learner), 201)


@operation("get", "/learners/<id:learner_id>", "One learner's names and contact details", response=schemas.LearnerOut)
def learner(learner_id: int):
    return json_response(dump(schemas.LearnerOut, people_access.load_learner(learner_id)))


@operation(
    "patch",
    "/learners/<id:learner_id>",
    "Update a learner's contact details",
    scope=TokenScope.WRITE,
    body=schemas.ContactIn,
    response=schemas.LearnerOut,
)
def update_learner(learner_id: int, payload: schemas.ContactIn):
    learner = people_access.load_learner(learner_id)
    if not people_access.can_edit_learner(current_user, learner):
        raise not_allowed(_("Only coordinators can change a learner's details."))
    people_services.update_learner(learner, LearnerInput(**payload.model_dump(exclude_none=True)), current_user)
    return json_response(dump(schemas.LearnerOut, learner))


@operation(
    "get",
    "/learners/<id:learner_id>/progress",
    "A learner's enrolments, results, outcomes and certificates",
    response=schemas.ProgressOut,
)
def learner_progress(learner_id: int):
    learner = people_access.load_learner(learner_id)

    def rows(model, order):  # noqa: ANN001, ANN202
        return db.session.scalars(sa.select(model).where(model.learner_id == learner.id).order_by(order)).all()

    body = schemas.ProgressOut(
        learner_id=learner.id,
        enrolments=[schemas.EnrolmentSummary.model_validate(e) for e in rows(Enrolment, Enrolment.id)],
        results=[schemas.ResultOut.model_validate(r) for r in rows(QualificationResult, QualificationResult.id)],
        outcomes=[schemas.OutcomeOut.model_validate(o) for o in rows(Outcome, Outcome.id)],
        certificates=[
            schemas.CertificateSummary(
                code=progression.format_code(c.code),
                course_title=c.course_title,
                issued_date=c.issued_date,
                revoked=c.revoked_dt is not None,
            )
            for c in rows(Certificate, Certificate.id)
        ],
    )
    return json_response(body.model_dump(mode="json"))


@operation(
    "post",
    "/referrals",
    "Refer a learner (coordinators)",
    scope=TokenScope.WRITE,
    body=schemas.ReferralIn,
    response=schemas.ReferralOut,
    idempotent=True,
)
def create_referral(payload: schemas.ReferralIn):
    if not people_access.can_add_learner(current_user):
        raise not_allowed(_("Only coordinators can add learners."))
    learner = _learner_of(current_user.organisation_id, payload.learner_id)
    data = ReferralInput(**payload.model_dump(exclude={"learner_id"}), source=ReferralSource.PARTNER)
    referral = enrolment.create_referral(current_user.organisation, learner, data, current_user)
    return json_response(dump(schemas.ReferralOut, referral), 201)


@operation("get", "/referrals/<id:referral_id>", "A referral's status", response=schemas.ReferralOut)
def referral(referral_id: int):
    return json_response(dump(schemas.ReferralOut, scheduling_access.load_referral(referral_id)))


# --- cohorts and sessions ------------------------------------------------------------------------


@operation(
    "get",
    "/cohorts",
    "Cohorts of your organisation",
    response=schemas.CohortOut,
    many=True,
    query=PAGING + [("starts_from", "date", "Starting on or after"), ("starts_to", "date", "Starting on or before")],
)
def cohorts():
    organisation_id = _org_reader()
    query = sa.select(Cohort).where(
        Cohort.organisation_id == organisation_id, scheduling_access.readable_cohorts(current_user)
    )
    if (starts_from := _date_arg("starts_from")) is not None:
        query = query.where(Cohort.start_date >= starts_from)
    if (starts_to := _date_arg("starts_to")) is not None:
        query = query.where(Cohort.start_date <= starts_to)
    return json_response(page(query, Cohort.id, schemas.CohortOut))


@operation(
    "post",
    "/cohorts",
    "Create a cohort (coordinators)",
    scope=TokenScope.WRITE,
    body=schemas.CohortIn,
    response=schemas.CohortOut,
    idempotent=True,
)
def create_cohort(payload: schemas.CohortIn):
    if not scheduling_access.can_add_cohort(current_user):
        raise not_allowed(_("Only coordinators can create cohorts."))
    cohort = scheduling_services.save_cohort(
        current_user.organisation, CohortInput(**payload.model_dump()), current_user
    )
    return json_response(dump(schemas.CohortOut, cohort), 201)


@operation("get", "/cohorts/<id:cohort_id>", "One cohort", response=schemas.CohortOut)
def cohort(cohort_id: int):
    return json_response(dump(schemas.CohortOut, scheduling_access.load_cohort(cohort_id)))


@operation(
    "get",
    "/cohorts/<id:cohort_id>/sessions",
    "Sessions of a cohort",
    response=schemas.SessionOut,
    many=True,
    query=PAGING + DATE_RANGE,
)
def sessions(cohort_id: int):
    cohort = scheduling_access.load_cohort(cohort_id)
    query = sa.select(Session).where(Session.cohort_id == cohort.id, scheduling_access.readable_sessions(current_user))
    if (start := _date_arg("from")) is not None:
        query = query.where(Session.start_dt >= datetime.combine(start, time(), LONDON))
    if (end := _date_arg("to")) is not None:
        query = query.where(Session.start_dt < datetime.combine(end + timedelta(days=1), time(), LONDON))
    return json_response(page(query, Session.id, schemas.SessionOut))


@operation(
    "post",
    "/cohorts/<id:cohort_id>/enrolments",
    "Enrol a learner: enrolled, waitlisted or refused",
    scope=TokenScope.WRITE,
    body=schemas.EnrolmentIn,
    response=schemas.EnrolmentOut,
    idempotent=True,
)
def enrol(cohort_id: int, payload: schemas.EnrolmentIn):
    cohort = scheduling_access.load_cohort(cohort_id)
    if not scheduling_access.can_manage_cohort(current_user, cohort):
        raise not_allowed(_("Only coordinators can enrol learners."))
    learner = _learner_of(cohort.organisation_id, payload.learner_id)
    result = enrolment.enrol(
        cohort,
        learner,
        actor=current_user,
        needs_creche=payload.needs_creche,
        needs_interpreter=payload.needs_interpreter,
    )
    body = schemas.EnrolmentOut(
        outcome=result.outcome,
        message=result.message,
        enrolment_id=result.enrolment.id if result.enrolment else None,
        learner_id=learner.id,
        cohort_id=cohort.id,
    )
    return json_response(body.model_dump(mode="json"), 201)


@operation(
    "post",
    "/enrolments/<id:enrolment_id>/withdraw",
    "Withdraw a learner; the place goes to the waitlist",
    scope=TokenScope.WRITE,
    body=schemas.WithdrawIn,
    response=schemas.WithdrawOut,
)
def withdraw(enrolment_id: int, payload: schemas.WithdrawIn):
    record = scheduling_access.load_enrolment(enrolment_id)
    if not scheduling_access.can_manage_enrolment(current_user, record):
        raise not_allowed(_("Only coordinators can withdraw learners."))
    offered = enrolment.withdraw(record, payload.reason, current_user)
    body = schemas.WithdrawOut(
        enrolment_id=record.id, status=record.status.value, places_offered_to=[e.learner_id for e in offered]
    )
    return json_response(body.model_dump(), 201)


def _session_to_manage(session_id: int) -> Session:
    session = scheduling_access.load_session(session_id)
    if not scheduling_access.can_manage_session(current_user, session):
        raise not_allowed(_("Only coordinators can move or cancel sessions."))
    return session


@operation(
    "post",
    "/sessions/<id:session_id>/cancel",
    "Cancel a session (learners see the reason)",
    scope=TokenScope.WRITE,
    body=schemas.CancelIn,
    response=schemas.SessionOut,
)
def cancel_session(session_id: int, payload: schemas.CancelIn):
    session = timetable.cancel_session(_session_to_manage(session_id), payload.reason, current_user)
    return json_response(dump(schemas.SessionOut, session), 201)


@operation(
    "post",
    "/sessions/<id:session_id>/move",
    "Move a session to another date or time",
    scope=TokenScope.WRITE,
    body=schemas.MoveIn,
    response=schemas.SessionOut,
    conflict="The new time clashes with another session of its educators, room or learners; nothing moved",
)
def move_session(session_id: int, payload: schemas.MoveIn):
    session = _session_to_manage(session_id)
    try:
        timetable.move_session(
            session,
            payload.day,
            payload.start_time,
            payload.end_time,
            current_user,
            accept_learner_clashes=payload.accept_learner_clashes,
        )
    except ClashError as error:
        raise Problem(409, _("Clash"), error.message)
    return json_response(dump(schemas.SessionOut, session), 201)


# --- attendance ----------------------------------------------------------------------------------


@operation("get", "/sessions/<id:session_id>/attendance", "The register of a session", response=schemas.AttendanceOut)
def session_attendance(session_id: int):
    """The register as its page shows it: to those who may mark it (`can_mark`), 404 for anyone else."""
    session = load_session_to_mark(session_id)
    rows = [
        schemas.AttendanceRowOut(
            key=row.key,
            learner_id=row.learner.id if row.learner else None,
            name=row.name,
            status=row.status.value if row.status else None,
            minutes_late=row.mark.minutes_late if row.mark else 0,
            minutes_left_early=row.mark.minutes_left_early if row.mark else 0,
        )
        for row in attendance.register_rows(session)
    ]
    return json_response(schemas.AttendanceOut(session_id=session.id, rows=rows).model_dump(mode="json"))


@operation(
    "put",
    "/sessions/<id:session_id>/attendance",
    "Mark the register: all entries are saved or none",
    scope=TokenScope.WRITE,
    body=schemas.AttendanceIn,
    response=schemas.AttendanceSaved,
)
def mark_attendance(session_id: int, payload: schemas.AttendanceIn):
    session = scheduling_access.load_session(session_id)
    if not can_mark(current_user, session):
        raise not_allowed(_("Only this session's educators and coordinators can mark it."))
    entries = [Entry(e.key, e.status, e.minutes_late, e.minutes_left_early, e.note) for e in payload.entries]
    result = attendance.save_register(session, entries, current_user, reason=payload.reason)
    return json_response(schemas.AttendanceSaved(session_id=session.id, changed=result.changed).model_dump())


def _cohort_and_type(cohort_id: int, type_id: int | None) -> tuple[Cohort, CertificateType]:
    cohort = load_cohort_to_teach(cohort_id)
    certificate_type = next(
        (t for t in cohort.course.certificate_types if t.id == type_id and t.kind is CertificateKind.PROVIDER), None
    )
    if certificate_type is None:
        raise field_problem("certificate_type_id", _("This course does not lead to that certificate."))
    return cohort, certificate_type


@operation(
    "get",
    "/cohorts/<id:cohort_id>/certificate-preview",
    "Who qualifies for a certificate, and why not",
    response=schemas.PreviewOut,
    query=[("certificate_type_id", "id", "The certificate to preview")],
)
def certificate_preview(cohort_id: int):
    try:
        type_id = int(request.args.get("certificate_type_id", ""))
    except ValueError:
        raise field_problem("certificate_type_id", _("Choose from the list."), 400)
    cohort, certificate_type = _cohort_and_type(cohort_id, type_id)
    rows = [
        schemas.PreviewRow(
            enrolment_id=check.enrolment.id,
            learner_id=check.enrolment.learner_id,
            attendance_rate=check.rate,
            qualifies=check.qualifies,
            reasons=[str(r) for r in check.reasons],
            already_issued=check.already_issued,
        )
        for check in progression.certificate_preview(cohort, certificate_type)
    ]
    body = schemas.PreviewOut(cohort_id=cohort.id, certificate_type_id=certificate_type.id, rows=rows)
    return json_response(body.model_dump(mode="json"))


@operation(
    "post",
    "/cohorts/<id:cohort_id>/certificates",
    "Issue certificates to learners who qualify (all or none)",
    scope=TokenScope.WRITE,
    body=schemas.IssueIn,
    response=schemas.IssuedOut,
    idempotent=True,
)
def issue_certificates(cohort_id: int, payload: schemas.IssueIn):
    cohort, certificate_type = _cohort_and_type(cohort_id, payload.certificate_type_id)
    refusal = why_not_issue(current_user, cohort)
    if refusal is not None:
        raise not_allowed(refusal)
    issued = progression.issue_certificates(cohort, certificate_type, payload.enrolment_ids, current_user)
    body = schemas.IssuedOut(
        issued=[
            schemas.CertificateSummary(
                code=progression.format_code(c.code),
                course_title=c.course_title,
                issued_date=c.issued_date,
                revoked=False,
            )
            for c in issued
        ]
    )
    return json_response(body.model_dump(mode="json"), 201)


# --- reports -------------------------------------------------------------------------------------


@operation(
    "get",
    "/programmes/<id:programme_id>/funder-return",
    "A programme's funder return for a period",
    response=schemas.FunderReturnOut,
    query=DATE_RANGE,
)
def funder_return(programme_id: int):
    programme = report_access.load_return_programme(programme_id)
    start = _date_arg("from") or programme.start_date
    end = _date_arg("to") or programme.end_date
    protected = not report_access.sees_individuals(current_user, programme)
    problem = report_access.period_problem(programme, start, end, protected=protected)
    if problem:
        raise field_problem("to", problem, 400)
    published = publish(report_queries.funder_return(programme, start, end), protect=protected)

    def shown(cell: Cell) -> float | str:
        return cell.shown if cell.hidden else cell.value

    body = schemas.FunderReturnOut(
        programme_id=programme.id,
        start=start,
        end=end,
        suppressed=protected,
        figures={key: shown(cell) for key, cell in published.figures.items()},
        breakdowns={
            key: [schemas.CountOut(name=name, value=shown(cell)) for name, cell in items]
            for key, items in published.breakdowns.items()
        },
        targets=[
            schemas.TargetOut(measure=measure.value, target=target, actual=shown(cell))
            for measure, target, cell in published.targets
        ],
    )
    return json_response(body.model_dump(mode="json"))


# --- certificates --------------------------------------------------------------------------------


@operation(
    "get",
    "/certificates/<code>",
    "Verify a certificate by its code (public)",
    scope=None,
    response=schemas.CertificateCheck,
)
def verify_certificate(code: str):
    certificate = progression.find_certificate(code)
    if certificate is None:
        raise Problem(404, _("Not found"), _("No certificate has this code. Check it and try again."))
    return json_response(
        schemas.CertificateCheck(
            code=progression.format_code(certificate.code),
            status=progression.certificate_status(certificate),
            holder_name=certificate.holder_name,
            course_title=certificate.course_title,
            organisation_name=certificate.organisation_name,
            issued_date=certificate.issued_date,
            expiry_date=certificate.expiry_date,
            revoked_reason=certificate.revoked_reason if certificate.revoked_dt else "",
        ).model_dump(mode="json")
    )


# --- pages: docs and the user's tokens -----------------------------------------------------------


@bp.get("/api/v1/docs")
@public
def docs():
    return render_template("api/docs.html", operations=REGISTRY)


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        secret = create_token(current_user, form.name.data, TokenScope(form.scope.data))
    return render_template("api/tokens.html", form=form, tokens=tokens_of(current_user), secret=secret)


@bp.post("/account/api-tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token = get_or_404(ApiToken, token_id, owns_token)
    revoke_token(token)  # CSRF is checked for every POST by CSRFProtect
    flash(_("Token revoked."), "success")
    return redirect(url_for("api.tokens"))
