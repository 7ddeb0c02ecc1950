"""Page benchmarks over real HTTP on gunicorn, with statement counts from the same requests in process.

Every page is timed from a `Browser` logged in through the real login form (CSRF on), against the
benchmark server (`benchmarks.server`) under gunicorn. Warm-up requests are excluded. Floors are timed
interleaved with their pair, one sample of each in turn, and the ratio comes from those samples.
Statements are counted by sending the same request once through the Flask test client with a
SQLAlchemy listener (transaction control not counted).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from benchmarks.browser import Browser, Reply, csrf_token
from benchmarks.data import NOW, PASSWORD, TODAY, Generated
from benchmarks.timing import counting_queries, percentiles
from lms.calendar import feeds
from lms.calendar.models import FeedBody, FeedKind
from lms.extensions import db
from lms.people.models import Learner, User
from lms.scheduling.models import Session

STATUS_FIELD = re.compile(rb'name="(status-[^"]+)"')
WARM_UP = 3


@dataclass
class Result:
    name: str
    samples: list[float]
    statements: int | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    figures: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.figures = percentiles(self.samples) if self.samples else {}


class TestBrowser:
    """The same requests through the Flask test client, in process, to count their statements."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()

    def request(self, method: str, path: str, headers: dict | None = None, form: dict | None = None) -> Reply:
        started = time.perf_counter()
        response = self.client.open(path, method=method, headers=headers or {}, data=form)
        body = response.get_data()
        return Reply(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            body,
            (time.perf_counter() - started) * 1000,
        )

    def get(self, path: str, headers: dict | None = None) -> Reply:
        return self.request("GET", path, headers)

    def post(self, path: str, form: dict, headers: dict | None = None) -> Reply:
        return self.request("POST", path, headers, form)

    def log_in(self, email: str, password: str) -> Reply:
        page = self.get("/login")
        reply = self.post("/login", {"email": email, "password": password, "csrf_token": csrf_token(page.body)})
        assert reply.status == 302, reply.status
        return reply


@dataclass
class Setup:
    """What the pages need, found or made in the database before the server is timed."""

    coordinator_email: str
    educator_email: str
    learner_email: str
    learner_user_id: int
    learner_token: str
    educator_token: str
    feed_session_id: int
    register: str
    return_path: str


def prepare(app: Flask, data: Generated) -> Setup:
    with app.app_context():
        learner_user_id = db.session.scalar(sa.select(Learner.user_id).where(Learner.id == data.busy_learner_id))
        learner_user = db.session.get(User, learner_user_id)
        educator = db.session.get(User, data.busy_educator_id)
        coordinator = db.session.get(User, data.coordinator_id)
        learner_token = feeds.issue_feed(FeedKind.USER, learner_user.id, learner_user)
        educator_token = feeds.issue_feed(FeedKind.USER, educator.id, educator)
        feed_session_id = db.session.scalar(
            sa.select(sa.func.min(Session.id)).where(
                feeds._session_filter(FeedKind.USER, learner_user.id), feeds._window(NOW)
            )
        )
        db.session.commit()
        year_before = TODAY - timedelta(days=365)
        return Setup(
            coordinator.email,
            educator.email,
            learner_user.email,
            learner_user.id,
            learner_token,
            educator_token,
            feed_session_id,
            f"/sessions/{data.big_session_id}/register",
            f"/reports/programmes/{data.programme_id}?from={year_before.isoformat()}&to={TODAY.isoformat()}",
        )


