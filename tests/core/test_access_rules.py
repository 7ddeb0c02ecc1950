"""Each object rule's predicate and its SQL filter agree, for users of every role and of two
organisations: `{objects where can_x(user, obj)} == set(select(Model).where(x_filter(user)))`.

The predicates decide single objects (pages, the API, exports, downloads load through them); the
filters decide lists. If they drifted apart, a list would show what its page refuses, or hide what it
allows. Also: view modules load objects named in their URL through the areas' loaders only.
"""

from __future__ import annotations

import ast
from datetime import date, time
from pathlib import Path

import pytest
import sqlalchemy as sa

import lms
from lms.assessments.attendance import access as attendance_access
from lms.assessments.progression import access as progression_access
from lms.assessments.progression.models import Certificate, Outcome, OutcomeKind
from lms.calendar import access as calendar_access
from lms.core.roles import Role
from lms.courses import access as courses_access
from lms.courses.models import CertificateKind, Course, EligibilityRule, Pathway, Programme
from lms.people import access as people_access
from lms.people.models import Learner, Organisation, OrganisationKind, User
from lms.reports import access as reports_access
from lms.scheduling import access as scheduling_access
from lms.scheduling.cohorts import enrolment
from lms.scheduling.cohorts import services as scheduling_services
from lms.scheduling.cohorts.inputs import CohortInput
from lms.scheduling.models import Cohort, DropInAttendee, Enrolment, Referral, ReferralSource, Session, Venue
from lms.scheduling.timetable import services as timetable
from lms.scheduling.timetable import staffing
from tests.factories import make_certificate_type, make_course, make_learner, make_organisation, make_user


def _cohort(organisation: Organisation, course: Course, actor: User, name: str) -> Cohort:
    return scheduling_services.save_cohort(
        organisation,
        CohortInput(
            name=name,
            course_id=course.id,
            start_date=date(2026, 11, 1),
            end_date=date(2027, 3, 1),
            capacity=10,
            status="running",
            allow_late_joiners=True,
        ),
        actor,
    )


def _provider(db, name: str, funder: Organisation) -> dict:  # noqa: ANN001
    """One provider with its staff, curriculum, cohorts, sessions, learners and their records."""
    coordinator = make_user(organisation=make_organisation(name=name))
    organisation = coordinator.organisation
    organisation.educators_issue_certificates = name == "South"  # one lets educators issue, one does not
    lead = make_user(roles=(Role.EDUCATOR,), organisation=organisation)  # on cohort one
    cover = make_user(roles=(Role.EDUCATOR,), organisation=organisation)  # covers one session of cohort two
    idle = make_user(roles=(Role.EDUCATOR,), organisation=organisation)  # teaches nothing
    course = make_course(organisation, coordinator)
    for item in (
        Programme(organisation_id=organisation.id, name=f"{name} funded", funder_id=funder.id, **_dates()),
        Programme(organisation_id=organisation.id, name=f"{name} own", **_dates()),
        Pathway(organisation_id=organisation.id, name=f"{name} pathway"),
        EligibilityRule(organisation_id=organisation.id, name=f"{name} rule"),
        Venue(organisation_id=organisation.id, name=f"{name} hall"),
    ):
        db.add(item)
    one, two = (_cohort(organisation, course, coordinator, f"{name} {n}") for n in ("one", "two"))
    staffing.assign_to_cohort(one, lead, "lead", coordinator)
    timetable.add_session(one, date(2026, 11, 25), time(9, 30), time(12, 0), coordinator)
    first = timetable.add_session(two, date(2026, 11, 26), time(9, 30), time(12, 0), coordinator)
    timetable.add_session(two, date(2026, 11, 27), time(9, 30), time(12, 0), coordinator)
    staffing.assign_to_session(first, lead, "lead", coordinator)
    staffing.cover(first, lead, cover, coordinator)
    learner_user = make_user(roles=(Role.LEARNER,), organisation=organisation)
    learner, other = make_learner(organisation=organisation), make_learner(organisation=organisation)
    learner.user_id = learner_user.id
    placed = enrolment.enrol(one, learner, actor=coordinator).enrolment
    enrolment.enrol(two, other, actor=coordinator)
    certificate_type = make_certificate_type(kind=CertificateKind.PROVIDER)
    db.add_all(
        [
            Referral(organisation_id=organisation.id, learner_id=other.id, source=ReferralSource.SELF),
            DropInAttendee(cohort_id=two.id, name="Visitor", first_seen_date=date(2026, 11, 26)),
            Outcome(learner_id=learner.id, kind=OutcomeKind.VOLUNTEERING, outcome_date=date(2026, 11, 1)),
            Certificate(
                code=f"C{learner.id:09d}",
                learner_id=learner.id,
                enrolment_id=placed.id,
                certificate_type_id=certificate_type.id,
                holder_name=learner.full_name,
                course_title=course.title,
                organisation_name=name,
                issued_date=date(2026, 11, 20),
            ),
        ]
    )
    db.flush()
    return {"coordinator": coordinator, "lead": lead, "cover": cover, "idle": idle, "learner_user": learner_user}


