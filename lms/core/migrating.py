"""Guards for migrations: a downgrade never drops rows people entered without being told to.

Each downgrade that drops tables or columns calls `refuse_to_drop_data` first, naming them. If any
holds data, the downgrade stops with the counts and what to do (take a backup with `lms backup`, then
run again with LMS_ALLOW_DATA_LOSS=1); an empty database downgrades as before.
"""

from __future__ import annotations

import logging
import os

import sqlalchemy as sa
from alembic import op

log = logging.getLogger(__name__)

ALLOW_ENV = "LMS_ALLOW_DATA_LOSS"


class DataLossRefused(RuntimeError):
    """A downgrade would delete data and LMS_ALLOW_DATA_LOSS is not set."""


def _count(connection: sa.Connection, table: str, column: str | None = None) -> int:
    quoted = connection.dialect.identifier_preparer.quote
    where = f" WHERE {quoted(column)} IS NOT NULL" if column else ""
    return int(connection.exec_driver_sql(f"SELECT count(*) FROM {quoted(table)}{where}").scalar_one())  # noqa: S608


def refuse_to_drop_data(tables: list[str], columns: dict[str, list[str]] | None = None) -> None:
    connection = op.get_bind()
    existing = set(sa.inspect(connection).get_table_names())
    losses = [
        f"{table}: {count} rows" for table in tables if table in existing and (count := _count(connection, table))
    ]
    for table, names in (columns or {}).items():
        if table in existing and table not in tables:
            losses += [
                f"{table}.{name}: {count} values" for name in names if (count := _count(connection, table, name))
            ]
    if not losses:
        return
    summary = "; ".join(losses)
    if os.environ.get(ALLOW_ENV) == "1":
        log.warning("Downgrade deletes data (%s): %s", ALLOW_ENV, summary)
        return
    raise DataLossRefused(
        f"This downgrade would delete data ({summary}). Take a backup first (lms backup PATH), then run "
        f"it again with {ALLOW_ENV}=1 if you mean it."
    )
