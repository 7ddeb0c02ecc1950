"""What a client sends cannot break a page: ids that are not ids, and text longer than its column.

Each case posts the form as its page renders it, with one field replaced: the answer is a refusal
(4xx, or the form again with the message on the field), never a 500, and the database is unchanged.
The form fuzz (`test_form_fuzz.py`) found these; here each stays fixed, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.assessments.progression.models import (
    Certificate,
    CourseCompletion,
    LearningObjective,
    Outcome,
    QualificationResult,
)
from lms.courses.models import Qualification
from lms.extensions import db as _db
from lms.people.models import User
from lms.scheduling.models import DropInAttendee
from tests.conftest import log_in
from tests.core.test_form_fuzz import World, build_world, database_fingerprint, read_forms

MAX_ID = 2**31 - 1  # PostgreSQL's integer
NOT_IDS = ["abc", "²", "١٢", "1.5", "-3", "0", str(MAX_ID + 1), "9" * 30]


@pytest.fixture()
def world(app, db, frozen_clock) -> World:  # noqa: ANN001
    return build_world()


@pytest.fixture()
def coordinator(app, world):  # noqa: ANN001, ANN201
    client = app.test_client()
    log_in(client, _db.session.get(User, world.coordinator_id))
    return client


def _form_on(client, page: str, action: str, button: tuple[str, str] | None = None) -> dict[str, list[str]]:  # noqa: ANN001
    """The values the form posting to `action` on `page` sends as rendered (and its button's)."""
    response = client.get(page)
    assert response.status_code == 200, page
    forms = [form for form in read_forms(response.get_data(as_text=True), page) if form.action == action]
    if button is not None:  # a submit button, or a hidden field, saying which action the form posts
        forms = [form for form in forms if button in form.buttons or form.fields.get(button[0]) == [button[1]]]
    assert forms, f"no form posting to {action} on {page}"
    fields = dict(forms[0].fields)
    if button is not None:
        fields[button[0]] = [button[1]]
    return fields


def _refused_unchanged(client, action: str, body: dict, before: str, message: str | None = None):  # noqa: ANN001, ANN201
    response = client.post(action, data=body)
    page = response.get_data(as_text=True)
    assert response.status_code < 500, f"{action}: {response.status_code}"
    if message is not None and response.status_code < 400:
        assert message in page, f"{action} accepted {body!r}"
    assert database_fingerprint() == before, f"{action} changed the database"
    return response


# (page, form action, submit button, field): selects of objects by id, and one of checkboxes.
SELECTS = [
    ("/cohorts/{cohort_id}/timetable", "/cohorts/{cohort_id}/timetable", ("action", "assign"), "assign-user_id"),
    ("/sessions/{session_id}", "/sessions/{session_id}", ("action", "assign"), "assign-user_id"),
    ("/sessions/{session_id}", "/sessions/{session_id}", ("action", "cover"), "cover-absent_id"),
    ("/sessions/{session_id}", "/sessions/{session_id}", ("action", "move"), "move-room_id"),
    ("/sessions/{session_id}", "/sessions/{session_id}", ("action", "move"), "move-venue_id"),
    ("/learners/{learner_id}/progress", "/learners/{learner_id}/completions", None, "completion-course_id"),
    ("/learners/{learner_id}/progress", "/learners/{learner_id}/certificates", None, "certificate-certificate_type_id"),
    ("/programmes/{programme_id}/edit", "/programmes/{programme_id}/edit", None, "funder_id"),
    ("/programmes/{programme_id}/edit", "/programmes/{programme_id}/edit", None, "eligibility_rule_id"),
    ("/courses/{course_id}/edit", "/courses/{course_id}/edit", None, "qualification_id"),
    ("/courses/{course_id}/edit", "/courses/{course_id}/edit", None, "certificate_type_ids"),
    ("/cohorts/{cohort_id}/edit", "/cohorts/{cohort_id}/edit", None, "venue_id"),
    ("/cohorts/{cohort_id}/edit", "/cohorts/{cohort_id}/edit", None, "programme_id"),
    ("/pathways/{pathway_id}/steps/new", "/pathways/{pathway_id}/steps/new", None, "course_id"),
    ("/pathways/{pathway_id}/steps/new", "/pathways/{pathway_id}/steps/new", None, "prerequisite_ids"),
    ("/pathways/{pathway_id}", "/pathways/{pathway_id}", None, "member-learner_id"),
    ("/referrals/new", "/referrals/new", None, "cohort_id"),
    ("/referrals/new", "/referrals/new", None, "referrer_organisation_id"),
    ("/cohorts/{cohort_id}", "/cohorts/{cohort_id}/enrol", None, "enrol-learner_ids"),
]


@pytest.mark.parametrize(("page", "action", "button", "field"), SELECTS, ids=[case[3] for case in SELECTS])
def test_a_select_given_something_that_is_not_an_id_is_a_form_error(coordinator, world, page, action, button, field):  # noqa: ANN001
    ids = {name: values[0] for name, values in world.ids.items()}
    page, action = page.format(**ids), action.format(**ids)
    fields = _form_on(coordinator, page, action, button)
    if field == "referrer_organisation_id":
        fields["referrer_name"] = ["A. Worker"]
    for name, values in fields.items():  # every other field valid, so the id is what is refused
        if name.endswith("_date") and values in ([], [""]):
            fields[name] = ["2026-11-01"]
    before = database_fingerprint()
    for value in NOT_IDS:
        _refused_unchanged(coordinator, action, {**fields, field: [value]}, before, "Choose from the list.")


@pytest.mark.parametrize(
    ("action", "field", "extra"),
    [
        ("/learners/{learner_id}/results", "qualification_id", {"grade": "pass", "result_date": "2026-11-01"}),
        ("/sessions/{session_id}/notice", "learner_id", {"reason": "ill"}),
        ("/cohorts/{cohort_id}/timetable", "rule_id", {"action": "preview"}),
        ("/cohorts/{cohort_id}/timetable", "user_id", {"action": "unassign"}),
        ("/educators/{user_id}/availability", "slot_id", {"action": "remove_slot"}),
    ],
)
def test_ids_read_straight_from_the_form_are_refused_when_they_are_not_ids(coordinator, world, action, field, extra):  # noqa: ANN001
    action = action.format(**{name: values[0] for name, values in world.ids.items()})
    before = database_fingerprint()
    for value in NOT_IDS:
        _refused_unchanged(coordinator, action, {**extra, field: value}, before)


def test_ids_in_urls_and_query_strings_too_big_for_the_database_find_nothing(coordinator, world):  # noqa: ANN001
    huge = "9" * 25
    assert coordinator.get(f"/cohorts/{huge}").status_code == 404
    assert coordinator.get(f"/learners/{MAX_ID + 1}").status_code == 404
    assert coordinator.post(f"/sessions/{huge}/register", data={}).status_code == 404
    assert coordinator.get(f"/schedule?venue={huge}&educator={huge}").status_code == 200


# --- text longer than its column ------------------------------------------------------------------


def test_a_reason_of_100000_characters_is_refused_and_not_stored(coordinator, world):  # noqa: ANN001
    certificate_id = world.ids["certificate_id"][0]
    before = database_fingerprint()
    response = _refused_unchanged(
        coordinator, f"/certificates/{certificate_id}/revoke", {"reason": "x" * 100_000}, before
    )
    assert response.status_code == 303
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Keep this to 2000 characters or fewer." in page
    assert _db.session.get(Certificate, certificate_id).revoked_dt is None


@pytest.mark.parametrize(
    ("action", "body", "model"),
    [
        # String(n) columns: PostgreSQL refused these with a DataError (a 500); SQLite stored them whole.
        (
            "/learners/{learner_id}/results",
            {"grade": "pass", "result_date": "2026-11-01", "reference": "r" * 101},
            QualificationResult,
        ),
        (
            "/learners/{learner_id}/outcomes",
            {"kind": "volunteering", "outcome_date": "2026-11-01", "organisation_name": "o" * 201},
            Outcome,
        ),
        ("/sessions/{drop_in_session}/register/drop-in", {"name": "n" * 201}, DropInAttendee),
        # Text columns, now with a limit
        (
            "/learners/{learner_id}/outcomes",
            {"kind": "volunteering", "outcome_date": "2026-11-01", "evidence_note": "e" * 2001},
            Outcome,
        ),
        ("/enrolments/{enrolment_id}/plan", {"action": "objective", "text": "t" * 1001}, LearningObjective),
        (
            "/learners/{learner_id}/completions",
            {
                "completion-course_id": "{course_id}",
                "completion-completed_date": "2026-11-01",
                "completion-note": "n" * 2001,
            },
            CourseCompletion,
        ),
    ],
    ids=[
        "result reference",
        "outcome organisation",
        "drop-in name",
        "outcome evidence",
        "objective",
        "completion note",
    ],
)
def test_text_longer_than_its_column_is_refused_on_every_database(coordinator, world, action, body, model):  # noqa: ANN001
    ids = {name: values[0] for name, values in world.ids.items()}
    ids["drop_in_session"] = world.ids["session_id"][1]
    if model is QualificationResult:
        qualification = Qualification(awarding_body="NCFE", code="Q1", title="ESOL Entry 1")
        _db.session.add(qualification)
        _db.session.commit()
        body = {**body, "qualification_id": str(qualification.id)}
    action = action.format(**ids)
    body = {name: value.format(**ids) if name.endswith("_id") else value for name, value in body.items()}
    count = _db.session.scalar(sa.select(sa.func.count()).select_from(model))
    before = database_fingerprint()
    _refused_unchanged(coordinator, action, body, before)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(model)) == count