def _dates() -> dict:
    return {"start_date": date(2026, 4, 1), "end_date": date(2027, 3, 31)}


@pytest.fixture()
def users(db, frozen_clock) -> dict[str, User]:  # noqa: ANN001
    funder = make_organisation(name="Funder", kind=OrganisationKind.FUNDER)
    make_organisation(name="Partner", kind=OrganisationKind.PARTNER)
    a = _provider(db, "North", funder)
    b = _provider(db, "South", funder)
    both = make_user(roles=(Role.COORDINATOR, Role.EDUCATOR), organisation=a["coordinator"].organisation)
    db.commit()
    return {
        **{f"a_{key}": user for key, user in a.items()},
        **{f"b_{key}": user for key, user in b.items()},
        "a_coordinator_and_educator": both,
        "admin": make_user(roles=(Role.ADMIN,), organisation=a["coordinator"].organisation),
        "funder_viewer": make_user(roles=(Role.FUNDER_VIEWER,), organisation=funder),
    }


#: (model, predicate, filter) for every rule that has both.
RULES = [
    *(
        (model, predicate, lambda user, model=model, sql=sql: sql(user, model))
        for model in courses_access.CURRICULUM
        for predicate, sql in (
            (courses_access.can_read_curriculum, courses_access.readable_curriculum),
            (courses_access.can_manage_curriculum, courses_access.manageable_curriculum),
        )
    ),
    (Cohort, scheduling_access.teaches_cohort, scheduling_access.cohorts_taught_by),
    (Cohort, scheduling_access.can_read_cohort, scheduling_access.readable_cohorts),
    (Cohort, scheduling_access.can_manage_cohort, scheduling_access.manageable_cohorts),
    (Venue, scheduling_access.can_read_venue, scheduling_access.readable_venues),
    (Venue, scheduling_access.can_manage_venue, scheduling_access.manageable_venues),
    (Session, scheduling_access.can_read_session, scheduling_access.readable_sessions),
    (Session, scheduling_access.can_manage_session, scheduling_access.manageable_sessions),
    (Enrolment, scheduling_access.can_read_enrolment, scheduling_access.readable_enrolments),
    (Enrolment, scheduling_access.can_manage_enrolment, scheduling_access.manageable_enrolments),
    (Enrolment, scheduling_access.is_own_enrolment, scheduling_access.own_enrolments),
    (DropInAttendee, scheduling_access.can_manage_drop_in, scheduling_access.manageable_drop_ins),
    (Referral, scheduling_access.can_manage_referral, scheduling_access.manageable_referrals),
    (Learner, people_access.can_view_learner, people_access.visible_learners),
    (Learner, people_access.can_edit_learner, people_access.editable_learners),
    (User, people_access.can_manage_user, people_access.manageable_users),
    (User, people_access.can_edit_user, people_access.editable_users),
    (User, people_access.can_view_educator, people_access.viewable_educators),
    (User, people_access.can_manage_educator, people_access.manageable_educators),
    (Organisation, people_access.can_see_organisation, people_access.visible_organisations),
    (Session, attendance_access.can_mark, attendance_access.markable_sessions),
    (Cohort, attendance_access.can_mark_cohort, attendance_access.markable_cohorts),
    (Cohort, progression_access.can_teach, progression_access.taught_cohorts),
    (Cohort, progression_access.can_issue_certificates, progression_access.issuing_cohorts),
    (Learner, progression_access.can_assess_learner, progression_access.assessable_learners),
    (Learner, scheduling_access.teaches_learner, scheduling_access.learners_taught_by),
    (Enrolment, progression_access.can_view_plan, progression_access.viewable_plans),
    (Outcome, progression_access.can_manage_outcome, progression_access.manageable_outcomes),
    (Certificate, progression_access.can_view_certificate, progression_access.viewable_certificates),
    (Programme, reports_access.can_see_return, reports_access.visible_programmes),
    (Cohort, calendar_access.can_download_cohort, calendar_access.downloadable_cohorts),
]


