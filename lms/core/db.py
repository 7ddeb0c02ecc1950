"""Database types and engine tuning shared by every area.

- `Base`: the declarative base with one naming convention, so Alembic can name and drop every constraint.
- `UTCDateTime`: instants are stored in UTC and always come back timezone-aware, on SQLite and PostgreSQL.
- `enum_type`: Python enums stored as their string value with a named CHECK constraint (no native ENUM).
- `LimitedText`: free text with a most number of characters, held by a named CHECK on every database.
- `rowcount`: the rows an UPDATE or DELETE matched.
- `upsert_insert`: an INSERT that can say ON CONFLICT, on SQLite and PostgreSQL alike.
- `configure_engine`: SQLite pragmas and IMMEDIATE write transactions.
- `transaction_apart`: a short write transaction on a connection of its own, beside the request's.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator):
    """An aware datetime stored in UTC.

    Naive datetimes are refused on the way in: a naive value is a bug (whose wall clock was it?).
    SQLite has no time zone type, so it stores naive UTC and we re-attach UTC on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given for a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class LimitedText(sa.types.TypeDecorator):
    """Free text of at most `limit` characters: TEXT, with a CHECK constraint `<column>_length`.

    VARCHAR(n) would do on PostgreSQL, but SQLite does not enforce its length; a CHECK on `length()`
    (characters on both) holds everywhere, so a too-long text is an error even where a form or an
    input forgot its limit. The forms and inputs say the same number, with a translated message.
    """

    impl = sa.Text
    cache_ok = True

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit


@event.listens_for(sa.Column, "after_parent_attach")
def _add_length_check(column: sa.Column, table: Any) -> None:
    if not isinstance(column.type, LimitedText) or not isinstance(table, sa.Table):
        return
    name = f"{column.name}_length"
    if any(
        isinstance(c, sa.CheckConstraint) and c.name in (name, f"ck_{table.name}_{name}") for c in table.constraints
    ):
        return  # a copy of a table that already has it
    table.append_constraint(sa.CheckConstraint(f"length({column.name}) <= {column.type.limit}", name=name))


def text_limit(attribute: Any) -> int:
    """The most characters a text column holds (`text_limit(Certificate.revoked_reason)`), for services."""
    column_type = attribute.property.columns[0].type
    return int(column_type.limit if isinstance(column_type, LimitedText) else column_type.length)


def enum_type(enum_class: type[enum.Enum], name: str, length: int = 32) -> sa.Enum:
    """Store a Python enum by its value in a VARCHAR with a named CHECK constraint (no native ENUM)."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


def rowcount(result: sa.Result[Any]) -> int:
    """The rows an executed UPDATE or DELETE matched. Its result is a `CursorResult`, which has the count,
    though `Session.execute` is typed to return the general `Result`."""
    return cast(sa.CursorResult[Any], result).rowcount


def upsert_insert(bind: sa.engine.Connection | Engine, entity: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for `entity` (a model or table) in `bind`'s dialect, so it can end with ON CONFLICT DO NOTHING
    or DO UPDATE. Both databases take the same conflict target (`index_elements`, and `index_where` for a
    partial unique index), so one call site serves both."""
    return postgresql.insert(entity) if bind.dialect.name == "postgresql" else sqlite.insert(entity)


# --- SQLite tuning -------------------------------------------------------------------------------

#: When set, SQLite transactions open DEFERRED: reads that run beside each other and beside a writer.
#: Otherwise they open IMMEDIATE, taking the write lock up front, so a transaction that reads and
#: then writes cannot fail with "database is locked" (SQLite does not wait on the busy timeout when
#: it upgrades a stale read snapshot to a write in WAL mode). Web requests set it from the HTTP
#: method (see core/web.py); CLI commands and jobs write, so they keep the IMMEDIATE default.
sqlite_read_only: ContextVar[bool] = ContextVar("sqlite_read_only", default=False)


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Take transaction control away from the sqlite3 module so we can issue BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN" if sqlite_read_only.get() else "BEGIN IMMEDIATE")


@contextmanager
def transaction_apart(engine: Engine) -> Iterator[sa.Connection]:
    """A short write transaction on a connection of its own, committed when the block ends: for
    bookkeeping that must stand whatever the request then does (the API's rate-limit count).

    On SQLite it opens IMMEDIATE even inside a read-only request, so it waits for the write lock
    within the busy timeout instead of failing as a read transaction that tries to write does. Call
    it before the request's own transaction has taken the write lock, or it waits on itself."""
    mode = sqlite_read_only.set(False)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        sqlite_read_only.reset(mode)
