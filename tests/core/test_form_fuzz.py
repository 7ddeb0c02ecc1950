"""Hypothesis posts hostile values to every HTML form: never a 5xx, and a refused post changes nothing.

The forms are found, not listed: every GET page of the app is rendered for a coordinator of an
organisation with real objects (so the ids in URLs resolve), each `<form method="post">` on it is
read (its inputs, selects, textareas and submit buttons), and every POST route outside the JSON API
must be reached by one of them or be posted to bare. Each post keeps the page's own values and
replaces one field (sometimes all of them) with something hostile: control characters, huge text,
right-to-left marks, impossible dates, numbers that are not whole or do not fit a database integer.

A post is refused when it answers 4xx, when a service refused it, or when the form comes back with
errors; the whole database (every table, every row) is then compared with what it was before.
Accepted posts may change things: the next post starts from the database as they left it.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import time as clock
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, g, got_request_exception, request_finished
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.routing import AnyConverter

from lms.api.models import ApiToken, TokenScope
from lms.api.tokens import create_token
from lms.assessments.progression import services as progression
from lms.assessments.progression.inputs import OutcomeInput
from lms.assessments.progression.models import Certificate
from lms.core.access import declared_access
from lms.core.db import sqlite_read_only
from lms.core.roles import Role
from lms.core.web import REFUSED
from lms.courses import services as courses
from lms.courses.inputs import PathwayInput, RuleInput, StepInput
from lms.extensions import db as _db
from lms.people import accounts
from lms.people import educators as educator_profiles
from lms.people import services as people
from lms.people.inputs import VolunteerHoursInput
from lms.people.models import User
from lms.scheduling.cohorts import enrolment as enrolments
from lms.scheduling.cohorts.inputs import ReferralInput
from lms.scheduling.timetable import staffing
from tests.conftest import log_in
from tests.factories import (
    make_certificate_type,
    make_cohort,
    make_course,
    make_enrolment,
    make_learner,
    make_programme,
    make_room,
    make_session,
    make_user,
    make_venue,
)

pytestmark = pytest.mark.slow

#: Examples per form (and per submit button of a form): a few per field, within bounds.
EXAMPLES_PER_FIELD, MIN_EXAMPLES, MAX_EXAMPLES = 2, 4, 24
#: Rows that must survive a refusal: failed logins count against the throttle.
KEPT_ON_REFUSAL = {"login_attempt"}
#: Never posted: it would end the logged-in session the fuzz runs in.
NOT_POSTED = {"people.logout"}
#: POST routes whose form this organisation's pages do not show a coordinator: a learner's own buttons,
#: the waitlist's (shown when someone waits and a place is free) and removing the organisation's logo
#: (shown when there is one), and the organisation's settings (administrators'). Posted to with made-up fields.
POSTED_BARE = {
    "people.organisation_settings",
    "people.organisation_logo_remove",
    "cohorts.my_offer",
    "cohorts.my_request",
    "attendance.check_in",
    "attendance.notice",
    "cohorts.cohort_fill",
    "people.setup",  # shown only on an empty database (tests/people/test_setup.py); here it answers 404
}
#: Pages that show more forms with a query string: the learner's page with sensitive details shown.
QUERY_VARIANTS = {"people.learner": ["", "?sensitive=1"]}

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x08\x1b\x7f",
    "\u202eevil\u202c",
    "\u200f\u200e\u061c",
    "\ufeff",
    "\u200b",
    "مرحبا",
    "😀" * 50,
    "x" * 100_000,
    "y" * 5_000,
    "z" * 256,
    "\r\n" * 1000,
    "-1",
    "0",
    "1.5",
    "1e9",
    "NaN",
    "sNaN",
    "Infinity",
    "-0",
    "²",
    "١٢",
    "0x10",
    str(2**31 - 1),
    str(2**31),
    str(2**63),
    "9" * 40,
    "9" * 5000,
    "abc",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "99999-01-01",
    "2026-13-01",
    "25:61",
    "23:59:60",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%s%s%n",
    "{{ 7*7 }}",
    "../../etc/passwd",
]

values = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
    st.dates().map(date.isoformat),
)


# --- the organisation the fuzz runs in -----------------------------------------------------------


@dataclass
class World:
    coordinator_id: int
    #: the ids each URL part takes: every page is opened once per combination
    ids: dict[str, list[int]]
    login_token: str
    #: an invitation link's token, for the page that sets a password
    password_token: str


def build_world() -> World:
    coordinator = make_user()
    organisation = coordinator.organisation
    educator = make_user(roles=(Role.EDUCATOR,), organisation=organisation)
    venue = make_venue(organisation, coordinator)
    make_room(venue)
    programme = make_programme(organisation, coordinator)
    certificate_type = make_certificate_type()
    course = make_course(organisation, coordinator)
    cohort = make_cohort(
        coordinator,
        course=course,
        venue_id=venue.id,
        programme_id=programme.id,
        start_date=date(2026, 11, 1),
        end_date=date(2027, 3, 1),
        allow_late_joiners=True,
    )
    drop_in = make_cohort(
        coordinator,
        course=course,
        is_drop_in=True,
        allow_late_joiners=True,
        start_date=date(2026, 11, 1),
        end_date=date(2027, 3, 1),
    )
    staffing.assign_to_cohort(cohort, educator, "lead", coordinator)
    session = make_session(cohort, coordinator, day=date(2026, 11, 25), start=time(9, 30), end=time(12, 0))
    drop_in_session = make_session(drop_in, coordinator, day=date(2026, 11, 25), start=time(9, 0), end=time(14, 0))
    places = [make_enrolment(cohort, actor=coordinator) for _ in range(3)]
    learner = places[0].learner
    make_learner(organisation=organisation)
    attendee = enrolments.add_drop_in_attendee(drop_in, "Walk-in", date(2026, 11, 25), coordinator)
    referral = enrolments.create_referral(
        organisation,
        make_learner(organisation=organisation),
        ReferralInput(cohort_id=cohort.id, referrer_name="A. Worker"),
        coordinator,
    )
    rule = courses.save_rule(organisation, RuleInput(name="Fuzz rule", conditions={"age": {"min": 19}}), coordinator)
    pathway = courses.save_pathway(organisation, PathwayInput(name="Fuzz pathway"), coordinator)
    step = courses.save_step(pathway, StepInput(kind="course", course_id=course.id), coordinator)
    certificate = Certificate(
        code="FUZZ0000CODE",
        learner_id=learner.id,
        enrolment_id=places[0].id,
        certificate_type_id=certificate_type.id,
        holder_name=learner.full_name,
        course_title=course.title,
        organisation_name=organisation.name,
        issued_date=date(2026, 11, 20),
        issued_by_id=coordinator.id,
    )
    _db.session.add(certificate)
    outcome = progression.record_outcome(
        learner,
        OutcomeInput(kind="employment", outcome_date=date(2026, 11, 1), hours_per_week=20, organisation_name="Cafe"),
        coordinator,
    )
    create_token(coordinator, "fuzz", TokenScope.READ)
    token_id = _db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == coordinator.id))
    login_user = make_user(roles=(Role.LEARNER,), organisation=organisation)
    places[1].learner.user = login_user
    login_token = people.create_login_link(login_user, coordinator)
    invited = make_user(roles=(Role.EDUCATOR,), organisation=organisation, password=None)
    password_token, _link = accounts.create_password_link(invited, coordinator)
    leaver = make_user(roles=(Role.EDUCATOR,), organisation=organisation)
    leaver.is_active = False
    hours = educator_profiles.record_hours(
        educator, VolunteerHoursInput(work_date=date(2026, 11, 20), hours=Decimal(2)), coordinator
    )
    _db.session.flush()
    ids = {
        "cohort_id": [cohort.id, drop_in.id],
        "session_id": [session.id, drop_in_session.id],
        "learner_id": [learner.id, places[1].learner.id],
        "venue_id": [venue.id],
        "course_id": [course.id],
        "programme_id": [programme.id],
        "pathway_id": [pathway.id],
        "step_id": [step.id],
        "rule_id": [rule.id],
        "referral_id": [referral.id],
        "enrolment_id": [places[2].id],
        "certificate_id": [certificate.id],
        "outcome_id": [outcome.id],
        "weeks": [13, 26],
        "token_id": [token_id],
        "attendee_id": [attendee.id],
        "user_id": [educator.id, leaver.id],
        "type_id": [certificate_type.id],
        "hours_id": [hours.id],
    }
    _db.session.commit()
    return World(coordinator.id, ids, login_token, password_token)


def _paths(rule, world: World) -> Iterator[str]:  # noqa: ANN001
    """The rule's URL with real ids, once per choice of each `any(...)` part; nothing if an id is unknown."""
    choices: dict[str, list] = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            choices[name] = list(converter.items)
        elif name == "token":
            choices[name] = [world.password_token if rule.endpoint == "people.password_link" else world.login_token]
        elif name in world.ids:
            choices[name] = world.ids[name]
        elif name == "object_id":
            continue
        else:
            return
    names = list(choices)
    for combination in itertools.product(*(choices[name] for name in names)):
        arguments = dict(zip(names, combination, strict=True))
        if "object_id" in rule.arguments:
            arguments["object_id"] = world.ids[arguments["area"].rstrip("s") + "_id"][0]
        yield rule.build(arguments, append_unknown=False)[1]


