"""Writes for looking after accounts: editing, deactivating and reactivating, invitations and
password resets by one-time link.

Services validate, change, flush and audit; the caller commits once. Deactivation tells the areas above
people through `people.hooks`, so the user's API tokens and calendar feed links end with their sessions.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from lms.core import audit
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.core.roles import Role
from lms.core.time import now_utc
from lms.core.tokens import new_token, token_hash
from lms.extensions import db
from lms.people import hooks
from lms.people.inputs import UserInput
from lms.people.models import AuthSession, EducatorProfile, LinkPurpose, LoginLink, Organisation, User, UserRole
from lms.people.services import check_password, hash_secret, normalise_email, normalise_phone

PASSWORD_LINKS = (LinkPurpose.INVITE, LinkPurpose.RESET)


def _other_active_admins(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.ADMIN, User.is_active.is_(True), User.id != user.id)
        )
        or 0
    )


def _keep_an_admin(user: User) -> None:
    """Refuse a change that would leave no active administrator."""
    if user.is_admin and user.is_active and not _other_active_admins(user):
        raise ServiceError(_("This is the only active administrator. Make someone else an administrator first."))


# --- editing -------------------------------------------------------------------------------------


def _contact(user: User, email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    email, phone = normalise_email(email), normalise_phone(phone)
    if not email and not phone:
        raise ServiceError(_("Give an e-mail address or a mobile number to log in with."), field="email")
    others = sa.select(User.id).where(User.id != user.id)
    if email and db.session.scalar(others.where(User.email == email)):
        raise ServiceError(_("Someone already uses this e-mail address."), field="email")
    if phone and db.session.scalar(others.where(User.phone == phone)):
        raise ServiceError(_("Someone already uses this phone number."), field="phone")
    return email, phone


def _check_roles(user: User, roles: frozenset[Role], actor: User) -> None:
    if not roles:
        raise ServiceError(_("Choose at least one role."), field="roles")
    if (Role.ADMIN in roles) != user.is_admin and not actor.is_admin:
        raise ServiceError(_("Only an administrator can make someone an administrator."), field="roles")
    if Role.ADMIN not in roles:
        _keep_an_admin(user)


def _organisation(user: User, organisation_id: int | None, actor: User) -> Organisation:
    if organisation_id is None or organisation_id == user.organisation_id:
        return user.organisation
    organisation = db.session.get(Organisation, organisation_id) if actor.is_admin else None
    if organisation is None:
        raise ServiceError(_("Choose from the list."), field="organisation_id")
    if user.learner is not None:
        raise ServiceError(_("A learner's login stays with the organisation of their record."), field="organisation_id")
    return organisation


def update_user(user: User, data: UserInput, actor: User) -> User:
    """Change an account's name, login contact, roles and (administrators only) organisation."""
    name = data.display_name.strip()
    if not name:
        raise ServiceError(_("Enter the person's name."), field="display_name")
    email, phone = _contact(user, data.email, data.phone)
    _check_roles(user, data.roles, actor)
    organisation = _organisation(user, data.organisation_id, actor)
    values = {"display_name": name, "email": email, "phone": phone, "organisation_id": organisation.id}
    changed = sorted(key for key, value in values.items() if getattr(user, key) != value)
    for key in changed:
        setattr(user, key, values[key])
    if "organisation_id" in changed:
        user.organisation = organisation
    added, removed = sorted(data.roles - user.roles), sorted(user.roles - data.roles)
    if added or removed:
        user.role_links = [link for link in user.role_links if link.role in data.roles]
        user.role_links.extend(UserRole(role=role) for role in added)
        changed.append("roles")
    if Role.EDUCATOR in added and db.session.get(EducatorProfile, user.id) is None:
        db.session.add(EducatorProfile(user_id=user.id))
    if changed:
        audit.record(
            "user.update",
            actor_id=actor.id,
            subject_type="user",
            subject_id=user.id,
            fields=changed,
            roles_added=added,
            roles_removed=removed,
        )
    db.session.flush()
    return user


# --- deactivating and reactivating ---------------------------------------------------------------


