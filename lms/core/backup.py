"""Backing up and restoring the whole database: `lms backup PATH` and `lms restore PATH`.

SQLite uses its online backup API, so a backup taken while the app is serving is consistent (pages
are copied under a read lock, and WAL content is included). PostgreSQL uses `pg_dump` in its custom
format and `pg_restore --clean`, the tools PostgreSQL documents for this; they must be installed
beside the app (Debian: `postgresql-client`) and of the server's major version or newer.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, Engine


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why and what to do."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The database URL as pg_dump wants it, with the password in the environment, not argv."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed; install PostgreSQL's client tools (postgresql-client).")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip() or done.returncode}")


def backup(engine: Engine, target: Path) -> Path:
    """Write a complete copy of the database to `target` (a new file)."""
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    url = engine.url
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(_sqlite_path(url)) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return target
    if url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), dsn], env)
        return target
    raise BackupError(f"Backups of {url.get_backend_name()} databases are not supported.")


def restore(engine: Engine, source: Path) -> None:
    """Replace the database's whole content with the backup at `source`. The app should be stopped."""
    if not source.is_file():
        raise BackupError(f"{source} is not a backup file.")
    engine.dispose()  # no pooled connection may hold the old pages or tables
    url = engine.url
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(source) as backup_copy:
            try:
                sound = backup_copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            except sqlite3.DatabaseError:
                sound = False
            if not sound:
                raise BackupError(f"{source} is not a sound SQLite database; nothing was changed.")
            with sqlite3.connect(_sqlite_path(url)) as live:
                backup_copy.backup(live)
        return
    if url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                dsn,
                str(source),
            ],
            env,
        )
        return
    raise BackupError(f"Restores of {url.get_backend_name()} databases are not supported.")
