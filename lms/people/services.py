"""Writes for people: accounts and logins, learners and their sensitive data.

Services validate, change, flush and return; the caller commits once.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import phonenumbers
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from PIL import Image
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.security import check_password_hash, generate_password_hash

from lms.core import audit
from lms.core.db import UTCDateTime, rowcount
from lms.core.errors import ServiceError, ThrottledError
from lms.core.i18n import _, is_supported
from lms.core.roles import Role
from lms.core.time import now_utc
from lms.core.tokens import new_token, token_hash
from lms.extensions import db
from lms.people.inputs import LearnerInput
from lms.people.models import (
    AuthSession,
    ConvictionFlag,
    EducatorProfile,
    ImmigrationStatus,
    ImmigrationStatusRecord,
    Learner,
    LearnerSensitive,
    LinkPurpose,
    Literacy,
    LoginLink,
    LoginThrottle,
    Organisation,
    OrganisationKind,
    Sex,
    User,
    UserRole,
)
from lms.people.values import nationality_from_text

MIN_PASSWORD_LENGTH = 10
PIN_PATTERN = re.compile(r"^\d{4,8}$")
#: A BCP-47 tag as we accept it: language, optional script, optional region (fa, fa-AF, ku-Latn, ckb-IQ).
LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|\d{3}))?$")

_dummy_hashes: dict[str, str] = {}


def hash_secret(secret: str) -> str:
    return generate_password_hash(secret, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    """A real hash to check against when the account does not exist, so a wrong e-mail address
    takes as long as a wrong password and response times do not reveal who has an account."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not-a-real-password", method=method)
    return _dummy_hashes[method]


# --- normalising input ---------------------------------------------------------------------------


