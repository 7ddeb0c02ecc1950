"""The data layer: aware datetimes on both databases, SQLite under concurrent writers."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from lms.core.audit import AuditEvent
from lms.extensions import db as _db
from tests.factories import make_user

LONDON = ZoneInfo("Europe/London")


def test_aware_datetimes_round_trip_as_the_same_instant_in_utc(db):
    user = make_user()
    summer = datetime(2026, 7, 1, 18, 0, tzinfo=LONDON)  # BST, 17:00 UTC
    winter = datetime(2026, 12, 1, 18, 0, tzinfo=LONDON)  # GMT, 18:00 UTC
    user.last_login_dt = summer
    event = AuditEvent(action="test", actor_id=user.id, created_dt=winter)
    db.add(event)
    db.commit()
    db.expire_all()
    assert user.last_login_dt == summer
    assert user.last_login_dt.tzinfo is UTC
    assert user.last_login_dt.hour == 17
    assert event.created_dt == winter and event.created_dt.hour == 18
    assert user.last_login_dt.astimezone(LONDON).hour == 18


def test_range_queries_compare_instants_not_wall_clocks(db):
    user = make_user()
    # 01:30 BST on the morning the clocks go back, the first of the two 01:30s that day.
    user.last_login_dt = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    db.commit()
    User = type(user)

    def logged_in_before(moment: datetime) -> int:
        return db.scalar(sa.select(sa.func.count()).select_from(User).where(User.last_login_dt < moment))

    assert logged_in_before(datetime(2026, 10, 25, 1, 15, fold=0, tzinfo=LONDON)) == 0  # 01:15 BST, earlier
    assert logged_in_before(datetime(2026, 10, 25, 1, 15, fold=1, tzinfo=LONDON)) == 1  # 01:15 GMT, later


def test_naive_datetimes_are_refused(db):
    user = make_user()
    user.last_login_dt = datetime(2026, 7, 1, 18, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.flush()
    db.rollback()


def test_sqlite_connections_are_tuned(db):
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only")
    connection = db.connection()
    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def test_foreign_keys_are_enforced(db):
    db.add(AuditEvent(action="test", actor_id=999_999))
    with pytest.raises(sa.exc.IntegrityError):
        db.flush()
    db.rollback()


def _writer(url: str, worker: int, rounds: int, errors) -> None:  # noqa: ANN001
    """A separate process doing read-then-write transactions, as a gunicorn worker would."""
    from lms import create_app
    from tests.conftest import TEST_CONFIG

    # The production busy timeout (15 s): a shorter one failed under a load average of 5.6.
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        for n in range(rounds):
            try:
                count = _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
                _db.session.add(
                    AuditEvent(action="concurrent", subject_type=f"w{worker}", subject_id=n, detail={"seen": count})
                )
                _db.session.commit()
            except Exception as error:  # noqa: BLE001 - report every failure to the parent
                errors.put(f"{type(error).__name__}: {error}")
                _db.session.rollback()


@pytest.mark.slow
def test_sqlite_concurrent_writers_from_several_processes_never_hit_locked(app, db):
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has row locking")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    context = multiprocessing.get_context("spawn")
    errors = context.Queue()
    workers, rounds = 6, 40
    processes = [context.Process(target=_writer, args=(url, worker, rounds, errors)) for worker in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    assert all(process.exitcode == 0 for process in processes)
    written = db.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "concurrent"))
    assert written == workers * rounds


def test_now_is_aware_utc():
    from lms.core.time import now_utc

    now = now_utc()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