def _expire_open_links(user: User, purposes: tuple[LinkPurpose, ...] = tuple(LinkPurpose)) -> None:
    """End the user's unused one-time links (they stay in the table, as history)."""
    now = now_utc()
    db.session.execute(
        sa.update(LoginLink)
        .where(
            LoginLink.user_id == user.id,
            LoginLink.used_dt.is_(None),
            LoginLink.expires_dt > now,
            LoginLink.purpose.in_(purposes),
        )
        .values(expires_dt=now)
        .execution_options(synchronize_session=False)
    )


def deactivate_user(user: User, actor: User) -> None:
    """Stop an account at once: its logins end, and its one-time links, API tokens and calendar feed
    links (through `people.hooks`) are revoked. Nothing is deleted; reactivating gives none of them back."""
    if user.id == actor.id:
        raise ServiceError(_("You cannot deactivate your own account. Ask another administrator."))
    if not user.is_active:
        raise ServiceError(_("This account is already deactivated."))
    _keep_an_admin(user)
    user.is_active = False
    db.session.execute(sa.delete(AuthSession).where(AuthSession.user_id == user.id))
    _expire_open_links(user)
    db.session.flush()
    hooks.user_deactivated(user, actor)
    audit.record("user.deactivate", actor_id=actor.id, subject_type="user", subject_id=user.id)
    db.session.flush()


def reactivate_user(user: User, actor: User) -> None:
    if user.is_active:
        raise ServiceError(_("This account is already active."))
    user.is_active = True
    audit.record("user.reactivate", actor_id=actor.id, subject_type="user", subject_id=user.id)
    db.session.flush()


# --- invitations and password resets -------------------------------------------------------------


def create_password_link(user: User, actor: User | None) -> tuple[str, LoginLink]:
    """A one-time link with which the user sets a password: an invitation when they have none yet, a
    reset otherwise. Any earlier invitation or reset link of theirs stops working."""
    if not user.is_active:
        raise ServiceError(_("Reactivate this account first."))
    purpose = LinkPurpose.RESET if user.password_hash else LinkPurpose.INVITE
    _expire_open_links(user, PASSWORD_LINKS)
    lifetime: timedelta = current_app.config[
        "INVITATION_LINK_LIFETIME" if purpose is LinkPurpose.INVITE else "LOGIN_LINK_LIFETIME"
    ]
    token, now = new_token(), now_utc()
    link = LoginLink(
        user_id=user.id,
        token_hash=token_hash(token),
        purpose=purpose,
        created_by_id=actor.id if actor else None,
        created_dt=now,
        expires_dt=now + lifetime,
    )
    db.session.add(link)
    db.session.flush()
    audit.record(
        f"user.{purpose.value}.create",
        actor_id=actor.id if actor else None,
        subject_type="user",
        subject_id=user.id,
    )
    return token, link


def _live_link(token: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        LoginLink.token_hash == token_hash(token),
        LoginLink.used_dt.is_(None),
        LoginLink.expires_dt > now_utc(),
        LoginLink.purpose.in_(PASSWORD_LINKS),
    )


def password_link(token: str) -> LoginLink | None:
    """The live invitation or reset link for this token, without using it up (for the page's GET)."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(sa.select(LoginLink).where(_live_link(token)))
    return link if link is not None and link.user.is_active else None


def redeem_password_link(token: str, password: str) -> User:
    """Set the password with a one-time link and use the link up. A refused password leaves the link
    as it was (the refusal rolls back). The link is marked used in the UPDATE that checks it, so two
    tabs cannot both use it."""
    expired = ServiceError(_("This link has expired or was already used. Ask for a new one."))
    if not token or len(token) > 100:
        raise expired
    check_password(password)
    link_id = db.session.scalar(
        sa.update(LoginLink).where(_live_link(token)).values(used_dt=now_utc()).returning(LoginLink.id)
    )
    link = db.session.get(LoginLink, link_id) if link_id else None
    if link is None or not link.user.is_active:
        raise expired
    user = link.user
    user.password_hash = hash_secret(password)
    db.session.execute(sa.delete(AuthSession).where(AuthSession.user_id == user.id))
    audit.record(f"user.{link.purpose.value}.use", actor_id=user.id, subject_type="user", subject_id=user.id)
    db.session.flush()
    return user
