"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lms.extensions import db as _db


def test_migrations_match_the_models(app, db):
    """The suite's schema was built by `upgrade()`; any difference means a missing migration."""
    with _db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, _db.metadata)
    assert differences == []


def test_downgrade_to_nothing_and_back(tmp_path):
    """On a database of its own: every migration's downgrade() runs, and upgrade rebuilds it all."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from lms import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(_db.engine).get_table_names()) == {"alembic_version"}
        upgrade()
        assert "learner" in sa.inspect(_db.engine).get_table_names()
        _db.engine.dispose()


def _migrated_app(url: str):  # noqa: ANN202
    from lms import create_app
    from tests.conftest import TEST_CONFIG

    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})


def test_a_downgrade_refuses_to_delete_data_unless_told(scratch_database_url, monkeypatch, capfd):
    """A database with people in it is not emptied by a mistyped downgrade; told to, SQLite's works."""
    import pytest
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from lms.demo.services import add_demo_data
    from lms.people.models import Learner

    monkeypatch.delenv("LMS_ALLOW_DATA_LOSS", raising=False)
    app = _migrated_app(scratch_database_url)
    with app.app_context():
        upgrade()
        add_demo_data()  # every table that references another holds rows, as a real database does
        _db.session.commit()
        learners = _db.session.scalar(sa.select(sa.func.count()).select_from(Learner))
        _db.session.remove()  # SQLite: a session's open transaction would hold the write lock
        tables = set(sa.inspect(_db.engine).get_table_names())
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits non-zero
            downgrade(revision="base")
        said = capfd.readouterr().err
        assert "This downgrade would delete data (cohort.what_to_bring: " in said
        assert "lms backup PATH" in said
        _db.session.remove()
        assert set(sa.inspect(_db.engine).get_table_names()) == tables  # the earlier steps were undone too
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Learner)) == learners > 0
        _db.session.remove()
        assert "learner" in sa.inspect(_db.engine).get_table_names()

        monkeypatch.setenv("LMS_ALLOW_DATA_LOSS", "1")
        downgrade(revision="base")  # with data in referenced tables: foreign keys do not stop it midway
        assert set(sa.inspect(_db.engine).get_table_names()) == {"alembic_version"}
        upgrade()
        if _db.engine.dialect.name == "sqlite":
            with _db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # switched back on
        _db.session.remove()
        _db.engine.dispose()
