"""Organisations, users and their roles, learner and educator profiles, and sensitive learner data."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import LimitedText, UTCDateTime, enum_type
from lms.core.enums import TitledEnum
from lms.core.i18n import _l
from lms.core.roles import Role
from lms.core.time import DEFAULT_TZ_NAME, now_utc
from lms.extensions import Model


class OrganisationKind(TitledEnum):
    PROVIDER = "provider"
    PARTNER = "partner"
    FUNDER = "funder"
    EMPLOYER = "employer"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.PROVIDER: _l("Provider"),
            cls.PARTNER: _l("Partner agency"),
            cls.FUNDER: _l("Funder"),
            cls.EMPLOYER: _l("Employer"),
        }


#: Whose bank holidays an organisation (or a venue) keeps, by the `holidays` package's subdivision codes.
#: Wales has England's bank holidays, so one choice covers both.
HOLIDAY_REGION_TITLES = {
    "ENG": _l("England and Wales"),
    "SCT": _l("Scotland"),
    "NIR": _l("Northern Ireland"),
}


class Organisation(Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_type(OrganisationKind, "organisation_kind"))
    #: IANA zone that the organisation's wall-clock times are in.
    timezone: Mapped[str] = mapped_column(sa.String(64), default=DEFAULT_TZ_NAME)
    #: Whose bank holidays apply (a key of HOLIDAY_REGION_TITLES); a venue may have its own (Venue.holiday_region).
    holiday_region: Mapped[str] = mapped_column(sa.String(3), default="ENG", server_default="ENG")
    #: Printed on certificates and shown in settings; several lines.
    address: Mapped[str] = mapped_column(LimitedText(1000), default="", server_default="")
    #: The interface language for its users who chose none; None: the browser's language.
    default_locale: Mapped[str | None] = mapped_column(sa.String(16))
    #: Who signs the certificates it issues, printed on each (kept on the certificate as issued).
    signatory_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    signatory_title: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    #: Whether the educators who teach a cohort may issue its certificates (otherwise coordinators only).
    educators_issue_certificates: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_active: Mapped[bool] = mapped_column(default=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: The logo printed on funder returns: a PNG re-encoded by `people.services.set_logo`. Deferred, so
    #: that loading an organisation (every request loads the user's) does not load the image.
    logo_png: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class UserRole(Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"), primary_key=True)


class User(Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    #: Stored lower-cased. Optional: many learners have no e-mail address.
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    #: E.164 form (+447700900123), the learner's login name when they have no e-mail.
    phone: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    pin_hash: Mapped[str | None] = mapped_column(sa.String(255))
    #: The interface language the user chose (a supported locale code).
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_login_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    role_links: Mapped[list[UserRole]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=UserRole.role
    )
    #: The learner record this login belongs to, for learners.
    learner: Mapped[Learner | None] = relationship(back_populates="user", foreign_keys="Learner.user_id")
    #: The educator's profile, for educators.
    educator_profile: Mapped[EducatorProfile | None] = relationship(back_populates="user")

    __table_args__ = (sa.CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="has_login_name"),)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(link.role for link in self.role_links)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class AuthSession(Model):
    """A server-side login. Logout deletes it, so a copied session cookie stops working at once."""

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the random token kept in the signed session cookie.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginThrottle(Model):
    """Failed logins for one account or one client address in its current window, for throttling.

    One row per key, counted by a conditional UPDATE (`people.services._claim`): each login claims one
    attempt before its secret is checked, and a right secret hands its claim back. The UPDATE locks the
    row, so concurrent guesses queue on it and can never pass the limit together.
    """

    __tablename__ = "login_throttle"

    #: SHA-256 of "account:<login name>" or "address:<ip>", so no e-mail, phone or address sits in this table.
    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: When the window began: at the first failure after the previous window ran out.
    window_start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Failed attempts in the window (and attempts being checked right now).
    failures: Mapped[int] = mapped_column(default=0)


class LinkPurpose(TitledEnum):
    """What a one-time link is for: signing a learner in, or letting staff set a password."""

    LOGIN = "login"
    INVITE = "invite"
    RESET = "reset"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.LOGIN: _l("Sign-in link"),
            cls.INVITE: _l("Invitation"),
            cls.RESET: _l("Password reset"),
        }


class LoginLink(Model):
    """A one-time link: a learner signs in with no password (sent by SMS or shown by staff), or someone
    invited or locked out sets a password (`purpose`). Only the token's hash is kept."""

    __tablename__ = "login_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    purpose: Mapped[LinkPurpose] = mapped_column(
        enum_type(LinkPurpose, "link_purpose", length=8), default=LinkPurpose.LOGIN, server_default="login"
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


