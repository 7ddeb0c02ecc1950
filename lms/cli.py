"""The `lms` command: Flask's CLI (run, shell, db ...) with Pathways' own commands added."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup

from lms.core.roles import Role
from lms.people.models import OrganisationKind


def _create_app() -> Flask:
    from lms import create_app

    # The development server and one-off commands may run on a random key; a web server may not.
    return create_app({"ALLOW_EPHEMERAL_SECRET_KEY": True})


def main() -> None:
    if sys.argv[1:2] == ["run"]:
        # The development server speaks plain HTTP, so its session cookie cannot be Secure.
        os.environ.setdefault("LMS_SESSION_COOKIE_SECURE", "false")
    cli = FlaskGroup(create_app=_create_app, help="Pathways course and learning-pathway management.")
    cli.main(prog_name="lms")


def register_commands(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", help="E-mail address to log in with.")
    @click.option("--phone", help="Mobile number to log in with (learners).")
    @click.option("--name", "display_name", required=True, help="The person's name.")
    @click.option("--role", "roles", multiple=True, required=True, type=click.Choice([role.value for role in Role]))
    @click.option("--organisation", required=True, help="Organisation name; created as a provider if new.")
    @click.password_option(help="Password (asked for if not given).")
    def create_user_command(email, phone, display_name, roles, organisation, password) -> None:  # noqa: ANN001
        """Create a user account."""
        import sqlalchemy as sa

        from lms.core.errors import ServiceError
        from lms.extensions import db
        from lms.people import services
        from lms.people.models import Organisation, OrganisationKind

        try:
            org = db.session.scalar(sa.select(Organisation).where(Organisation.name == organisation))
            org = org or services.create_organisation(organisation, OrganisationKind.PROVIDER)
            user = services.create_user(
                organisation=org,
                display_name=display_name,
                email=email,
                phone=phone,
                password=password,
                roles=[Role(role) for role in roles],
            )
        except ServiceError as error:
            db.session.rollback()
            raise click.ClickException(error.message)
        db.session.commit()
        click.echo(f"Created user {user.id} ({user.email or user.phone}).")

    @app.cli.command("init")
    @click.option("--organisation", help="Set up at once, in the shell: the organisation's name.")
    @click.option("--kind", type=click.Choice([kind.value for kind in OrganisationKind]), default="provider")
    @click.option("--timezone", default="Europe/London", show_default=True)
    @click.option(
        "--holiday-region", type=click.Choice(["ENG", "SCT", "NIR"]), default="ENG", help="ENG: England and Wales."
    )
    @click.option("--admin-name", help="The first administrator's name (asked for if not given).")
    @click.option("--admin-email", help="The first administrator's e-mail address (asked for if not given).")
    @click.option("--base-url", default="http://127.0.0.1:5000", help="Where people reach Pathways.")
    def init_command(organisation, kind, timezone, holiday_region, admin_name, admin_email, base_url) -> None:  # noqa: ANN001
        """Start for real: create or upgrade the database, then print a one-time setup link for the
        first organisation and administrator, or (with --organisation) create them here."""
        from flask_migrate import upgrade

        from lms.core.errors import ServiceError
        from lms.core.i18n import compile_catalogues
        from lms.extensions import db
        from lms.people import setup
        from lms.people.inputs import SetupInput

        compile_catalogues()
        upgrade()
        if setup.is_set_up():
            db.session.rollback()
            raise click.ClickException("Pathways is already set up: an organisation exists. Nothing was changed.")
        try:
            if organisation or admin_email:
                data = SetupInput(
                    organisation_name=organisation or click.prompt("Organisation name"),
                    kind=OrganisationKind(kind),
                    timezone=timezone,
                    holiday_region=holiday_region,
                    admin_name=admin_name or click.prompt("Administrator's name"),
                    admin_email=admin_email or click.prompt("Administrator's e-mail address"),
                    password=click.prompt("Password", hide_input=True, confirmation_prompt=True),
                )
                admin = setup.set_up(data, None, require_token=False)
                db.session.commit()
                login = f"{base_url.rstrip('/')}/login"
                click.echo(f"Set up {admin.organisation.name}. Log in at {login} as {admin.email}.")
                return
            token, expires = setup.issue_setup_token()
        except ServiceError as error:
            db.session.rollback()
            raise click.ClickException(error.message)
        db.session.commit()
        click.echo("Open this link to create your organisation and its first administrator:")
        click.echo(f"  {base_url.rstrip('/')}/setup?token={token}")
        click.echo(f"It works once, until {expires:%Y-%m-%d %H:%M} UTC. Run lms init again for a new one.")

    @app.cli.command("demo")
    @click.option("--reset", is_flag=True, help="Delete the SQLite database first and start again.")
    def demo_command(reset: bool) -> None:
        """Create (or upgrade) the database and fill it with demo data."""
        from lms.demo.services import build_demo

        build_demo(reset=reset)

    @app.cli.command("reference-data")
    def reference_data_command() -> None:
        """Add the standard certificate types and ESOL qualifications (safe to run again)."""
        from lms.courses.reference import ensure_reference_data
        from lms.extensions import db

        added = ensure_reference_data()
        db.session.commit()
        click.echo(f"Added {added} reference rows.")

    @app.cli.command("expire-offers")
    def expire_offers_command() -> None:
        """Withdraw waitlist offers past their deadline and offer the places on (the scheduler runs this)."""
        from lms.extensions import db
        from lms.scheduling.cohorts.enrolment import expire_offers

        count = expire_offers()
        db.session.commit()
        click.echo(f"Expired {count} offers.")

    @app.cli.command("calendar-url")
    @click.argument("login")
    @click.option("--base-url", default="http://127.0.0.1:5000", help="Where users reach Pathways.")
    def calendar_url_command(login: str, base_url: str) -> None:
        """Print a user's calendar feed URL (found by e-mail or phone). Only hashes are stored, so this
        makes a new URL: the user's old one stops working."""
        import sqlalchemy as sa

        from lms.calendar.feeds import issue_feed
        from lms.calendar.models import FeedKind
        from lms.extensions import db
        from lms.people.models import User

        user = db.session.scalar(
            sa.select(User).where(sa.or_(User.email == login.strip().lower(), User.phone == login))
        )
        if user is None:
            raise click.ClickException(f"No user logs in as {login}.")
        token = issue_feed(FeedKind.USER, user.id, user)
        db.session.commit()
        click.echo(f"{base_url.rstrip('/')}/feeds/{token}.ics")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path) -> None:
        """Write a complete, consistent copy of the database to PATH (safe while the app serves)."""
        from lms.core.backup import BackupError, backup
        from lms.extensions import db

        try:
            backup(db.engine, path)
        except BackupError as error:
            raise click.ClickException(str(error))
        click.echo(f"Backed up the database to {path} ({path.stat().st_size:,} bytes).")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
    def restore_command(path: Path, yes: bool) -> None:
        """Replace everything in the database with the backup at PATH. Stop the app and scheduler first."""
        from lms.core.backup import BackupError, restore
        from lms.extensions import db

        if not yes:
            click.confirm(f"Replace everything in {db.engine.url.render_as_string()} with {path}?", abort=True)
        try:
            restore(db.engine, path)
        except BackupError as error:
            raise click.ClickException(str(error))
        click.echo(f"Restored the database from {path}. Run `lms db upgrade` if the backup is older than the code.")

    @app.cli.command("scheduler")
    def scheduler_command() -> None:
        """Run the scheduled jobs (reminders, offers, digests, retention, message delivery). One process."""
        from lms.jobs.scheduler import build_scheduler

        scheduler = build_scheduler(app)
        click.echo("Scheduler started: " + ", ".join(job.id for job in scheduler.get_jobs()))
        scheduler.start()

    @app.cli.command("run-job")
    @click.argument("name")
    def run_job_command(name: str) -> None:
        """Run one scheduled job now (for cron, or to catch up). A second run in the same period does nothing."""
        from lms.jobs.scheduler import jobs, run_job

        job = next((job for job in jobs() if job.name == name), None)
        if job is None:
            raise click.ClickException("Jobs: " + ", ".join(job.name for job in jobs()))
        summary = run_job(app, job)
        click.echo("Already done for this period." if summary is None else f"{name}: {summary}")

    @app.cli.command("bench-data")
    @click.option("--tier", type=click.Choice(["S", "M", "L"]), default="S")
    @click.option("--seed", type=int, default=1)
    def bench_data_command(tier: str, seed: int) -> None:
        """Fill the database with deterministic benchmark data (run from the repository's root)."""
        import sys

        sys.path.insert(0, os.getcwd())  # benchmarks/ lives beside the package, not inside it
        try:
            from benchmarks.data import generate
        except ImportError:
            raise click.ClickException("Run this from the repository's root, where benchmarks/ is.")
        generated = generate(tier, seed)
        click.echo(f"Generated tier {tier}: {generated.counts}")
