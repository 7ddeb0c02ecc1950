"""An organisation's settings: its name and address, default language, bank holidays and certificates."""

from __future__ import annotations

import sqlalchemy as sa

from lms.core import audit
from lms.core.errors import ServiceError
from lms.core.i18n import _, is_supported
from lms.extensions import db
from lms.people.inputs import OrganisationSettingsInput
from lms.people.models import HOLIDAY_REGION_TITLES, Organisation, User

#: The settings an administrator changes, as audited (the values are not sensitive).
SETTINGS = (
    "name",
    "address",
    "default_locale",
    "holiday_region",
    "signatory_name",
    "signatory_title",
    "educators_issue_certificates",
)


def save_settings(organisation: Organisation, data: OrganisationSettingsInput, actor: User) -> list[str]:
    """Change the organisation's settings; returns the names of those that changed.

    A new holiday region applies to timetables generated from now on: sessions already scheduled stay
    until the coordinator generates again (a session on a newly found bank holiday is then cancelled).
    """
    if not data.name:
        raise ServiceError(_("Enter the organisation's name."), field="name")
    taken = db.session.scalar(
        sa.select(Organisation.id).where(Organisation.name == data.name, Organisation.id != organisation.id)
    )
    if taken:
        raise ServiceError(_("An organisation with this name already exists."), field="name")
    if data.default_locale is not None and not is_supported(data.default_locale):
        raise ServiceError(_("Choose from the list."), field="default_locale")
    if data.holiday_region not in HOLIDAY_REGION_TITLES:
        raise ServiceError(_("Choose from the list."), field="holiday_region")
    if data.signatory_title and not data.signatory_name:
        raise ServiceError(_("Enter the name of who signs, or leave their role empty too."), field="signatory_name")
    changed = [name for name in SETTINGS if getattr(organisation, name) != getattr(data, name)]
    for name in changed:
        setattr(organisation, name, getattr(data, name))
    db.session.flush()
    if changed:
        audit.record(
            "organisation.settings",
            actor_id=actor.id,
            subject_type="organisation",
            subject_id=organisation.id,
            changed=changed,
        )
    return changed
