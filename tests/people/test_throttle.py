"""Login throttling: strict per account, looser per client address, exact under concurrency, and the
client address read from a trusted proxy's X-Forwarded-For only when the proxies are configured."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from lms import ConfigurationError, create_app
from lms.extensions import db as _db
from lms.people import services
from lms.people.models import LoginThrottle
from tests.conftest import TEST_CONFIG, IsolatedClient
from tests.factories import PASSWORD, make_learner, make_user

PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # the reverse proxy, as the app sees it
#: A smaller address limit than the default 50, so a test reaches it in a few requests; the account limit stays 5.
ADDRESS_LIMIT = 8


def _login(client, email: str, password: str, forwarded_for: str | None = None, **environ):  # noqa: ANN001, ANN201
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/login", data={"email": email, "password": password}, headers=headers, environ_base=environ)


@pytest.fixture()
def proxied_client(app, db):  # noqa: ANN001, ANN201
    """A second app on the same database, told that one reverse proxy stands in front of it."""
    behind_proxy = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "TRUSTED_PROXIES": 1,
            "LOGIN_THROTTLE_ADDRESS_LIMIT": ADDRESS_LIMIT,
        }
    )
    behind_proxy.test_client_class = IsolatedClient
    with behind_proxy.app_context():
        yield behind_proxy.test_client()
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture()
def address_limit(app, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_ADDRESS_LIMIT", ADDRESS_LIMIT)
    return ADDRESS_LIMIT


def _accounts(count: int) -> list[str]:
    emails = [f"person{n}@example.org" for n in range(count)]
    for email in emails:
        make_user(email=email)
    return emails


# --- by account and by address -------------------------------------------------------------------


def test_failures_on_one_account_do_not_lock_another_from_the_same_address(client, db):
    first, second = _accounts(2)
    db.commit()
    for _ in range(5):
        assert _login(client, first, "guess").status_code == 401
    assert _login(client, first, PASSWORD).status_code == 429  # that account is locked, even with its password
    assert _login(client, second, PASSWORD).status_code == 302  # its neighbour at the same address is not


def test_the_address_limit_locks_every_account_from_that_address(client, db, address_limit):
    emails = _accounts(address_limit + 1)
    db.commit()
    for email in emails[:address_limit]:  # one failure each: no account reaches its own limit
        assert _login(client, email, "guess").status_code == 401
    assert _login(client, emails[-1], PASSWORD).status_code == 429
    assert _login(client, emails[-1], PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 302  # another address


def test_a_successful_login_does_not_count_against_its_address(client, db, address_limit):
    emails = _accounts(address_limit + 1)
    db.commit()
    for email in emails:  # a whole office behind one address logs in
        assert _login(client, email, PASSWORD).status_code == 302
        client.post("/logout")
    assert _login(client, emails[0], "guess").status_code == 401


def test_phone_and_pin_logins_are_throttled_the_same_way(client, db):
    first, second = make_learner(phone="07700 900201"), make_learner(phone="07700 900202")
    for learner in (first, second):
        services.create_learner_login(learner, "4826", make_user(organisation=learner.organisation))
    db.commit()
    for _ in range(5):
        assert client.post("/login/phone", data={"phone": "07700900201", "pin": "1111"}).status_code == 401
    assert client.post("/login/phone", data={"phone": "07700900201", "pin": "4826"}).status_code == 429
    assert client.post("/login/phone", data={"phone": "07700900202", "pin": "4826"}).status_code == 302


def test_throttle_keys_are_hashed(client, db):
    make_user(email="tutor@example.org")
    db.commit()
    _login(client, "tutor@example.org", "guess", REMOTE_ADDR="203.0.113.9")
    stored = " ".join(db.scalars(sa.select(LoginThrottle.key_hash)))
    assert "tutor" not in stored and "203.0.113" not in stored
    assert len(db.scalars(sa.select(LoginThrottle.key_hash)).all()) == 2


# --- behind a reverse proxy ----------------------------------------------------------------------


def test_behind_a_trusted_proxy_client_addresses_are_counted_apart(proxied_client, db):
    emails = _accounts(ADDRESS_LIMIT + 1)
    db.commit()
    for email in emails[:ADDRESS_LIMIT]:
        assert _login(proxied_client, email, "guess", "203.0.113.5", **PROXY).status_code == 401
    assert _login(proxied_client, emails[-1], PASSWORD, "203.0.113.5", **PROXY).status_code == 429
    # Another learner at another address, through the same proxy, is not locked out.
    assert _login(proxied_client, emails[-1], PASSWORD, "198.51.100.4", **PROXY).status_code == 302


def test_the_proxy_reads_only_the_address_it_added(proxied_client, db):
    """nginx appends the address it saw to whatever the client sent; with one trusted proxy only that
    last address counts, so a client cannot escape its count by sending X-Forwarded-For itself."""
    emails = _accounts(ADDRESS_LIMIT + 1)
    db.commit()
    for n, email in enumerate(emails[:ADDRESS_LIMIT]):
        assert _login(proxied_client, email, "guess", f"192.0.2.{n}, 203.0.113.5", **PROXY).status_code == 401
    assert _login(proxied_client, emails[-1], PASSWORD, "192.0.2.99, 203.0.113.5", **PROXY).status_code == 429


def test_without_trusted_proxies_a_spoofed_forwarded_for_is_ignored(client, db, app, address_limit):
    assert app.config["TRUSTED_PROXIES"] == 0  # the default: no proxy header is believed
    emails = _accounts(address_limit + 1)
    db.commit()
    for n, email in enumerate(emails[:address_limit]):
        assert _login(client, email, "guess", f"192.0.2.{n}").status_code == 401
    assert _login(client, emails[-1], PASSWORD, "198.51.100.4").status_code == 429


def test_trusted_proxies_must_be_a_count(app):
    for wrong in (-1, "two", 1.5):
        with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
            create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://", "TRUSTED_PROXIES": wrong})


# --- exact under concurrency ---------------------------------------------------------------------


def _guess_at_once(app, count: int, post) -> list[int]:  # noqa: ANN001
    """`count` requests, each from its own client, released together; their status codes."""
    statuses: list[int] = []
    barrier = threading.Barrier(count)

    def guess(n: int) -> None:
        own = app.test_client()  # its own request, app context, session and connection
        barrier.wait()
        statuses.append(post(own, n).status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(count)]
    _db.session.close()  # hold no transaction (and so no SQLite lock) in the test while the requests run
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.fixture()
def evaluated(monkeypatch):  # noqa: ANN001, ANN201
    """The guesses whose secret was actually checked."""
    checked: list[str] = []
    real_check = services.check_password_hash

    def counting_check(stored: str, secret: str) -> bool:
        checked.append(secret)
        return real_check(stored, secret)

    monkeypatch.setattr(services, "check_password_hash", counting_check)
    return checked


@pytest.mark.slow
def test_forty_concurrent_wrong_pins_let_at_most_five_guesses_through(app, db, evaluated):
    learner = make_learner(phone="07700 900301")
    services.create_learner_login(learner, "4826", make_user(organisation=learner.organisation))
    db.commit()
    statuses = _guess_at_once(
        app, 40, lambda own, n: own.post("/login/phone", data={"phone": "07700900301", "pin": f"{1000 + n}"})
    )
    assert len(statuses) == 40
    assert statuses.count(401) == 5 and statuses.count(429) == 35
    assert len(evaluated) == 5
    account_key = services._throttle_keys("+447700900301", None)[0]
    assert db.get(LoginThrottle, account_key).failures == 5


@pytest.mark.slow
def test_forty_concurrent_wrong_passwords_from_forty_addresses_let_at_most_five_through(app, db, evaluated):
    make_user(email="tutor@example.org")
    db.commit()
    statuses = _guess_at_once(
        app,
        40,
        lambda own, n: _login(own, "tutor@example.org", f"guess {n}", REMOTE_ADDR=f"198.51.100.{n + 1}"),
    )
    assert statuses.count(401) == 5 and statuses.count(429) == 35
    assert len(evaluated) == 5
    # The refused guesses did not count against their addresses: only the five that were checked did.
    address_failures = db.scalars(sa.select(LoginThrottle.failures).where(LoginThrottle.failures > 0)).all()
    assert sorted(address_failures) == [1, 1, 1, 1, 1, 5]