def both_names(name: str, latin: str) -> str:
    """`name` and, when it differs, `latin` as plain text, the name isolated: "\u2068NAME\u2069 (LATIN)"."""
    if not latin or latin == name:
        return f"\u2068{name}\u2069"
    return f"\u2068{name}\u2069 ({latin})"


class ImportUpload(Model):
    """A file of learners being imported, parsed, between the upload, the column mapping and the save.

    Kept here rather than in the page (a hidden field) or the URL, so no learner's details travel in
    links or logs and a large file is not posted back at every step. The uploader's session holds the
    random token; only its hash is stored. It lasts `LIFETIME` and is deleted when saved or cancelled;
    expired ones are deleted at the next upload by anyone.
    """

    __tablename__ = "import_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    #: The first row of the file, as the file names its columns.
    headers: Mapped[list[str]] = mapped_column(sa.JSON)
    #: Every other row as text: [row number in the file, [cell, ...]].
    rows: Mapped[list[Any]] = mapped_column(sa.JSON)
    #: For each column, the learner field it fills ("" for none); None until the columns are chosen.
    mapping: Mapped[list[str] | None] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SetupToken(Model):
    """The one-time code `lms init` prints for the setup page of an empty database. Only its hash is kept;
    it works once, until `expires_dt`, and only while no organisation exists."""

    __tablename__ = "setup_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Sex(TitledEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    NOT_SAID = "not_said"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.FEMALE: _l("Female"),
            cls.MALE: _l("Male"),
            cls.OTHER: _l("Other"),
            cls.NOT_SAID: _l("Prefer not to say"),
        }


class Literacy(TitledEnum):
    NONE = "none"
    BASIC = "basic"
    CONFIDENT = "confident"
    UNKNOWN = "unknown"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.NONE: _l("Does not read or write it"),
            cls.BASIC: _l("Reads and writes a little"),
            cls.CONFIDENT: _l("Reads and writes confidently"),
            cls.UNKNOWN: _l("Not known"),
        }


class Learner(Model):
    __tablename__ = "learner"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    #: The learner's own login, if they have one; many records start from a referral without one.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), unique=True)
    #: Names as the person writes them, in any script.
    given_name: Mapped[str] = mapped_column(sa.String(100))
    family_name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: Latin-script form for staff, registers and systems that cannot take other scripts.
    given_name_latin: Mapped[str] = mapped_column(sa.String(100), default="")
    family_name_latin: Mapped[str] = mapped_column(sa.String(100), default="")
    date_of_birth: Mapped[date | None]
    sex: Mapped[Sex] = mapped_column(enum_type(Sex, "sex"), default=Sex.NOT_SAID)
    #: ISO 3166-1 alpha-2 code, or empty when not known.
    nationality: Mapped[str] = mapped_column(sa.String(2), default="")
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: Space-separated BCP-47 tags, most preferred first (e.g. "fa-AF ps en").
    preferred_languages: Mapped[str] = mapped_column(sa.String(200), default="")
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    first_language_literacy: Mapped[Literacy] = mapped_column(enum_type(Literacy, "literacy"), default=Literacy.UNKNOWN)
    childcare_needs: Mapped[str] = mapped_column(LimitedText(2000), default="")
    referral_source: Mapped[str] = mapped_column(sa.String(200), default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    #: Set when the retention period passed and everything identifying was removed.
    anonymised_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User | None] = relationship(back_populates="learner", foreign_keys=[user_id])
    sensitive: Mapped[LearnerSensitive | None] = relationship(
        back_populates="learner", cascade="all, delete-orphan", uselist=False
    )
    immigration_history: Mapped[list[ImmigrationStatusRecord]] = relationship(
        back_populates="learner",
        cascade="all, delete-orphan",
        order_by=lambda: ImmigrationStatusRecord.from_date.desc(),
    )

    __table_args__ = (sa.Index("ix_learner_organisation_id_family_name", "organisation_id", "family_name_latin"),)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    @property
    def full_name_latin(self) -> str:
        return " ".join(part for part in (self.given_name_latin, self.family_name_latin) if part)

    @property
    def both_names(self) -> str:
        """The name as written and, when it differs, in Latin letters, for plain text (a select's option,
        a message): each part isolated (U+2068 ... U+2069) so a right-to-left name keeps its order."""
        return both_names(self.full_name, self.full_name_latin)

    @property
    def language_tags(self) -> list[str]:
        return self.preferred_languages.split()

    def __repr__(self) -> str:
        return f"<Learner {self.id}>"


