"""Reads about people that views (and later reports) share."""

from __future__ import annotations

import sqlalchemy as sa

from lms.extensions import db
from lms.people.models import Learner, Organisation, User


def users_of(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(sa.select(User).where(User.organisation_id == organisation_id).order_by(User.display_name))
    )


def learner_search(search: str) -> sa.ColumnElement[bool]:
    """Learners whose name matches `search` as written or in Latin letters (a part, or given and family
    name together: "Zainab Huss"), or whose phone or e-mail does; case does not matter."""
    pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    columns = (
        Learner.given_name,
        Learner.family_name,
        Learner.given_name_latin,
        Learner.family_name_latin,
        Learner.given_name + " " + Learner.family_name,
        Learner.given_name_latin + " " + Learner.family_name_latin,
        Learner.phone,
        Learner.email,
    )
    return sa.or_(*(column.ilike(pattern, escape="\\") for column in columns))


def learners_select(organisation_id: int, search: str = "") -> sa.Select:
    """Learners of an organisation, matching `search` in any name form, phone or e-mail."""
    query = sa.select(Learner).where(Learner.organisation_id == organisation_id)
    if search:
        query = query.where(learner_search(search))
    return query.order_by(Learner.family_name_latin, Learner.given_name_latin, Learner.id)


def organisation_logo(organisation_id: int) -> bytes | None:
    """The organisation's logo as PNG bytes (the column is deferred, so it is read only here)."""
    return db.session.scalar(sa.select(Organisation.logo_png).where(Organisation.id == organisation_id))
