"""Configuration defaults. Environment variables override them; `create_app(config)` overrides both."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "pathways.sqlite3")
    # Hosting platforms still hand out postgres:// URLs; SQLAlchemy wants the psycopg 3 driver named.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def default_config(instance_path: str) -> dict:
    secret = os.environ.get("SECRET_KEY") or os.environ.get("LMS_SECRET_KEY")
    return {
        "SECRET_KEY": secret or secrets.token_hex(32),
        #: True when no SECRET_KEY was configured: sessions then end at every restart.
        "SECRET_KEY_IS_EPHEMERAL": not secret,
        #: Set by the `lms` command (development server, one-off commands), never by a web server.
        "ALLOW_EPHEMERAL_SECRET_KEY": False,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Cookies only over HTTPS; `lms run` (plain HTTP, development) turns this off for itself.
        "SESSION_COOKIE_SECURE": True,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead, so a long register page still saves
        "BABEL_DEFAULT_LOCALE": "en_GB",
        "BABEL_DEFAULT_TIMEZONE": "Europe/London",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent.parent / "translations"),
        #: Failed logins allowed per account in LOGIN_THROTTLE_WINDOW (strict: one person guessing).
        "LOGIN_THROTTLE_LIMIT": 5,
        #: Failed logins allowed per client address in LOGIN_THROTTLE_WINDOW, whatever the accounts
        #: (looser: a college or a hostel may share one address).
        "LOGIN_THROTTLE_ADDRESS_LIMIT": 50,
        "LOGIN_THROTTLE_WINDOW": timedelta(minutes=15),
        #: Reverse proxies in front of the app whose X-Forwarded-For and X-Forwarded-Proto are believed
        #: (Werkzeug's ProxyFix). 0: none, so a client cannot choose the address its logins count under.
        "TRUSTED_PROXIES": 0,
        #: Werkzeug's scrypt by default; tests use a cheap method to stay fast.
        "PASSWORD_HASH_METHOD": "scrypt",
        "LOGIN_LINK_LIFETIME": timedelta(hours=24),
        #: How long an invitation to set a password works (a password-reset link works LOGIN_LINK_LIFETIME).
        "INVITATION_LINK_LIFETIME": timedelta(days=7),
        #: How long the setup code that `lms init` prints works.
        "SETUP_TOKEN_LIFETIME": timedelta(hours=24),
        "SQLITE_BUSY_TIMEOUT_MS": 15000,
        #: How long after a session its educators may still change the register (coordinators always can).
        "ATTENDANCE_EDIT_HOURS": 48,
        #: "log" (development), "smtp" or "notify" (GOV.UK Notify).
        "MESSAGE_TRANSPORT": "log",
        "MAIL_FROM": "pathways@localhost",
        "SMTP_HOST": "localhost",
        "SMTP_PORT": 587,
        "NOTIFY_API_KEY": "",
        "NOTIFY_SMS_TEMPLATE_ID": "",
        "NOTIFY_EMAIL_TEMPLATE_ID": "",
        #: Anonymise learners past their retention period; off means the nightly job only reports (dry run).
        "RETENTION_APPLY": False,
        #: Requests one API token may make per minute.
        "API_RATE_LIMIT_PER_MINUTE": 120,
        #: PostgreSQL: how long a request waits for another one running with the same Idempotency-Key
        #: before it is answered 409 (SQLite requests that write take turns within the busy timeout).
        "API_IDEMPOTENCY_WAIT_SECONDS": 10,
    }