@pytest.mark.parametrize(
    ("model", "predicate", "sql"),
    RULES,
    ids=[f"{model.__name__}-{predicate.__name__}" for model, predicate, _sql in RULES],
)
def test_predicate_and_filter_agree(db, users, model, predicate, sql):  # noqa: ANN001
    everything = db.scalars(sa.select(model)).all()
    assert everything, f"the fixture has no {model.__name__}"
    for name, user in users.items():
        allowed = {obj for obj in everything if predicate(user, obj)}
        listed = set(db.scalars(sa.select(model).where(sql(user))))
        assert allowed == listed, f"{predicate.__name__} and its filter disagree for {name}"


def test_the_fixture_tells_the_roles_apart(db, users):  # noqa: ANN001
    """The agreement above means something only if the rules let different users see different things."""
    seen = {
        name: {c.name for c in db.scalars(sa.select(Cohort).where(attendance_access.markable_cohorts(user)))}
        for name, user in users.items()
    }
    assert seen["a_lead"] == {"North one"}
    assert seen["a_cover"] == {"North two"}
    assert seen["a_idle"] == set() and seen["a_learner_user"] == set() and seen["funder_viewer"] == set()
    assert seen["a_coordinator"] == {"North one", "North two"}
    assert len(seen["admin"]) == 4
    readable = {
        name: {c.name for c in db.scalars(sa.select(Cohort).where(scheduling_access.readable_cohorts(user)))}
        for name, user in users.items()
    }
    # Need to know: educators read the cohorts they teach (assigned, or on or covering a session).
    assert readable["a_lead"] == {"North one"}
    assert readable["a_cover"] == {"North two"}
    assert readable["a_idle"] == set()
    assert readable["a_coordinator"] == readable["a_coordinator_and_educator"] == {"North one", "North two"}
    venues = {
        name: {v.name for v in db.scalars(sa.select(Venue).where(scheduling_access.readable_venues(user)))}
        for name, user in users.items()
    }
    assert venues["a_idle"] == {"North hall"}  # venues carry no learner data
    returns = {
        p.name
        for p in db.scalars(sa.select(Programme).where(reports_access.visible_programmes(users["funder_viewer"])))
    }
    assert returns == {"North funded", "South funded"}


# --- view modules load URL objects through the areas' loaders ----------------------------------

ROOT = Path(lms.__file__).parent
#: Functions allowed to fetch an object by an id they were given, with the reason.
ALLOWED = {
    ("api/views.py", "_learner_of"): "a learner named in a request body is a field error (422), not a 404",
}


def _direct_loads(path: Path) -> list[str]:
    """`db.session.get(Model, some_parameter)` / `db.get_or_404(...)` inside a view module's functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef):
            continue
        params = {arg.arg for arg in node.args.args + node.args.kwonlyargs}
        for call in ast.walk(node):
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
                continue
            target = ast.unparse(call.func)
            by_param = (
                target == "db.session.get"
                and len(call.args) == 2
                and isinstance(call.args[1], ast.Name)
                and call.args[1].id in params
            )
            if (by_param or target == "db.get_or_404") and (
                str(path.relative_to(ROOT)),
                node.name,
            ) not in ALLOWED:
                found.append(f"{path.relative_to(ROOT)}:{call.lineno} in {node.name}()")
    return found


def test_views_load_objects_only_through_access_loaders():
    views = [p for p in ROOT.rglob("*.py") if p.name == "views.py" or p.parent.name == "views"]
    assert len(views) > 10
    found = [hit for path in sorted(views) for hit in _direct_loads(path)]
    assert found == [], "load objects named in the URL with the area's access loader:\n" + "\n".join(found)
