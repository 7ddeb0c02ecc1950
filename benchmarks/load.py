"""The stepped load test: the realistic mix (benchmarks/locustfile.py) against the benchmark gunicorn.

Locust (the `bench` extra) runs as its own process; this module only builds its plan, starts it and
reads its results, so it imports nothing from locust.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from benchmarks.data import NOW, PASSWORD, Generated
from benchmarks.timing import percentiles
from lms.calendar import feeds
from lms.calendar.models import FeedKind
from lms.extensions import db
from lms.people.models import Learner, User
from lms.scheduling.models import Cohort, Enrolment, Session, SessionEducator

P95_LIMIT_MS = 300


@dataclass
class Step:
    users: int
    rps: float
    p50: float
    p95: float
    p99: float
    requests: int
    failures: int
    cpu_ms_per_request: float
    locust_cpu_share: float
    machine_busy: float


def plan(app: Flask, data: Generated, feeds_wanted: int = 200, educators_wanted: int = 40) -> dict:
    """Who the simulated people are: learners in running cohorts (with a feed each), educators with a
    register of their own, the coordinator and the return they open."""
    with app.app_context():
        running = (
            sa.select(Learner.user_id, User.email)
            .join(User, User.id == Learner.user_id)
            .join(Enrolment, Enrolment.learner_id == Learner.id)
            .join(Cohort, Cohort.id == Enrolment.cohort_id)
            .where(
                Cohort.organisation_id == data.organisation_id,
                Cohort.start_date <= NOW.date(),
                Cohort.end_date >= NOW.date(),
            )
            .distinct()
            .order_by(Learner.user_id)
            .limit(feeds_wanted)
        )
        learners = db.session.execute(running).all()
        feed_paths = []
        for user_id, _email in learners:
            user = db.session.get(User, user_id)
            feed_paths.append(f"/feeds/{feeds.issue_feed(FeedKind.USER, user_id, user)}.ics")
        registers = db.session.execute(
            sa.select(User.email, sa.func.max(Session.id))
            .join(SessionEducator, SessionEducator.user_id == User.id)
            .join(Session, Session.id == SessionEducator.session_id)
            .where(
                User.organisation_id == data.organisation_id,
                User.id != data.busy_educator_id,
                Session.start_dt < NOW,
            )
            .group_by(User.email)
            .order_by(User.email)
            .limit(educators_wanted)
        ).all()
        coordinator = db.session.get(User, data.coordinator_id)
        db.session.commit()
        year_before = NOW.date().replace(year=NOW.year - 1)
        return {
            "password": PASSWORD,
            "feeds": feed_paths,
            "learners": [email for _uid, email in learners],
            "educators": [[email, f"/sessions/{session_id}/register"] for email, session_id in registers],
            "coordinator": coordinator.email,
            "return": f"/reports/programmes/{data.programme_id}?from={year_before.isoformat()}&to={NOW.date()}",
        }


def run(
    the_plan: dict, port: int, gunicorn_pid: int, work: Path, steps: list[int], step_seconds: float, settle: float
) -> list[Step]:
    plan_path, result_path = work / "plan.json", work / "load-result.json"
    plan_path.write_text(json.dumps(the_plan))
    env = {
        **os.environ,
        "BENCH_PLAN": str(plan_path),
        "BENCH_RESULT": str(result_path),
        "BENCH_STEPS": ",".join(str(n) for n in steps),
        "BENCH_STEP_SECONDS": str(step_seconds),
        "BENCH_SETTLE": str(settle),
        "BENCH_GUNICORN_PID": str(gunicorn_pid),
    }
    locust = Path(sys.executable).with_name("locust")
    subprocess.run(  # noqa: S603
        [
            str(locust),
            "-f",
            str(Path(__file__).with_name("locustfile.py")),
            "--headless",
            "--host",
            f"http://127.0.0.1:{port}",
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "locust.log", "w"),  # noqa: SIM115
    )
    found = json.loads(result_path.read_text())["steps"]
    results = []
    for step in found:
        figures = percentiles(step["ms"]) if step["ms"] else {"p50": 0.0, "p95": 0.0, "p99": 0.0}
        results.append(
            Step(
                step["users"],
                step["requests"] / step["seconds"],
                figures["p50"],
                figures["p95"],
                figures["p99"],
                step["requests"],
                step["failures"],
                1000 * step["workers_cpu"] / max(1, step["requests"]),
                step["locust_cpu"] / step["seconds"],
                step["machine_busy"],
            )
        )
    return results


def knee(steps: list[Step]) -> Step | None:
    """The last step before p95 first passes the limit, and no further than where req/s stops rising."""
    best = None
    for step in steps:
        if step.p95 > P95_LIMIT_MS or step.failures > step.requests * 0.01:
            break
        if best is not None and step.rps <= best.rps * 1.02:
            break
        best = step
    return best
