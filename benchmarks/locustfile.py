"""A mixed load on the app under gunicorn, on 127.0.0.1 only: run by benchmarks/load.sh.

Most traffic to a deployment is calendar apps polling feeds (mostly answered 304), then people:
educators opening registers, learners their timetable, employers checking certificates.
"""

from __future__ import annotations

import os
import re

from locust import HttpUser, between, task

FEED = os.environ["BENCH_FEED_PATH"]
EDUCATOR = os.environ["BENCH_EDUCATOR_EMAIL"]
PASSWORD = os.environ["BENCH_PASSWORD"]
REGISTER = os.environ["BENCH_REGISTER_PATH"]


class CalendarApp(HttpUser):
    weight = 6
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.etag = None

    @task(4)
    def poll(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        with self.client.get(FEED, headers=headers, name="feed (poll)", catch_response=True) as response:
            if response.status_code in (200, 304):
                self.etag = response.headers.get("ETag", self.etag)
                response.success()

    @task(1)
    def cold(self) -> None:
        self.client.get(FEED, name="feed (cold)")


class Educator(HttpUser):
    weight = 3
    wait_time = between(1, 3)

    def on_start(self) -> None:
        page = self.client.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        self.client.post("/login", data={"email": EDUCATOR, "password": PASSWORD, "csrf_token": token})

    @task
    def register(self) -> None:
        self.client.get(REGISTER, name="register page")


class Verifier(HttpUser):
    weight = 1
    wait_time = between(1, 4)

    @task
    def verify(self) -> None:
        with self.client.get("/verify/2222-3333-44", name="verify (unknown code)", catch_response=True) as response:
            if response.status_code == 404:  # the right answer for a code that does not exist
                response.success()
