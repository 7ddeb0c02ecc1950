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