class Bench:
    def __init__(self, app: Flask, port: int, setup: Setup, static_dir: Path, samples: int, budget: float) -> None:
        self.app, self.port, self.setup = app, port, setup
        self.static_dir, self.samples, self.budget = static_dir, samples, budget
        with app.app_context():
            self.engine = db.engine
        self.bumps = 0

    def browsers(self, email: str | None) -> tuple[Browser, TestBrowser]:
        real, test = Browser("127.0.0.1", self.port), TestBrowser(self.app)
        if email:
            real.log_in(email, PASSWORD)
            test.log_in(email, PASSWORD)
        return real, test

    def statements(self, test: TestBrowser, run: Callable[[TestBrowser], Reply]) -> int:
        with counting_queries(self.engine) as counter:
            reply = run(test)
        assert reply.status < 400, (reply.status, reply.body[:300])
        return counter["count"]

    def timed(self, *runs: Callable[[], Reply]) -> list[list[float]]:
        """Samples of each run, interleaved (one of each in turn), after the warm-up; at least `samples`
        of each unless the time budget runs out first (then at least 10)."""
        for _ in range(WARM_UP):
            for run in runs:
                run()
        samples: list[list[float]] = [[] for _ in runs]
        started = time.perf_counter()
        while len(samples[0]) < self.samples:
            if len(samples[0]) >= 10 and time.perf_counter() - started > self.budget:
                break
            for index, run in enumerate(runs):
                reply = run()
                assert reply.status < 400, (reply.status, reply.body[:300])
                samples[index].append(reply.ms)
        return samples

    def bump_feed(self) -> None:
        """Change one session in the learner's feed, as an edit would, so its next GET is a cold render."""
        self.bumps += 1
        table = Session.__table__
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(table)
                .where(table.c.id == self.setup.feed_session_id)
                # The wall clock, not the fixed one, so a database reused by a later run still sees a change.
                .values(updated_dt=datetime.now(UTC), revision=table.c.revision + 1)
            )

    def forget_bodies(self) -> None:
        """Remove the feed bodies stored for the next poll, so the next GET renders."""
        with self.engine.begin() as connection:
            connection.execute(sa.delete(FeedBody.__table__))

    def page(self, name: str, email: str, path: str, target_ms: float) -> Result:
        real, test = self.browsers(email)
        statements = self.statements(test, lambda b: b.get(path))
        (samples,) = self.timed(lambda: real.get(path))
        result = Result(name, samples, statements, f"p95 ≤ {target_ms:g} ms")
        result.met = result.figures["p95"] <= target_ms
        return result

    def register_save(self, target_ms: float) -> Result:
        path = self.setup.register
        real, test = self.browsers(self.setup.educator_email)
        counter = {"n": 0}

        def saver(browser: Browser | TestBrowser) -> Callable[[], Reply]:
            page = browser.get(path)
            token, fields = csrf_token(page.body), sorted({m.decode() for m in STATUS_FIELD.findall(page.body)})
            statuses = ["present", "late", "absent"]

            def save() -> Reply:
                counter["n"] += 1
                form = {name: statuses[(index + counter["n"]) % 3] for index, name in enumerate(fields)}
                form["csrf_token"] = token
                # The register is from an earlier day, so changing its marks needs a reason.
                form["reason"] = "Typed in again from the paper register"
                reply = browser.post(path, form, {"Accept": "application/json"})
                if reply.status >= 400:  # a refused save is not a timed save
                    raise RuntimeError(f"register save answered {reply.status}: {reply.body[:200]!r}")
                return reply

            save.fields = len(fields)  # type: ignore[attr-defined]
            return save

        test_save = saver(test)
        statements = self.statements(test, lambda _b: test_save())
        real_save = saver(real)
        (samples,) = self.timed(real_save)
        result = Result(
            f"register save, {real_save.fields} marks changed (POST, CSRF)",  # type: ignore[attr-defined]
            samples,
            statements,
            f"p95 ≤ {target_ms:g} ms",
        )
        result.met = result.figures["p95"] <= target_ms
        return result

    def feeds(self) -> list[Result]:
        setup = self.setup
        results = []
        anonymous, test = self.browsers(None)
        for label, token, user_id, target in (
            ("learner in 8 cohorts", setup.learner_token, setup.learner_user_id, 1.3),
            ("educator with 1,000+ sessions", setup.educator_token, None, None),
        ):
            url = f"/feeds/{token}.ics"
            floor_url = f"/_bench/floor/user/{user_id or self._educator_id(token)}.ics"
            first = anonymous.get(url)
            events = first.body.count(b"BEGIN:VEVENT")
            statements = self.statements(test, lambda b: b.get(url))  # noqa: B023
            cold_note = ""
            if target is not None:  # the learner's feed: changed before each sample, so never served warm
                etag = first.headers.get("etag")
                self.bump_feed()
                if anonymous.get(url).headers.get("etag") == etag:
                    cold_note = "the version did not change when a session did: samples may be warm"

                def cold() -> Reply:
                    self.bump_feed()
                    return anonymous.get(url)  # noqa: B023

            else:  # nothing changes, so the stored body is removed before each sample instead

                def cold() -> Reply:
                    self.forget_bodies()
                    return anonymous.get(url)  # noqa: B023

            feed_samples, floor_samples = self.timed(cold, lambda: anonymous.get(floor_url))  # noqa: B023
            ratio = _ratio(feed_samples, floor_samples)
            row = Result(
                f"feed, {label} ({events} events), cold",
                feed_samples,
                statements,
                f"≤ {target:g}× floor" if target else "",
                ratio <= target if target else None,
                f"{ratio:.2f}× floor at p50, {_ratio(feed_samples, floor_samples, 'p95'):.2f}× at p95; {cold_note}"
                if cold_note
                else f"{ratio:.2f}× floor at p50, {_ratio(feed_samples, floor_samples, 'p95'):.2f}× at p95",
            )
            results += [row, Result("  floor: same rows, one Core query + icalendar alone", floor_samples, 1)]
            if target is None:
                continue
            # Unchanged: the same feed again with no change, against a static file of the same size.
            body = anonymous.get(url)
            (self.static_dir / "feed.ics").write_bytes(body.body)
            etag = body.headers["etag"]
            warm, static = self.timed(lambda: anonymous.get(url), lambda: anonymous.get("/_bench/static/feed.ics"))  # noqa: B023
            ratio = _ratio(warm, static)
            test.get(url)  # the in-process browser's host has its own stored body: store it first
            warm_statements = self.statements(test, lambda b: b.get(url))  # noqa: B023
            results.append(
                Result(
                    f"feed unchanged, 200 from its stored body ({len(body.body):,} bytes)",
                    warm,
                    warm_statements,
                    "≤ 2× static file",
                    ratio <= 2,
                    f"{ratio:.2f}× static at p50, {_ratio(warm, static, 'p95'):.2f}× at p95",
                )
            )
            results.append(Result("  floor: static file of the same size, same gunicorn", static, 0))
            conditional = {"If-None-Match": f'"{etag}"' if not etag.startswith(('"', "W/")) else etag}
            statements_304 = self.statements(test, lambda b: b.get(url, conditional))  # noqa: B023
            assert anonymous.get(url, conditional).status == 304
            (not_modified,) = self.timed(lambda: anonymous.get(url, conditional))  # noqa: B023
            row = Result(
                "feed 304 Not Modified (If-None-Match)", not_modified, statements_304, "p95 ≤ 3 ms, ≤ 2 statements"
            )
            row.met = row.figures["p95"] <= 3 and statements_304 <= 2
            results.append(row)
        return results

    def _educator_id(self, token: str) -> int:
        with self.app.app_context():
            found = feeds.feed_for_token(token)
            assert found is not None
            return found.feed.user_id


