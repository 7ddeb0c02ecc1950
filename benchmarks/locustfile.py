"""The realistic mix, stepped until the knee: run by `python -m benchmarks report` (benchmarks/load.py).

Calendar apps polling learners' feeds with If-None-Match (most traffic, mostly 304), learners logging in
(scrypt) and opening their timetable, educators opening their register and saving it (CSRF), and
coordinators on the cohort and learner lists and a year's funder return. The users step up
(BENCH_STEPS, e.g. 10,20,40,...), each step BENCH_STEP_SECONDS long; requests in the first
BENCH_SETTLE seconds of a step are not counted. At each step's counted start and end the gunicorn
workers' CPU time is read from /proc, so CPU per request is the workers' CPU over the requests answered.
The results go to BENCH_RESULT as JSON.
"""

from __future__ import annotations

import json
import os
import random
import re
import time

from locust import LoadTestShape, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

PLAN = json.loads(open(os.environ["BENCH_PLAN"]).read())  # noqa: SIM115
STEPS = [int(n) for n in os.environ.get("BENCH_STEPS", "10,20,40,60,80,100,140").split(",")]
STEP_SECONDS = float(os.environ.get("BENCH_STEP_SECONDS", "30"))
SETTLE = float(os.environ.get("BENCH_SETTLE", "5"))
MASTER = int(os.environ["BENCH_GUNICORN_PID"])
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STATUS_FIELD = re.compile(r'name="(status-[^"]+)"')
TICK = os.sysconf("SC_CLK_TCK")

requests: list[tuple[float, float, str, bool]] = []  # (finished at, ms, name, failed)
marks: list[dict] = []


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def workers_cpu() -> dict[int, float]:
    with open(f"/proc/{MASTER}/task/{MASTER}/children") as children:
        pids = [int(pid) for pid in children.read().split()]
    return {pid: _cpu_seconds(pid) for pid in pids}


def machine_busy() -> tuple[float, float]:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) / TICK, (sum(values) - idle) / TICK


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, **_kw) -> None:  # noqa: ANN001
    requests.append((time.time(), response_time, name, exception is not None))


class Steps(LoadTestShape):
    def tick(self):  # noqa: ANN201
        elapsed = self.get_run_time()
        step = int(elapsed // STEP_SECONDS)
        if step >= len(STEPS):
            self._mark(len(STEPS) - 1, "end")
            return None
        into = elapsed - step * STEP_SECONDS
        if step > 0:
            self._mark(step - 1, "end")
        if into >= SETTLE:
            self._mark(step, "start")
        return STEPS[step], STEPS[step]

    def _mark(self, step: int, edge: str) -> None:
        if any(m["step"] == step and m["edge"] == edge for m in marks):
            return
        total, busy = machine_busy()
        marks.append(
            {
                "step": step,
                "edge": edge,
                "at": time.time(),
                "workers": workers_cpu(),
                "locust": _cpu_seconds(os.getpid()),
                "machine": [total, busy],
            }
        )


@events.quitting.add_listener
def _write(environment: Environment, **_kw) -> None:  # noqa: ANN003
    steps = []
    for step, users in enumerate(STEPS):
        start = next((m for m in marks if m["step"] == step and m["edge"] == "start"), None)
        end = next((m for m in marks if m["step"] == step and m["edge"] == "end"), None)
        if start is None or end is None:
            continue
        window = [r for r in requests if start["at"] <= r[0] < end["at"]]
        seconds = end["at"] - start["at"]
        cpu = sum(end["workers"].get(pid, 0.0) - was for pid, was in start["workers"].items())
        by_name: dict[str, list[float]] = {}
        for _at, ms, name, _failed in window:
            by_name.setdefault(name, []).append(ms)
        steps.append(
            {
                "users": users,
                "seconds": seconds,
                "requests": len(window),
                "failures": sum(1 for r in window if r[3]),
                "ms": sorted(r[1] for r in window),
                "by_name": {name: len(values) for name, values in by_name.items()},
                "workers_cpu": cpu,
                "locust_cpu": end["locust"] - start["locust"],
                "machine_busy": (end["machine"][1] - start["machine"][1])
                / max(1e-9, end["machine"][0] - start["machine"][0]),
            }
        )
    with open(os.environ["BENCH_RESULT"], "w") as out:
        json.dump({"steps": steps}, out)


def _log_in(user: FastHttpUser, email: str) -> None:
    page = user.client.get("/login", name="login page")
    token = CSRF.search(page.text or "")
    user.client.post(
        "/login",
        data={"email": email, "password": PLAN["password"], "csrf_token": token.group(1) if token else ""},
        name="login (scrypt)",
        allow_redirects=False,
    )


class CalendarApp(FastHttpUser):
    """A calendar app polling one learner's feed: mostly unchanged, so answered 304."""

    weight = 6

    def wait_time(self) -> float:
        return random.uniform(0.5, 1.5)

    def on_start(self) -> None:
        self.feed = random.choice(PLAN["feeds"])
        self.etag = None

    @task
    def poll(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        with self.client.get(self.feed, headers=headers, name="feed poll", catch_response=True) as response:
            if response.status_code in (200, 304):
                self.etag = response.headers.get("ETag", self.etag)
                response.success()


class LearnerUser(FastHttpUser):
    weight = 4

    def wait_time(self) -> float:
        return random.uniform(1, 3)

    def on_start(self) -> None:
        self.email = random.choice(PLAN["learners"])
        _log_in(self, self.email)

    @task(6)
    def timetable(self) -> None:
        self.client.get("/my/timetable?view=list", name="learner timetable")

    @task(1)
    def log_in_again(self) -> None:
        self.client.cookiejar.clear()
        _log_in(self, self.email)


class EducatorUser(FastHttpUser):
    weight = 2

    def wait_time(self) -> float:
        return random.uniform(1, 3)

    def on_start(self) -> None:
        self.email, self.register = random.choice(PLAN["educators"])
        _log_in(self, self.email)
        self.saves = 0

    @task(3)
    def open_register(self) -> None:
        self.client.get(self.register, name="register GET")

    @task(1)
    def save_register(self) -> None:
        page = self.client.get(self.register, name="register GET").text or ""
        token = CSRF.search(page)
        self.saves += 1
        statuses = ["present", "late", "absent"]
        form = {
            name: statuses[(index + self.saves) % 3]
            for index, name in enumerate(sorted(set(STATUS_FIELD.findall(page))))
        }
        form["csrf_token"] = token.group(1) if token else ""
        form["reason"] = "Typed in again from the paper register"  # an earlier day's register
        self.client.post(self.register, data=form, headers={"Accept": "application/json"}, name="register save")


class CoordinatorUser(FastHttpUser):
    weight = 1

    def wait_time(self) -> float:
        return random.uniform(2, 5)

    def on_start(self) -> None:
        _log_in(self, PLAN["coordinator"])

    @task(4)
    def cohorts(self) -> None:
        self.client.get("/cohorts", name="cohort list")

    @task(3)
    def learners(self) -> None:
        self.client.get("/learners", name="learner list")

    @task(1)
    def funder_return(self) -> None:
        self.client.get(PLAN["return"], name="funder return, a year")
