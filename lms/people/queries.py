"""Reads about people that views (and later reports) share."""

from __future__ import annotations

import sqlalchemy as sa

from lms.core.roles import Role
from lms.extensions import db
from lms.people.models import Learner, Organisation, User, UserRole


def _like(search: str) -> str:
    return "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def users_select(
    organisation_id: int | None, search: str = "", role: Role | None = None, active: bool | None = None
) -> sa.Select:
    """Accounts of an organisation (of every one with None), matching `search` in the name, e-mail or
    phone (a phone typed as 07700 900123 matches its stored +447700900123), with `role`, active or not."""
    query = sa.select(User)
    if organisation_id is not None:
        query = query.where(User.organisation_id == organisation_id)
    if search:
        patterns = [_like(search)]
        digits = "".join(char for char in search if char.isdigit())
        if len(digits) >= 4:
            patterns.append(_like(digits.removeprefix("0")))
        columns = (User.display_name, User.email, User.phone)
        query = query.where(sa.or_(*(column.ilike(pattern, escape="\\") for column in columns for pattern in patterns)))
    if role is not None:
        query = query.where(User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == role)))
    if active is not None:
        query = query.where(User.is_active.is_(active))
    return query.order_by(User.display_name, User.id)


def all_organisations() -> list[Organisation]:
    return list(db.session.scalars(sa.select(Organisation).order_by(Organisation.name)))


def learner_search(search: str) -> sa.ColumnElement[bool]:
    """Learners whose name matches `search` as written or in Latin letters (a part, or given and family
    name together: "Zainab Huss"), or whose phone or e-mail does; case does not matter."""
    pattern = _like(search)
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