# --- reading forms from pages --------------------------------------------------------------------


@dataclass
class FormSpec:
    action: str
    #: who posts it: "coordinator", or "anonymous" for the forms of public pages
    client: str = "coordinator"
    fields: dict[str, list[str]] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def key(self) -> tuple:
        return self.client, self.action, tuple(sorted(self.fields)), tuple(self.buttons)


class _FormReader(HTMLParser):
    """The post forms of a page: their action and the values they would send as the page stands."""

    def __init__(self, page_path: str):
        super().__init__(convert_charrefs=True)
        self.page_path, self.forms, self.current = page_path, [], None
        self.select: str | None = None
        self.select_first: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.current = FormSpec(urlsplit(a.get("action") or self.page_path).path)
            self.forms.append(self.current)
        form, name = self.current, a.get("name")
        if form is None or not name:
            if tag == "option" and form is not None and self.select:
                self._option(a)
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image"):
                form.buttons.append((name, a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                form.fields.setdefault(name, [])
                if "checked" in a:
                    form.fields[name].append(a.get("value", "on"))
            elif kind != "file":
                form.fields[name] = [a.get("value", "")]
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select":
            self.select, self.select_first = name, None
            form.fields.setdefault(name, [])
        elif tag == "textarea":
            self.textarea = name
            form.fields[name] = [""]

    def _option(self, a: dict) -> None:
        value = a.get("value", "")
        if self.select_first is None:
            self.select_first = value
        if "selected" in a:
            self.current.fields[self.select] = [value]

    def handle_data(self, data: str) -> None:
        if self.current is not None and self.textarea:
            self.current.fields[self.textarea] = [self.current.fields[self.textarea][0] + data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "select" and self.current is not None and self.select:
            if not self.current.fields[self.select] and self.select_first is not None:
                self.current.fields[self.select] = [self.select_first]
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def read_forms(html: str, page_path: str) -> list[FormSpec]:
    reader = _FormReader(page_path)
    reader.feed(html)
    return reader.forms


# --- the database before and after ---------------------------------------------------------------


def database_fingerprint() -> str:
    """A digest of every row of every table, read on a connection of its own (what is committed)."""
    tables = [table for table in _db.metadata.sorted_tables if table.name not in KEPT_ON_REFUSAL]
    reading = sqlite_read_only.set(True)  # a plain BEGIN: no write lock, whatever the test's session holds
    try:
        with _db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":  # one round trip: each table's rows as text, hashed there
                parts = [
                    f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table.name}\" t)"
                    for table in tables
                ]
                return connection.exec_driver_sql("SELECT " + " || ".join(parts)).scalar_one()
            parts = []  # SQLite: each row's values quoted and joined, table by table, in one statement
            for table in tables:
                row = " || ',' || ".join(f'quote("{column.name}")' for column in table.columns)
                rows = f'SELECT {row} AS r FROM "{table.name}" ORDER BY 1'
                parts.append(f"(SELECT coalesce(group_concat(r, '|'), '') FROM ({rows}))")
            text = connection.exec_driver_sql("SELECT " + " || '#' || ".join(parts)).scalar_one()
            return hashlib.sha256(text.encode()).hexdigest()
    finally:
        sqlite_read_only.reset(reading)


# --- the fuzz ------------------------------------------------------------------------------------


@dataclass
class Tally:
    posts: int = 0
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    changed_on_refusal: list[str] = field(default_factory=list)


def _looks_refused(response, refused_flag: bool) -> bool:  # noqa: ANN001
    if response.status_code >= 400 or refused_flag:
        return True
    if response.status_code == 200 and response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        return 'class="error-message"' in page or 'class="error-summary"' in page
    return False


def _discover(app: Flask, clients: list, world: World) -> tuple[list[FormSpec], list[str]]:
    """Every post form on every page a coordinator (or anyone) can open, and the POST routes none reaches."""
    adapter = app.url_map.bind("pathways.test")
    found: dict[tuple, FormSpec] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api/v1") or rule.endpoint.endswith("static"):
            continue
        for path in (p + query for p in _paths(rule, world) for query in QUERY_VARIANTS.get(rule.endpoint, [""])):
            for client in clients:
                response = client.get(path)
                body = response.get_data()  # streamed exports too: read to the end
                response.close()
                assert response.status_code < 500, f"GET {path} gave {response.status_code}"
                if response.status_code == 200 and response.mimetype == "text/html":
                    for form in read_forms(body.decode(), urlsplit(path).path):
                        found.setdefault(form.key(), form)
    specs, reached = [], set()
    for spec in found.values():
        endpoint = adapter.match(spec.action, method="POST")[0]
        if endpoint in NOT_POSTED:
            continue
        # Public forms (logging in, a sign-in link) are posted by someone not logged in.
        spec.client = "anonymous" if declared_access(app.view_functions[endpoint]) == "public" else "coordinator"
        if spec.key() not in {other.key() for other in specs}:
            specs.append(spec)
        reached.add(endpoint)
    bare = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/v1") or rule.endpoint in NOT_POSTED:
            continue
        if rule.endpoint not in reached:
            paths = list(_paths(rule, world))
            assert paths, f"no ids to build {rule.rule}"
            bare.append(rule.endpoint)
            specs += [FormSpec(path, fields={"name": ["x"], "reason": ["x"], "learner_id": ["1"]}) for path in paths]
    return specs, bare


def _variants(spec: FormSpec) -> list[tuple[FormSpec, dict[str, str]]]:
    """One per distinct submit button (a form may post several actions), or the form alone."""
    buttons = list(dict.fromkeys(spec.buttons))
    return [(spec, dict([button])) for button in buttons] or [(spec, {})]


def _fuzz_form(client, spec: FormSpec, extra: dict[str, str], tally: Tally, state: dict) -> None:  # noqa: ANN001
    names = sorted(set(spec.fields) | set(extra))

    @settings(
        max_examples=max(MIN_EXAMPLES, min(MAX_EXAMPLES, EXAMPLES_PER_FIELD * len(names))),
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def post(data: st.DataObject) -> None:
        body = {name: list(values_) for name, values_ in spec.fields.items()}
        body.update({name: [value] for name, value in extra.items()})
        everything = data.draw(st.integers(0, 4)) == 0  # now and then every field hostile at once
        chosen = names if everything or not names else [data.draw(st.sampled_from(names))]
        for name in chosen:
            body[name] = data.draw(st.lists(values, min_size=1, max_size=2))
        state["refused"], state["exception"] = False, None
        response = client.post(spec.action, data=body)
        response.get_data()
        response.close()
        tally.posts += 1
        tally.statuses[response.status_code] += 1
        after = database_fingerprint()
        where = f"POST {spec.action} {extra} {[(n, body[n][0][:60]) for n in chosen]!r}"
        if response.status_code >= 500:
            tally.server_errors.append(f"{response.status_code} {where}: {state['exception']!r}")
        elif _looks_refused(response, state["refused"]) and after != state["fingerprint"]:
            tally.changed_on_refusal.append(f"{response.status_code} {where}")
        state["fingerprint"] = after

    post()


def test_every_html_form_survives_hostile_values(app, db, frozen_clock, capsys):  # noqa: ANN001
    world = build_world()
    client = app.test_client()
    log_in(client, _db.session.get(User, world.coordinator_id))
    # An import under way, so that its column and preview pages (which need one) show their forms too.
    upload = {"file": (io.BytesIO(b"given_name,family_name\nAmal,Saleh\n"), "learners.csv")}
    assert client.post("/learners/import", data=upload, content_type="multipart/form-data").status_code == 302
    assert client.post("/learners/import/columns", data={"column-0": "given_name", "column-1": ""}).status_code == 302
    anonymous = app.test_client()
    started = clock.monotonic()
    specs, bare = _discover(app, [client, anonymous], world)
    assert set(bare) <= POSTED_BARE, f"POST routes no page shows a form for: {sorted(set(bare) - POSTED_BARE)}"
    discovered = clock.monotonic() - started
    state: dict = {"fingerprint": database_fingerprint()}

    def remember_refusal(sender, response, **extra) -> None:  # noqa: ANN001, ANN003
        state["refused"] = bool(getattr(g, REFUSED, False))

    def remember_exception(sender, exception, **extra) -> None:  # noqa: ANN001, ANN003
        state["exception"] = exception

    tally = Tally()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a server error is a 500 page, as in production
    with (
        request_finished.connected_to(remember_refusal, app),
        got_request_exception.connected_to(remember_exception, app),
    ):
        for spec in specs:
            for form, extra in _variants(spec):
                # Someone not logged in starts afresh for each form (a sign-in link logs them in).
                poster = client if form.client == "coordinator" else app.test_client()
                _fuzz_form(poster, form, extra, tally, state)
    app.config["PROPAGATE_EXCEPTIONS"] = None
    elapsed = clock.monotonic() - started
    with capsys.disabled():
        print(
            f"\nform fuzz on {_db.engine.dialect.name}: {len(specs)} forms, {tally.posts} posts, "
            f"{len(tally.server_errors)} server errors, {len(tally.changed_on_refusal)} refusals that changed "
            f"the database, {elapsed:.0f} s (finding forms {discovered:.0f} s); "
            f"answers: {dict(sorted(tally.statuses.items()))}"
        )
    assert tally.server_errors == [] and tally.changed_on_refusal == [], "\n".join(
        ["server errors:", *tally.server_errors, "refused but changed:", *tally.changed_on_refusal]
    )
