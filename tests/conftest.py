"""Shared fixtures: one app per run, a clean database per test, clients logged in as any role.

The suite runs on SQLite by default and on PostgreSQL when LMS_TEST_DATABASE_URL is set.
The schema is built by running the Alembic migrations, so every run also tests them.
"""

from __future__ import annotations

import contextvars
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from lms import create_app
from lms.core import time as lms_time
from lms.core.i18n import compile_catalogues
from lms.core.roles import Role
from lms.core.tokens import new_token, token_hash
from lms.core.web import AUTH_SESSION_KEY
from lms.extensions import db as _db
from tests import factories

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "SESSION_COOKIE_SECURE": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "SERVER_NAME": "pathways.test",
}


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, as a real server does.

    Tests hold an app context for database access; Flask would otherwise reuse it for requests,
    sharing `g` (the logged-in user) and the database session between requests and the test.
    The test's own work is committed first, as if it were an earlier request that had finished.
    """

    def open(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        if has_app_context() and _db.session().in_transaction():
            _db.session.commit()
        context = contextvars.Context()
        response = context.run(super().open, *args, **kwargs)
        if response.is_streamed:  # a streamed body must be read in the request's own context too
            response.response = _InContext(context, iter(response.response))
        return response


class _InContext:
    def __init__(self, context: contextvars.Context, iterator):  # noqa: ANN001
        self.context, self.iterator = context, iterator

    def __iter__(self):  # noqa: ANN204
        return self

    def __next__(self):  # noqa: ANN204
        return self.context.run(next, self.iterator)

    def close(self) -> None:
        close = getattr(self.iterator, "close", None)
        if close is not None:
            self.context.run(close)


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("LMS_TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory)})
    app.test_client_class = IsolatedClient
    with app.app_context():
        compile_catalogues()
        _drop_everything()
        upgrade()
    yield app
    with app.app_context():
        _db.session.remove()
        _drop_everything()
        _db.engine.dispose()


def _drop_everything() -> None:
    """Leave the test database empty, whatever an earlier (perhaps aborted) run left behind."""
    _db.session.remove()
    if _db.engine.dialect.name == "postgresql":
        with _db.engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    else:
        _db.metadata.drop_all(_db.engine)
        with _db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def _empty_tables() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture()
def db(app: Flask) -> Iterator[sa.orm.scoped_session]:
    """A clean database for each test, inside an app context. Tests commit as the app does."""
    with app.app_context():
        yield _db.session
        _db.session.remove()
        _empty_tables()


@pytest.fixture()
def client(app: Flask, db) -> FlaskClient:  # noqa: ANN001
    return app.test_client()


@pytest.fixture()
def frozen_clock() -> Iterator[factories.FrozenClock]:
    clock = factories.FrozenClock()
    lms_time.set_clock(clock)
    yield clock
    lms_time.set_clock(None)


def log_in(client: FlaskClient, user) -> None:  # noqa: ANN001
    """Log `user` in on `client` without going through the form (the auth tests do that)."""
    from lms.people.models import AuthSession

    token, user_id = new_token(), user.id
    _db.session.add(
        AuthSession(user_id=user_id, token_hash=token_hash(token), expires_dt=lms_time.now_utc() + timedelta(days=7))
    )
    _db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
        session[AUTH_SESSION_KEY] = token


@pytest.fixture()
def login_as(client: FlaskClient, db):  # noqa: ANN001, ANN201
    """`login_as(Role.COORDINATOR)` makes a user with that role, logs the client in, returns the user."""

    def _login(*roles: Role, **overrides):  # noqa: ANN202
        user = factories.make_user(roles=roles or (Role.COORDINATOR,), **overrides)
        _db.session.commit()
        log_in(client, user)
        return user

    return _login


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture()
def count_queries(app, db):  # noqa: ANN001, ANN201
    """`with count_queries() as counter: ...` counts the SQL statements run, in requests too."""
    from contextlib import contextmanager

    @contextmanager
    def _count():  # noqa: ANN202
        counter = QueryCounter()

        def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
                counter.statements.append(statement)

        engine = _db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return _count


@pytest.fixture(scope="session")
def _scratch_postgresql() -> Iterator[str | None]:
    """One PostgreSQL database beside the suite's, made once (creating and dropping one is slow)."""
    test_url = os.environ.get("LMS_TEST_DATABASE_URL")
    if not test_url:
        yield None
        return
    name = f"lms_scratch_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        test_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(test_url).set(database=name, drivername="postgresql+psycopg").render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_database_url(request, tmp_path, _scratch_postgresql) -> Iterator[str]:  # noqa: ANN001
    """An empty database of the test's own, on SQLite and (when the suite runs there) PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/scratch.sqlite3"
        return
    if _scratch_postgresql is None:
        pytest.skip("the PostgreSQL variant runs when LMS_TEST_DATABASE_URL is set")
    engine = sa.create_engine(_scratch_postgresql)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    yield _scratch_postgresql
