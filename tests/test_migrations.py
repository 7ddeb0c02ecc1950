"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from datetime import date

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
        assert "This downgrade would delete data (" in said  # the newest migration that would lose some
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


def test_completion_dates_are_filled_in_from_what_was_recorded(scratch_database_url, monkeypatch):
    """5c1e0a7d2b3f: completed places take the day their status changed; a place that was issued a
    course certificate is completed on the day of its first certificate."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from lms.demo.services import add_demo_data

    monkeypatch.setenv("LMS_ALLOW_DATA_LOSS", "1")
    app = _migrated_app(scratch_database_url)
    with app.app_context():
        upgrade()
        add_demo_data()
        _db.session.commit()
        _db.session.remove()
        downgrade(revision="db9bb4a6956f")
        with _db.engine.begin() as connection:
            place = connection.execute(
                sa.text("SELECT id, learner_id FROM enrolment WHERE status = 'enrolled' ORDER BY id")
            ).first()
            kinds = connection.execute(sa.text("SELECT id FROM certificate_type ORDER BY id")).scalars().all()
            assert len(kinds) >= 2, "the demo has certificate types"
            for code, kind, issued, revoked in (
                ("AAAA1111", kinds[0], "2026-11-20", None),
                ("BBBB2222", kinds[1], "2026-11-10", "2026-11-11 10:00:00+00:00"),
            ):
                connection.execute(
                    sa.text(
                        "INSERT INTO certificate (code, learner_id, enrolment_id, certificate_type_id, holder_name,"
                        " holder_name_latin, course_title, organisation_name, issued_date, revoked_dt,"
                        " revoked_reason) VALUES (:code, :learner, :place, :kind, 'A', '', 'C', 'O', :issued,"
                        " :revoked, '')"
                    ),
                    {
                        "code": code,
                        "learner": place[1],
                        "place": place[0],
                        "kind": kind,
                        "issued": issued,
                        "revoked": revoked,
                    },
                )
            certified = (place[0], "2026-11-20")  # the revoked one does not count
            completed = connection.execute(
                sa.text("SELECT id, status_changed_dt FROM enrolment WHERE status = 'completed' ORDER BY id")
            ).first()
        upgrade()
        with _db.engine.connect() as connection:
            rows = dict(
                connection.execute(sa.text("SELECT id, status FROM enrolment WHERE completed_date IS NOT NULL")).all()
            )
            day = connection.execute(
                sa.text("SELECT completed_date FROM enrolment WHERE id = :id"), {"id": certified[0]}
            ).scalar_one()
        assert rows[certified[0]] == "completed" and str(day) == str(certified[1])
        if completed is not None:
            assert completed[0] in rows
        _db.session.remove()
        _db.engine.dispose()


def test_dbs_check_dates_become_issue_dates_with_a_recheck(scratch_database_url, monkeypatch):
    """6a454e0fce87: the DBS check date each profile had is its certificate's issue date, rechecked
    three years on (the rule suggestions used before), so nobody's standing changes."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from lms.demo.services import add_demo_data

    monkeypatch.setenv("LMS_ALLOW_DATA_LOSS", "1")
    app = _migrated_app(scratch_database_url)
    with app.app_context():
        upgrade()
        add_demo_data()
        _db.session.commit()
        _db.session.remove()
        downgrade(revision="ddd63dbf9f3b")
        with _db.engine.begin() as connection:
            checked = dict(
                connection.execute(
                    sa.text("SELECT user_id, dbs_check_date FROM educator_profile WHERE dbs_check_date IS NOT NULL")
                ).all()
            )
            assert len(checked) >= 2, "the demo's educators have DBS checks"
            leap = next(iter(checked))
            connection.execute(
                sa.text("UPDATE educator_profile SET dbs_check_date = '2024-02-29' WHERE user_id = :id"), {"id": leap}
            )
        upgrade()
        with _db.engine.connect() as connection:
            rows = {
                user_id: (str(issued), str(recheck))
                for user_id, issued, recheck in connection.execute(
                    sa.text("SELECT user_id, dbs_issue_date, dbs_recheck_date FROM educator_profile")
                )
            }
        _db.session.remove()
        _db.engine.dispose()
    assert rows[leap] == ("2024-02-29", "2027-02-28")
    for user_id, value in checked.items():
        issued = date.fromisoformat(str(value))  # SQLite gives text, PostgreSQL a date
        if user_id != leap:
            assert rows[user_id] == (str(issued), str(issued.replace(year=issued.year + 3)))