def _ratio(samples: list[float], floor: list[float], at: str = "p50") -> float:
    return percentiles(samples)[at] / percentiles(floor)[at]


def run(bench: Bench, data: Generated, say: Callable[[str], None]) -> list[Result]:
    setup = bench.setup
    results: list[Result] = []

    def add(result: Result | list[Result]) -> None:
        for row in result if isinstance(result, list) else [result]:
            results.append(row)
            say(line(row))

    add(bench.page("coordinator dashboard", setup.coordinator_email, "/dashboard", 150))
    add(bench.page("register GET, 60 learners", setup.educator_email, setup.register, 60))
    add(bench.register_save(100))
    add(bench.page("learner timetable (8 weeks, list)", setup.learner_email, "/my/timetable?view=list", 60))
    add(bench.page("cohort list", setup.coordinator_email, "/cohorts", 100))
    add(bench.page("learner list", setup.coordinator_email, "/learners", 100))
    add(bench.page("funder return page, a year", setup.coordinator_email, setup.return_path, 300))
    add(bench.feeds())
    return results


def line(row: Result) -> str:
    f = row.figures
    met = "" if row.met is None else ("met" if row.met else "NOT MET")
    return (
        f"{row.name:<52} n {len(row.samples):3}  p50 {f['p50']:8.1f}  p95 {f['p95']:8.1f}  p99 {f['p99']:8.1f} ms"
        f"  statements {row.statements if row.statements is not None else '-':>3}  {row.target} {met} {row.note}"
    )