def normalise_email(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ServiceError(_("Enter an e-mail address like name@example.org."), field="email")


def normalise_phone(value: str | None, region: str = "GB") -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    # "Possible" rather than "valid": valid-range data lags new ranges, and Ofcom drama numbers (07700 900xxx)
    # are what trainers use in demos.
    if number is None or not phonenumbers.is_possible_number(number):
        raise ServiceError(_("Enter a phone number like 07700 900123 or +44 7700 900123."), field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_language_tags(value: str | Iterable[str] | None) -> str:
    """Space-separated BCP-47 tags in their canonical case (fa-AF, ku-Latn), duplicates removed."""
    if value is None:
        return ""
    parts = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    tags: list[str] = []
    for part in parts:
        if not LANGUAGE_TAG.match(part):
            raise ServiceError(
                _("%(tag)s is not a language code. Use codes like ar, fa-AF, ckb or ti.", tag=part),
                field="preferred_languages",
            )
        pieces = part.split("-")
        canonical = [pieces[0].lower()]
        for piece in pieces[1:]:
            canonical.append(piece.title() if len(piece) == 4 else piece.upper())
        tag = "-".join(canonical)
        if tag not in tags:
            tags.append(tag)
    return " ".join(tags)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            _("Use a password of at least %(count)d characters.", count=MIN_PASSWORD_LENGTH), field="password"
        )


def _check_pin(pin: str) -> None:
    if not PIN_PATTERN.match(pin):
        raise ServiceError(_("A PIN is 4 to 8 digits."), field="pin")


# --- organisations and users ---------------------------------------------------------------------


def create_organisation(name: str, kind: OrganisationKind, timezone: str = "Europe/London") -> Organisation:
    name = name.strip()
    if not name:
        raise ServiceError(_("Enter the organisation's name."), field="name")
    if db.session.scalar(sa.select(Organisation.id).where(Organisation.name == name)):
        raise ServiceError(_("An organisation with this name already exists."), field="name")
    organisation = Organisation(name=name, kind=kind, timezone=timezone)
    db.session.add(organisation)
    db.session.flush()
    return organisation


#: What an organisation's logo may be, as uploaded: PNG or JPEG, this many bytes and pixels a side.
LOGO_FORMATS = ("PNG", "JPEG")
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 2000


def set_logo(organisation: Organisation, data: bytes, actor: User) -> None:
    """Keep an uploaded logo for funder returns, judged by its content (never its name or stated type)
    and re-encoded as PNG, so that what is stored is pixels only: no metadata, no trailing bytes."""
    if len(data) > LOGO_MAX_BYTES:
        raise ServiceError(_("The logo must be 1 MB or smaller."), field="logo")
    png, (width, height) = _logo_as_png(data)
    organisation.logo_png = png
    audit.record(
        "organisation.logo.set",
        actor_id=actor.id,
        subject_type="organisation",
        subject_id=organisation.id,
        width=width,
        height=height,
    )
    db.session.flush()


def _logo_as_png(data: bytes) -> tuple[bytes, tuple[int, int]]:
    not_an_image = ServiceError(_("Choose a PNG or JPEG image."), field="logo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as image:
                # The size is read from the header: a huge image is refused before it is decoded.
                if max(image.size) > LOGO_MAX_SIDE:
                    raise ServiceError(
                        _("The logo must be at most %(side)d by %(side)d pixels.", side=LOGO_MAX_SIDE), field="logo"
                    )
                image.load()
                clear = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
                output = io.BytesIO()
                image.convert("RGBA" if clear else "RGB").save(output, format="PNG", optimize=True)
                return output.getvalue(), image.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise not_an_image from None


def remove_logo(organisation: Organisation, actor: User) -> None:
    if organisation.logo_png is None:
        return
    organisation.logo_png = None
    audit.record("organisation.logo.remove", actor_id=actor.id, subject_type="organisation", subject_id=organisation.id)
    db.session.flush()


def _login_contact(email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    """The normalised e-mail address and mobile number a new user logs in with: one at least, neither taken."""
    email, phone = normalise_email(email), normalise_phone(phone)
    if not email and not phone:
        raise ServiceError(_("Give an e-mail address or a mobile number to log in with."), field="email")
    if email and db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise ServiceError(_("Someone already uses this e-mail address."), field="email")
    if phone and db.session.scalar(sa.select(User.id).where(User.phone == phone)):
        raise ServiceError(_("Someone already uses this phone number."), field="phone")
    return email, phone


def create_user(
    *,
    organisation: Organisation,
    display_name: str,
    roles: Iterable[Role],
    email: str | None = None,
    phone: str | None = None,
    password: str | None = None,
    pin: str | None = None,
    locale: str | None = None,
    actor: User | None = None,
) -> User:
    display_name = display_name.strip()
    if not display_name:
        raise ServiceError(_("Enter the person's name."), field="display_name")
    roles = set(roles)
    if not roles:
        raise ServiceError(_("Choose at least one role."), field="roles")
    email, phone = _login_contact(email, phone)
    if password:
        check_password(password)
    if pin:
        _check_pin(pin)
    if locale and not is_supported(locale):
        locale = None
    user = User(
        organisation=organisation,
        display_name=display_name,
        email=email,
        phone=phone,
        password_hash=hash_secret(password) if password else None,
        pin_hash=hash_secret(pin) if pin else None,
        locale=locale,
        role_links=[UserRole(role=role) for role in sorted(roles)],
    )
    db.session.add(user)
    db.session.flush()
    if Role.EDUCATOR in roles:
        db.session.add(EducatorProfile(user_id=user.id))
    audit.record(
        "user.create",
        actor_id=actor.id if actor else None,
        subject_type="user",
        subject_id=user.id,
        roles=sorted(roles),
    )
    return user


def set_password(user: User, password: str) -> None:
    """Change the password and end every other login of this user."""
    check_password(password)
    user.password_hash = hash_secret(password)
    db.session.execute(sa.delete(AuthSession).where(AuthSession.user_id == user.id))
    audit.record("user.password.change", actor_id=user.id, subject_type="user", subject_id=user.id)


def set_locale(user: User, locale: str) -> None:
    if not is_supported(locale):
        raise ServiceError(_("This language is not available yet."), field="locale")
    user.locale = locale


# --- logging in ----------------------------------------------------------------------------------


def _throttle_keys(login_name: str, address: str | None) -> list[str]:
    """The keys a login is counted under: its account, then its client address (when known)."""
    keys = [token_hash("account:" + login_name)]
    if address:
        keys.append(token_hash("address:" + address))
    return keys


def _claim(key: str, limit: int) -> bool:
    """Count one more attempt for `key`, unless its window already holds `limit`; False if it does.

    The count is claimed before the secret is checked, in one conditional UPDATE, so the database
    decides and concurrent guesses cannot all pass a check made before any of them was counted. On
    PostgreSQL the UPDATE locks the row until the request commits, so the others wait and then see
    the new count; on SQLite, write transactions begin IMMEDIATE and run one at a time. A window runs
    out LOGIN_THROTTLE_WINDOW after its first failure; the next attempt starts a new one.
    """
    now = now_utc()
    ended = LoginThrottle.window_start_dt <= now - current_app.config["LOGIN_THROTTLE_WINDOW"]
    insert = sqlite_insert if db.session.get_bind().dialect.name == "sqlite" else postgresql_insert
    db.session.execute(
        insert(LoginThrottle).values(key_hash=key, window_start_dt=now, failures=0).on_conflict_do_nothing()
    )
    claimed = db.session.execute(
        sa.update(LoginThrottle)
        .where(LoginThrottle.key_hash == key, sa.or_(LoginThrottle.failures < limit, ended))
        .values(
            failures=sa.case((ended, 1), else_=LoginThrottle.failures + 1),
            window_start_dt=sa.case((ended, sa.literal(now, UTCDateTime)), else_=LoginThrottle.window_start_dt),
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(claimed) == 1


def _hand_back(key: str) -> None:
    """Undo this request's claim on `key`: the attempt was not a failure, or was never checked."""
    db.session.execute(
        sa.update(LoginThrottle)
        .where(LoginThrottle.key_hash == key, LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
        .execution_options(synchronize_session=False)
    )


def _claim_attempt(keys: list[str]) -> None:
    """Claim an attempt under the account key (strict limit) and the address key (looser limit), in
    that order in every request, so two requests never wait for each other's rows in a circle."""
    config = current_app.config
    limits = [config["LOGIN_THROTTLE_LIMIT"], config["LOGIN_THROTTLE_ADDRESS_LIMIT"]]
    for n, (key, limit) in enumerate(zip(keys, limits, strict=False)):
        if not _claim(key, limit):
            for claimed in keys[:n]:
                _hand_back(claimed)
            minutes = int(config["LOGIN_THROTTLE_WINDOW"].total_seconds() // 60)
            raise ThrottledError(
                _("Too many failed attempts. Wait %(minutes)d minutes and try again.", minutes=minutes)
            )


def _authenticate(login_name: str, secret: str, address: str | None, *, by_phone: bool) -> User:
    """Check a login. The attempt is counted before the secret is checked and stays counted when the
    secret is wrong; the login views keep it despite the refusal (`attempt(..., keep_on_refusal=True)`).
    A right secret clears its account's count and hands back its claim on the address, so an office
    logging in from one address never throttles itself."""
    keys = _throttle_keys(login_name, address)
    _claim_attempt(keys)
    column, hash_attr = (User.phone, "pin_hash") if by_phone else (User.email, "password_hash")
    user = db.session.scalar(sa.select(User).where(column == login_name)) if login_name else None
    stored = getattr(user, hash_attr, None) if user else None
    valid = check_password_hash(stored or _dummy_hash(), secret) and stored is not None
    if not valid or user is None or not user.is_active:
        if by_phone:
            raise ServiceError(_("That phone number and PIN do not match."))
        raise ServiceError(_("That e-mail address and password do not match."))
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key_hash == keys[0]))
    for key in keys[1:]:
        _hand_back(key)
    return user


def authenticate_password(email: str, password: str, address: str | None) -> User:
    try:
        login_name = normalise_email(email) or ""
    except ServiceError:
        login_name = email.strip().lower()
    return _authenticate(login_name, password, address, by_phone=False)


def authenticate_pin(phone: str, pin: str, address: str | None) -> User:
    try:
        login_name = normalise_phone(phone) or ""
    except ServiceError:
        login_name = phone.strip()
    return _authenticate(login_name, pin, address, by_phone=True)


def start_session(user: User) -> str:
    """Create a server-side session for `user` and return the token for the session cookie."""
    token = new_token()
    lifetime: timedelta = current_app.config["PERMANENT_SESSION_LIFETIME"]
    now = now_utc()
    db.session.add(AuthSession(user_id=user.id, token_hash=token_hash(token), expires_dt=now + lifetime))
    # Tidy this user's expired sessions while we are here, so the table does not grow forever.
    db.session.execute(sa.delete(AuthSession).where(AuthSession.user_id == user.id, AuthSession.expires_dt <= now))
    user.last_login_dt = now
    audit.record("auth.login", actor_id=user.id, subject_type="user", subject_id=user.id)
    db.session.flush()
    return token


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(sa.delete(AuthSession).where(AuthSession.token_hash == token_hash(token)))


def user_for_session(user_id: str, token: str | None) -> User | None:
    """The user of a live server-side session, or None if it ended, expired or belongs to someone else."""
    if not token or not user_id.isdigit():
        return None
    return db.session.scalar(
        sa.select(User)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.token_hash == token_hash(token),
            AuthSession.expires_dt > now_utc(),
            User.id == int(user_id),
            User.is_active.is_(True),
        )
    )


def create_login_link(user: User, created_by: User | None) -> str:
    """A one-time login token for `user`; only its hash is stored."""
    token = new_token()
    db.session.add(
        LoginLink(
            user_id=user.id,
            token_hash=token_hash(token),
            created_by_id=created_by.id if created_by else None,
            expires_dt=now_utc() + current_app.config["LOGIN_LINK_LIFETIME"],
        )
    )
    audit.record(
        "auth.link.create",
        actor_id=created_by.id if created_by else None,
        subject_type="user",
        subject_id=user.id,
    )
    db.session.flush()
    return token


def redeem_login_link(token: str) -> User:
    """Use a one-time link. Marks it used in the same UPDATE that checks it, so it works once only."""
    now = now_utc()
    link_id = db.session.scalar(
        sa.update(LoginLink)
        .where(
            LoginLink.token_hash == token_hash(token),
            LoginLink.purpose == LinkPurpose.LOGIN,
            LoginLink.used_dt.is_(None),
            LoginLink.expires_dt > now,
        )
        .values(used_dt=now)
        .returning(LoginLink.id)
    )
    link = db.session.get(LoginLink, link_id) if link_id else None
    if link is None or not link.user.is_active:
        raise ServiceError(_("This sign-in link has expired or was already used. Ask for a new one."))
    return link.user


# --- learners ------------------------------------------------------------------------------------

NAME_FIELDS = ("given_name", "family_name", "given_name_latin", "family_name_latin", "referral_source")


def _clean_names(given: dict[str, Any]) -> None:
    for key in NAME_FIELDS:
        if key in given:
            given[key] = given[key] or ""
    if "given_name" in given and not given["given_name"]:
        raise ServiceError(_("Enter the learner's given name as they write it."), field="given_name")


def _clean_contact(given: dict[str, Any]) -> None:
    if "email" in given:
        given["email"] = normalise_email(given["email"])
    if "phone" in given:
        given["phone"] = normalise_phone(given["phone"])
    if "preferred_languages" in given:
        given["preferred_languages"] = normalise_language_tags(given["preferred_languages"])


def _clean_nationality(text: str | None) -> str:
    """An ISO 3166 code, from the code itself or a country's name or nationality ("Iraqi")."""
    return nationality_from_text(text or "")


def _check_date_of_birth(dob: date | None) -> None:
    if dob is None:
        return
    if dob > now_utc().date():
        raise ServiceError(_("The date of birth cannot be in the future."), field="date_of_birth")
    if dob.year < 1900:
        raise ServiceError(_("Check the date of birth: the year looks wrong."), field="date_of_birth")


def _clean_learner_data(data: LearnerInput) -> dict[str, Any]:
    """The fields given, checked and normalised, ready to set on a learner."""
    given = data.given()
    _clean_names(given)
    _clean_contact(given)
    if "nationality" in given:
        given["nationality"] = _clean_nationality(given["nationality"])
    _check_date_of_birth(given.get("date_of_birth"))
    if "sex" in given:
        given["sex"] = given["sex"] or Sex.NOT_SAID
    if "first_language_literacy" in given:
        given["first_language_literacy"] = given["first_language_literacy"] or Literacy.UNKNOWN
    if "childcare_needs" in given:
        given["childcare_needs"] = given["childcare_needs"] or ""
    return given


def check_learner_data(data: LearnerInput) -> dict[str, Any]:
    """The learner's details as they would be saved, or the refusal saving them would give: for a
    preview (the import's) that must say what saving will do without saving anything."""
    return _clean_learner_data(data)


def create_learner(organisation: Organisation, data: LearnerInput, actor: User | None) -> Learner:
    learner = Learner(organisation=organisation, **_clean_learner_data(data))
    db.session.add(learner)
    db.session.flush()
    audit.record("learner.create", actor_id=actor.id if actor else None, subject_type="learner", subject_id=learner.id)
    return learner


def update_learner(learner: Learner, data: LearnerInput, actor: User) -> Learner:
    cleaned = _clean_learner_data(data)
    changed = sorted(key for key, value in cleaned.items() if getattr(learner, key) != value)
    for key in changed:
        setattr(learner, key, cleaned[key])
    if changed:
        audit.record("learner.update", actor_id=actor.id, subject_type="learner", subject_id=learner.id, fields=changed)
    db.session.flush()
    return learner


def update_sensitive(
    learner: Learner,
    *,
    health_and_access_needs: str,
    relevant_unspent_conviction: ConvictionFlag | str,
    safeguarding_notes: str,
    actor: User,
) -> LearnerSensitive:
    if learner.sensitive is None:
        learner.sensitive = LearnerSensitive()  # set from the learner's side so the session cascade adds it
    sensitive = learner.sensitive
    values = {
        "health_and_access_needs": (health_and_access_needs or "").strip(),
        "relevant_unspent_conviction": ConvictionFlag(relevant_unspent_conviction),
        "safeguarding_notes": (safeguarding_notes or "").strip(),
    }
    changed = sorted(key for key, value in values.items() if getattr(sensitive, key) != value)
    for key in changed:
        setattr(sensitive, key, values[key])
    sensitive.updated_by_id = actor.id
    db.session.add(sensitive)
    # The audit trail names the fields that changed, never their values.
    audit.record(
        "learner.sensitive.update",
        actor_id=actor.id,
        subject_type="learner",
        subject_id=learner.id,
        fields=changed,
    )
    db.session.flush()
    return sensitive


def add_immigration_status(
    learner: Learner,
    *,
    status: ImmigrationStatus | str,
    from_date: date | None,
    until_date: date | None,
    note: str,
    actor: User | None,
) -> ImmigrationStatusRecord:
    if from_date is None:
        raise ServiceError(_("Enter the date this status began."), field="from_date")
    if from_date > now_utc().date():
        raise ServiceError(_("The start date cannot be in the future."), field="from_date")
    if until_date is not None and until_date < from_date:
        raise ServiceError(_("The end date must be on or after the start date."), field="until_date")
    record = ImmigrationStatusRecord(
        learner=learner,
        status=ImmigrationStatus(status),
        from_date=from_date,
        until_date=until_date,
        note=(note or "").strip(),
        recorded_by_id=actor.id if actor else None,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        "learner.immigration.add",
        actor_id=actor.id if actor else None,
        subject_type="learner",
        subject_id=learner.id,
    )
    return record


def record_sensitive_view(learner: Learner, actor: User) -> None:
    audit.record("learner.sensitive.view", actor_id=actor.id, subject_type="learner", subject_id=learner.id)


def create_learner_login(learner: Learner, pin: str, actor: User) -> User:
    """A learner account that logs in with the learner's mobile number and a PIN."""
    if learner.user_id is not None:
        raise ServiceError(_("This learner can already log in."))
    if not learner.phone and not learner.email:
        raise ServiceError(_("Add the learner's mobile number first."), field="phone")
    user = create_user(
        organisation=learner.organisation,
        display_name=learner.full_name,
        roles=[Role.LEARNER],
        phone=learner.phone,
        email=learner.email,
        pin=pin,
        locale=next((tag.split("-")[0] for tag in learner.language_tags if is_supported(tag.split("-")[0])), None),
        actor=actor,
    )
    learner.user = user
    db.session.flush()
    return user
