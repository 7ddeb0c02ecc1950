"""The API under concurrent requests, through a real HTTP server on both databases: reads never fail
on the rate-limit bookkeeping, the limit stays exact, and one Idempotency-Key creates one thing."""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from lms import create_app
from lms.api.models import ApiRateWindow, ApiToken, IdempotentRequest, TokenScope
from lms.api.tokens import create_token
from lms.extensions import db as _db
from lms.people.models import Learner
from tests.conftest import TEST_CONFIG, IsolatedClient
from tests.factories import make_user

pytestmark = pytest.mark.slow


@pytest.fixture()
def served(app):
    """The app served over HTTP on a free local port (many threads at once), against the test database."""
    served = create_app(
        {**TEST_CONFIG, "SERVER_NAME": None, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    )
    server = make_server("127.0.0.1", 0, served, threaded=True)
    server.socket.listen(512)  # room for every client at once
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, server.server_port
    server.shutdown()
    with served.app_context():
        _db.engine.dispose()


def _request(port: int, method: str, path: str, headers: dict, body: dict | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=data, headers=headers | {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, {"replayed": response.getheader("Idempotent-Replayed"), "body": response.read()}
    finally:
        connection.close()


def _all_at_once(count: int, call) -> list:  # noqa: ANN001
    """`count` calls released together, each on its own thread."""
    start = threading.Barrier(count)

    def run(_n: int):  # noqa: ANN202
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _token(scope: TokenScope = TokenScope.READ) -> tuple[dict, int]:
    user = make_user()
    secret = create_token(user, "load test", scope)
    _db.session.commit()
    return {"Authorization": f"Bearer {secret}"}, user.id


def test_concurrent_reads_with_one_token_never_fail_on_the_rate_count(db, frozen_clock, served):
    app, port = served
    headers, user_id = _token()
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 10_000
    db.close()  # hold no lock while the server works
    results = _all_at_once(100, lambda: _request(port, "GET", "/api/v1/me", headers))
    statuses = Counter(status for status, _answer in results)
    assert statuses == {200: 100}, statuses
    assert all(json.loads(answer["body"])["id"] == user_id for _status, answer in results)
    assert db.scalar(sa.select(ApiRateWindow.count)) == 100  # every read was counted


def test_the_rate_limit_is_exact_under_concurrent_requests(db, frozen_clock, served):
    app, port = served
    headers, _user_id = _token()
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 40
    db.close()
    results = _all_at_once(70, lambda: _request(port, "GET", "/api/v1/me", headers))
    statuses = Counter(status for status, _answer in results)
    assert statuses == {200: 40, 429: 30}, statuses
    assert _request(port, "GET", "/api/v1/me", headers)[0] == 429  # the next one too
    frozen_clock.advance(minutes=1)
    assert _request(port, "GET", "/api/v1/me", headers)[0] == 200  # a new minute, a new window


def test_concurrent_creates_with_one_key_create_once(db, frozen_clock, served):
    app, port = served
    headers, _user_id = _token(TokenScope.WRITE)
    db.close()
    body = {"given_name": "Amal", "family_name": "Haddad", "phone": "07700 900123"}
    key = headers | {"Idempotency-Key": "crm-import-42"}
    results = _all_at_once(20, lambda: _request(port, "POST", "/api/v1/learners", key, body))
    statuses = Counter(status for status, _answer in results)
    assert set(statuses) <= {201, 409}, statuses
    created = [answer for status, answer in results if status == 201 and answer["replayed"] is None]
    assert len(created) == 1, statuses
    replays = [answer for status, answer in results if status == 201 and answer["replayed"] == "true"]
    assert all(json.loads(answer["body"]) == json.loads(created[0]["body"]) for answer in replays)
    assert db.scalar(sa.select(sa.func.count()).select_from(Learner).where(Learner.given_name == "Amal")) == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(IdempotentRequest)) == 1


def test_a_count_that_cannot_be_written_lets_reads_through_and_refuses_writes(app, db, frozen_clock, caplog):
    """The write lock held past the busy timeout: the read is answered (uncounted, logged), the write
    is 503 with Retry-After, and nothing is created."""
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only: its one write lock is what a count can fail to get")
    headers, user_id = _token(TokenScope.WRITE)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    impatient = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "SQLITE_BUSY_TIMEOUT_MS": 200})
    impatient.test_client_class = IsolatedClient
    client = impatient.test_client()
    db.close()
    blocker = sqlite3.connect(sa.engine.make_url(url).database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        read = client.get("/api/v1/me", headers=headers)
        write = client.post("/api/v1/learners", json={"given_name": "Amal"}, headers=headers)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        with impatient.app_context():
            _db.engine.dispose()
    assert read.status_code == 200 and read.get_json()["id"] == user_id
    assert "rate count not written" in caplog.text
    assert write.status_code == 503 and write.mimetype == "application/problem+json"
    assert write.headers["Retry-After"]
    assert db.scalar(sa.select(sa.func.count()).select_from(Learner)) == 0
    assert db.scalar(sa.select(ApiRateWindow.count)) is None  # neither was counted


def test_a_key_still_claimed_by_a_running_request_is_409(app, db, frozen_clock):
    """PostgreSQL: a second request with the key waits for the first, up to API_IDEMPOTENCY_WAIT_SECONDS,
    then is told to come back; once the first has rolled back, the key is free again."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: on SQLite writing requests take turns, so none is ever still running")
    headers, _user_id = _token(TokenScope.WRITE)
    token_id = db.scalar(sa.select(ApiToken.id))
    client = app.test_client()
    running = _db.engine.connect()
    transaction = running.begin()  # the first request, claimed and not yet committed
    running.execute(
        sa.insert(IdempotentRequest).values(
            token_id=token_id, key="crm-7", endpoint="/api/v1/learners", request_hash="x", created_dt=frozen_clock.now
        )
    )
    app.config["API_IDEMPOTENCY_WAIT_SECONDS"] = 0.5
    try:
        waited = client.post(
            "/api/v1/learners", json={"given_name": "Amal"}, headers=headers | {"Idempotency-Key": "crm-7"}
        )
    finally:
        app.config["API_IDEMPOTENCY_WAIT_SECONDS"] = 10
        transaction.rollback()
        running.close()
    assert waited.status_code == 409 and waited.headers["Retry-After"]
    assert db.scalar(sa.select(sa.func.count()).select_from(Learner)) == 0
    again = client.post("/api/v1/learners", json={"given_name": "Amal"}, headers=headers | {"Idempotency-Key": "crm-7"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