class ConvictionFlag(TitledEnum):
    """Criminal offence data kept minimal: only whether a relevant unspent conviction exists."""

    UNKNOWN = "unknown"
    NO = "no"
    YES = "yes"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.UNKNOWN: _l("Not recorded"),
            cls.NO: _l("No"),
            cls.YES: _l("Yes"),
        }


class LearnerSensitive(Model):
    """Special category, criminal offence and high-risk data, readable only by those who need it."""

    __tablename__ = "learner_sensitive"

    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), primary_key=True)
    #: Special category: health conditions and access needs.
    health_and_access_needs: Mapped[str] = mapped_column(LimitedText(4000), default="")
    #: Criminal offence data: "unspent conviction relevant to placements", nothing more.
    relevant_unspent_conviction: Mapped[ConvictionFlag] = mapped_column(
        enum_type(ConvictionFlag, "conviction_flag"), default=ConvictionFlag.UNKNOWN
    )
    #: High risk: safeguarding notes.
    safeguarding_notes: Mapped[str] = mapped_column(LimitedText(4000), default="")
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    learner: Mapped[Learner] = relationship(back_populates="sensitive")


class ImmigrationStatus(TitledEnum):
    ASYLUM_SEEKER = "asylum_seeker"
    REFUGEE = "refugee"
    HUMANITARIAN_PROTECTION = "humanitarian_protection"
    RESETTLEMENT = "resettlement"
    UKRAINE_SCHEME = "ukraine_scheme"
    HONG_KONG_BNO = "hong_kong_bno"
    EU_SETTLED = "eu_settled"
    EU_PRE_SETTLED = "eu_pre_settled"
    OTHER_LEAVE = "other_leave"
    CITIZEN = "citizen"
    UNKNOWN = "unknown"

    @classmethod
    def _titles(cls) -> dict:
        return _IMMIGRATION_TITLES


_IMMIGRATION_TITLES = {
    ImmigrationStatus.ASYLUM_SEEKER: _l("Asylum seeker (claim pending)"),
    ImmigrationStatus.REFUGEE: _l("Refugee status"),
    ImmigrationStatus.HUMANITARIAN_PROTECTION: _l("Humanitarian protection"),
    ImmigrationStatus.RESETTLEMENT: _l("Resettlement scheme"),
    ImmigrationStatus.UKRAINE_SCHEME: _l("Ukraine scheme"),
    ImmigrationStatus.HONG_KONG_BNO: _l("Hong Kong BN(O) visa"),
    ImmigrationStatus.EU_SETTLED: _l("EU settled status"),
    ImmigrationStatus.EU_PRE_SETTLED: _l("EU pre-settled status"),
    ImmigrationStatus.OTHER_LEAVE: _l("Other leave to remain"),
    ImmigrationStatus.CITIZEN: _l("British or Irish citizen"),
    ImmigrationStatus.UNKNOWN: _l("Not known"),
}


class ImmigrationStatusRecord(Model):
    """One dated entry in a learner's immigration status history (high-risk data)."""

    __tablename__ = "immigration_status_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id", ondelete="CASCADE"), index=True)
    status: Mapped[ImmigrationStatus] = mapped_column(enum_type(ImmigrationStatus, "immigration_status"))
    #: When this status began: the asylum claim date, or the start of leave.
    from_date: Mapped[date]
    #: When leave expires, if it does.
    until_date: Mapped[date | None]
    note: Mapped[str] = mapped_column(LimitedText(2000), default="")
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    learner: Mapped[Learner] = relationship(back_populates="immigration_history")

    __table_args__ = (sa.CheckConstraint("until_date IS NULL OR until_date >= from_date", name="dates_in_order"),)


