"""`lms backup` and `lms restore` round-trip a real database, on SQLite and (when tested there) PostgreSQL.

Each test makes its own database and app and drives the real commands through Flask's CLI runner.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from lms import create_app
from lms.core.roles import Role
from lms.extensions import db
from lms.people import services
from lms.people.models import OrganisationKind, User
from tests.conftest import TEST_CONFIG


@pytest.fixture()
def live(scratch_database_url: str) -> Iterator[Flask]:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": scratch_database_url})
    with app.app_context():
        upgrade()
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def _add_user(email: str) -> None:
    organisation = services.create_organisation(f"Network of {email}", OrganisationKind.PROVIDER)
    services.create_user(
        organisation=organisation,
        display_name="Someone",
        email=email,
        password="long-enough-password",
        roles=[Role.COORDINATOR],
    )
    db.session.commit()


def _emails() -> set[str]:
    db.session.remove()
    return set(db.session.scalars(sa.select(User.email)))


def test_backup_then_restore_brings_back_exactly_what_was_there(live, tmp_path):
    runner = live.test_cli_runner()
    _add_user("before@example.org")
    backup_file = tmp_path / "backups" / "pathways.backup"
    made = runner.invoke(args=["backup", str(backup_file)])
    assert made.exit_code == 0, made.output
    assert "Backed up the database" in made.output
    assert backup_file.stat().st_size > 0

    _add_user("after@example.org")
    assert _emails() == {"before@example.org", "after@example.org"}
    db.session.remove()
    restored = runner.invoke(args=["restore", str(backup_file), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert _emails() == {"before@example.org"}


def test_restore_asks_first_and_a_bad_file_changes_nothing(live, tmp_path):
    runner = live.test_cli_runner()
    _add_user("kept@example.org")
    backup_file = tmp_path / "kept.backup"
    assert runner.invoke(args=["backup", str(backup_file)]).exit_code == 0
    _add_user("new@example.org")
    db.session.remove()
    declined = runner.invoke(args=["restore", str(backup_file)], input="n\n")
    assert declined.exit_code != 0
    assert _emails() == {"kept@example.org", "new@example.org"}

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("not a database")
    db.session.remove()
    failed = runner.invoke(args=["restore", str(not_a_backup), "--yes"])
    assert failed.exit_code != 0
    assert failed.exception is None or isinstance(failed.exception, SystemExit)  # a message, not a traceback
    assert _emails() == {"kept@example.org", "new@example.org"}


def test_a_backup_never_overwrites_a_file(live, tmp_path: Path):
    existing = tmp_path / "taken.backup"
    existing.write_text("something precious")
    refused = live.test_cli_runner().invoke(args=["backup", str(existing)])
    assert refused.exit_code != 0 and "exists already" in refused.output
    assert existing.read_text() == "something precious"