def test_the_database_holds_the_limit_even_when_the_code_forgets_it(db, world):  # noqa: ANN001
    certificate = _db.session.get(Certificate, world.ids["certificate_id"][0])
    certificate.revoked_reason = "x" * 2001
    with pytest.raises(sa.exc.IntegrityError):
        _db.session.flush()
    _db.session.rollback()


def test_a_too_long_field_says_so_in_the_learners_language(app, db, frozen_clock):  # noqa: ANN001
    world = build_world()
    client = app.test_client()
    log_in(client, _db.session.get(User, world.coordinator_id))
    venue_id = world.ids["venue_id"][0]
    fields = _form_on(client, f"/venues/{venue_id}/edit", f"/venues/{venue_id}/edit")
    response = client.post(
        f"/venues/{venue_id}/edit", data={**fields, "address": "a" * 1001}, headers={"Accept-Language": "ar"}
    )
    assert response.status_code in (200, 400)
    assert "اكتب 1000 حرفًا أو أقل في هذا الحقل." in response.get_data(as_text=True)


def test_every_value_of_a_repeated_field_is_cleaned(coordinator, world):  # noqa: ANN001
    cohort_id = world.ids["cohort_id"][0]
    before = database_fingerprint()
    response = coordinator.post(f"/cohorts/{cohort_id}/enrol", data={"enrol-learner_ids": ["1", "2\x00"]})
    assert response.status_code == 400
    assert database_fingerprint() == before


def test_whole_numbers_are_read_only_in_ascii_digits_and_within_range():
    from lms.core.inputs import MAX_ID, parse_id, parse_int

    assert parse_int("42", 0, 100) == 42
    assert parse_int(" 7 ", 0, 100) == 7
    assert parse_int("-3", -5, 5) == -3
    for value in ["", "²", "١٢", "1.5", "1e3", "0x10", "NaN", "9" * 19, None, True, 3.0]:
        assert parse_int(value, -(2**62), 2**62) is None, value
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert parse_id(str(MAX_ID + 1)) is None
    assert parse_id("0") is None
    assert parse_id(5) == 5


def test_the_fingerprint_the_fuzz_compares_sees_any_change(db, world):  # noqa: ANN001
    before = database_fingerprint()
    certificate = _db.session.get(Certificate, world.ids["certificate_id"][0])
    certificate.holder_name += "."
    _db.session.commit()
    assert database_fingerprint() != before
