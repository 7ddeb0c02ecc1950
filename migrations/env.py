"""Alembic environment for Flask-Migrate with Flask-SQLAlchemy 3 (one database, no binds)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config

# Keep the app's (and pytest's) loggers alive when Alembic configures its own.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option("sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    # Do not write an empty revision when autogenerate finds no change.
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    with target_db.engine.connect() as connection:
        # SQLite: batch mode rebuilds tables and downgrades drop them, which foreign keys would refuse
        # (or cascade). Alembic's advice is to switch them off around the run and check afterwards.
        _sqlite_foreign_keys(connection, on=False)
        try:
            # One transaction for the whole run on SQLite too (it has transactional DDL; Alembic does
            # not assume it), so a step that fails leaves the database as it was, not half-migrated.
            transactional = {"transactional_ddl": True} if connection.dialect.name == "sqlite" else {}
            context.configure(connection=connection, target_metadata=target_db.metadata, **transactional, **conf_args)
            with context.begin_transaction():
                context.run_migrations()
                _check_sqlite_foreign_keys(connection)
        finally:
            _sqlite_foreign_keys(connection, on=True)


def _sqlite_foreign_keys(connection, on):
    """PRAGMA foreign_keys is ignored inside a transaction, so it goes straight to the driver first."""
    if connection.dialect.name == "sqlite":
        connection.connection.dbapi_connection.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def _check_sqlite_foreign_keys(connection):
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"Migration left rows whose foreign keys point nowhere: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