class DbsLevel(TitledEnum):
    """The levels of check the Disclosure and Barring Service issues, lowest first."""

    BASIC = "basic"
    STANDARD = "standard"
    ENHANCED = "enhanced"
    ENHANCED_BARRED = "enhanced_barred"

    @property
    def rank(self) -> int:
        return list(DbsLevel).index(self)

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.BASIC: _l("Basic"),
            cls.STANDARD: _l("Standard"),
            cls.ENHANCED: _l("Enhanced"),
            cls.ENHANCED_BARRED: _l("Enhanced with barred lists"),
        }


class EducatorProfile(Model):
    """What an educator can do and may be trusted with: DBS check, languages, subjects, volunteering."""

    __tablename__ = "educator_profile"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    #: Space-separated BCP-47 tags of the languages the educator can teach or support in.
    languages: Mapped[str] = mapped_column(sa.String(200), default="")
    qualifications: Mapped[str] = mapped_column(LimitedText(2000), default="")
    #: Other skills in the educator's words ("first aid, cooking"); matching uses `subjects` and `esol_levels`.
    skills: Mapped[str] = mapped_column(LimitedText(2000), default="", server_default="")
    is_volunteer: Mapped[bool] = mapped_column(default=False)
    #: The kinds of course she may teach (`lms.core.subjects.CourseKind` values); empty: not recorded.
    subjects: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: The sectors of sector-specific courses she may teach (`Sector` values); empty: any.
    sectors: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: The ESOL levels she may teach (`EsolLevel` values); empty: not recorded.
    esol_levels: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    dbs_level: Mapped[DbsLevel | None] = mapped_column(enum_type(DbsLevel, "dbs_level", length=16))
    #: The DBS certificate's 12-digit number. Shown only on the profile, to coordinators and the
    #: educator herself; never in lists, feeds, exports, logs, URLs or the audit trail.
    dbs_certificate_number: Mapped[str | None] = mapped_column(sa.String(12))
    dbs_issue_date: Mapped[date | None]
    #: The certificate is on the DBS Update Service, so its status can be checked online at any time.
    dbs_update_service: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: When the organisation rechecks: entered, or the issue date plus DBS_RECHECK_MONTHS.
    dbs_recheck_date: Mapped[date | None] = mapped_column(index=True)

    user: Mapped[User] = relationship(back_populates="educator_profile")

    __table_args__ = (
        sa.CheckConstraint(
            "dbs_recheck_date IS NULL OR dbs_issue_date IS NULL OR dbs_recheck_date > dbs_issue_date",
            name="dbs_dates_in_order",
        ),
    )

    def dbs_state(self, today: date, warn_days: int = 60) -> str:
        """ "missing", "overdue" (recheck date passed), "due" (within `warn_days`) or "current"."""
        if self.dbs_issue_date is None:
            return "missing"
        if self.dbs_recheck_date is None:
            return "current"
        days = (self.dbs_recheck_date - today).days
        return "overdue" if days < 0 else "due" if days <= warn_days else "current"

    def dbs_current_on(self, first_day: date, last_day: date) -> bool:
        """Issued by `first_day` and not due for a recheck before `last_day`."""
        return (
            self.dbs_issue_date is not None
            and self.dbs_issue_date <= first_day
            and (self.dbs_recheck_date is None or self.dbs_recheck_date >= last_day)
        )


class VolunteerHours(Model):
    """Hours an educator gave that no session shows (preparation, a trip, an event), recorded by a
    coordinator; with the hours of the sessions she taught they make the volunteer hours charities report."""

    __tablename__ = "volunteer_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    work_date: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(4, 2))
    note: Mapped[str] = mapped_column(LimitedText(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        sa.CheckConstraint("hours > 0 AND hours <= 24", name="hours_in_a_day"),
        sa.Index("ix_volunteer_hours_user_date", "user_id", "work_date"),
    )
