"""Starting for real: the first organisation and its first administrator, on an empty database.

`lms init` either prints a one-time setup code for the setup page (`issue_setup_token`) or, given the
details, sets up at once (`set_up`). Both work only while no organisation exists; afterwards the
setup page is 404 and `lms init` changes nothing. Services flush and audit; the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import available_timezones

import sqlalchemy as sa
from flask import current_app

from lms.core import audit
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.core.roles import Role
from lms.core.time import now_utc
from lms.core.tokens import new_token, token_hash
from lms.extensions import db
from lms.people.inputs import SetupInput
from lms.people.models import HOLIDAY_REGION_TITLES, Organisation, SetupToken, User
from lms.people.services import create_organisation, create_user


def is_set_up() -> bool:
    """Whether any organisation exists: then there is nothing to set up."""
    return db.session.scalar(sa.select(Organisation.id).limit(1)) is not None


def issue_setup_token() -> tuple[str, datetime]:
    """A new one-time setup code and when it expires. Only its hash is kept; earlier codes stop working."""
    if is_set_up():
        raise ServiceError(_("Pathways is already set up: an organisation exists."))
    now = now_utc()
    db.session.execute(
        sa.update(SetupToken)
        .where(SetupToken.used_dt.is_(None), SetupToken.expires_dt > now)
        .values(expires_dt=now)
        .execution_options(synchronize_session=False)
    )
    token = new_token()
    expires = now + current_app.config["SETUP_TOKEN_LIFETIME"]
    db.session.add(SetupToken(token_hash=token_hash(token), created_dt=now, expires_dt=expires))
    audit.record("setup.token.issue", actor_id=None)
    db.session.flush()
    return token, expires


def setup_token_is_live(token: str | None) -> bool:
    if not token or len(token) > 100:
        return False
    return (
        db.session.scalar(
            sa.select(SetupToken.id).where(
                SetupToken.token_hash == token_hash(token),
                SetupToken.used_dt.is_(None),
                SetupToken.expires_dt > now_utc(),
            )
        )
        is not None
    )


def _use_token(token: str | None) -> None:
    """Mark the code used in the UPDATE that checks it, so that it works once only."""
    used = (
        db.session.scalar(
            sa.update(SetupToken)
            .where(
                SetupToken.token_hash == token_hash(token),
                SetupToken.used_dt.is_(None),
                SetupToken.expires_dt > now_utc(),
            )
            .values(used_dt=now_utc())
            .returning(SetupToken.id)
        )
        if token and len(token) <= 100
        else None
    )
    if used is None:
        raise ServiceError(
            _("This setup code has expired or was already used. Run lms init again for a new one."), field="token"
        )


def _check_setup(data: SetupInput) -> None:
    if data.timezone not in available_timezones():
        raise ServiceError(_("Choose a time zone such as Europe/London."), field="timezone")
    if data.holiday_region not in HOLIDAY_REGION_TITLES:
        raise ServiceError(_("Choose from the list."), field="holiday_region")


def set_up(data: SetupInput, token: str | None, *, require_token: bool = True) -> User:
    """Create the first organisation and its administrator, using up the setup code (the shell's
    `lms init --organisation ...` needs none: whoever runs it already holds the database)."""
    if is_set_up():
        raise ServiceError(_("Pathways is already set up: an organisation exists."))
    if require_token:
        _use_token(token)
    _check_setup(data)
    if not data.admin_email:
        raise ServiceError(_("Enter an e-mail address like name@example.org."), field="admin_email")
    if not data.password:
        raise ServiceError(_("Choose a password."), field="password")
    try:
        organisation = create_organisation(data.organisation_name, data.kind, data.timezone)
        organisation.holiday_region = data.holiday_region
        admin = create_user(
            organisation=organisation,
            display_name=data.admin_name,
            email=data.admin_email,
            password=data.password,
            roles=[Role.ADMIN],
        )
    except ServiceError as error:  # shown on the setup form's own field
        raise ServiceError(error.message, field=_SETUP_FIELDS.get(error.field or "", error.field)) from None
    audit.record(
        "setup.complete",
        actor_id=admin.id,
        subject_type="organisation",
        subject_id=organisation.id,
        by_token=require_token,
    )
    db.session.flush()
    return admin


#: The fields of `create_organisation` and `create_user` as the setup form names them.
_SETUP_FIELDS = {"name": "organisation_name", "display_name": "admin_name", "email": "admin_email"}
