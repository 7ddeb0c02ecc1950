"""Importing learners from a CSV or Excel file, in three steps: upload, choose columns, preview and save.

The upload is parsed once and kept server-side (`ImportUpload`) under a random token that only the
uploader's session holds, so no learner's details go in a URL, a hidden field or a log, and it
expires after `UPLOAD_LIFETIME`. The preview checks every row exactly as the save will, and the save
is all or nothing: one wrong row and nothing is imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from lms.core import audit
from lms.core.cleaning import CONTROL_CHARACTERS, control_character_message
from lms.core.errors import ServiceError
from lms.core.i18n import _, _l, territory_name
from lms.core.spreadsheets import read_table
from lms.core.time import now_utc
from lms.core.tokens import new_token, token_hash
from lms.extensions import db
from lms.people import services as people_services
from lms.people.inputs import LearnerInput
from lms.people.models import ImportUpload, Learner, Organisation, User
from lms.people.values import languages_from_text, nationality_from_text, sex_from_text

#: The learner fields a file may fill, with their titles on the page.
IMPORT_FIELDS = {
    "given_name": _l("Given name (as they write it)"),
    "family_name": _l("Family name (as they write it)"),
    "given_name_latin": _l("Given name in Latin letters"),
    "family_name_latin": _l("Family name in Latin letters"),
    "date_of_birth": _l("Date of birth"),
    "sex": _l("Sex"),
    "nationality": _l("Nationality"),
    "phone": _l("Mobile number"),
    "email": _l("E-mail address"),
    "preferred_languages": _l("Preferred languages"),
    "interpreter_needed": _l("Needs an interpreter"),
    "referral_source": _l("Referred by"),
}
IMPORT_COLUMNS = tuple(IMPORT_FIELDS)
#: Other headings partners' files use for a field, compared ignoring case, spaces and punctuation.
HEADER_ALIASES = {
    "given_name": ("first name", "forename", "given name", "name"),
    "family_name": ("surname", "last name", "family name"),
    "given_name_latin": ("first name latin", "given name latin", "first name english"),
    "family_name_latin": ("surname latin", "last name latin", "family name latin", "surname english"),
    "date_of_birth": ("dob", "date of birth", "birth date", "birthday"),
    "sex": ("gender",),
    "nationality": ("country", "country of origin", "citizenship"),
    "phone": ("mobile", "telephone", "phone number", "mobile number", "tel"),
    "email": ("e-mail", "email address", "e-mail address"),
    "preferred_languages": ("languages", "language", "first language", "preferred language"),
    "interpreter_needed": ("interpreter", "needs interpreter", "needs an interpreter"),
    "referral_source": ("referred by", "referrer", "referral", "referral agency"),
}
EXAMPLE_ROW = (
    "زينب",
    "حسين",
    "Zainab",
    "Hussein",
    "14/03/1988",
    "F",
    "Iraqi",
    "07700 900123",
    "",
    "Arabic, English",
    "yes",
    "Refugee Council",
)
MAX_IMPORT_ROWS = 2000
MAX_COLUMNS = 50
UPLOAD_LIFETIME = timedelta(hours=1)
YES = ("yes", "y", "true", "1", "x")
NO = ("", "no", "n", "false", "0")
DATE_PATTERNS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")


def _header_key(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


def guess_mapping(headers: list[str]) -> list[str]:
    """For each column, the field its heading names (by field name, title or a usual alias), or ""."""
    names: dict[str, str] = {}
    for name, title in IMPORT_FIELDS.items():
        for text in (name, str(title), *HEADER_ALIASES.get(name, ())):
            names.setdefault(_header_key(text), name)
    mapping, taken = [], set()
    for header in headers:
        name = names.get(_header_key(header), "")
        mapping.append("" if name in taken else name)
        taken.add(name)
    return mapping


# --- the upload, kept between steps --------------------------------------------------------------


def store_upload(raw: bytes, filename: str, actor: User) -> str:
    """Parse the file and keep it for the next steps; gives the token for the uploader's session."""
    db.session.execute(sa.delete(ImportUpload).where(ImportUpload.expires_dt < now_utc()))
    db.session.execute(sa.delete(ImportUpload).where(ImportUpload.user_id == actor.id))  # one at a time
    table = [row[:MAX_COLUMNS] for row in read_table(raw, MAX_IMPORT_ROWS)]
    for number, row in enumerate(table, start=1):
        if any(CONTROL_CHARACTERS.search(cell) for cell in row):  # PostgreSQL cannot store them
            raise ServiceError(_("Row %(row)d: %(message)s", row=number, message=control_character_message()))
    if not table or not any(table[0]):
        raise ServiceError(_("The file is empty. Its first row must name the columns."))
    headers = [cell or _("Column %(number)d", number=index + 1) for index, cell in enumerate(table[0])]
    rows = [[number, row] for number, row in enumerate(table[1:], start=2) if any(row)]
    if not rows:
        raise ServiceError(_("The file has no learners in it: only the row of column names."))
    token = new_token()
    db.session.add(
        ImportUpload(
            user_id=actor.id,
            token_hash=token_hash(token),
            filename=filename[:200],
            headers=headers,
            rows=rows,
            expires_dt=now_utc() + UPLOAD_LIFETIME,
        )
    )
    db.session.flush()
    return token


def load_upload(token: str | None, actor: User) -> ImportUpload | None:
    """The actor's upload under this token, if it has not expired."""
    if not token:
        return None
    return db.session.scalar(
        sa.select(ImportUpload).where(
            ImportUpload.token_hash == token_hash(token),
            ImportUpload.user_id == actor.id,
            ImportUpload.expires_dt >= now_utc(),
        )
    )


def choose_columns(upload: ImportUpload, mapping: list[str]) -> None:
    """Which field each column fills: given_name is needed, and no field is filled twice."""
    if len(mapping) != len(upload.headers) or any(name and name not in IMPORT_FIELDS for name in mapping):
        raise ServiceError(_("Choose a field from the list for each column."))
    if "given_name" not in mapping:
        raise ServiceError(_("Choose the column that holds the given name."))
    twice = sorted({str(IMPORT_FIELDS[name]) for name in mapping if name and mapping.count(name) > 1})
    if twice:
        raise ServiceError(_("Each field can come from one column only: %(fields)s.", fields=", ".join(twice)))
    upload.mapping = list(mapping)
    db.session.flush()


def discard_upload(upload: ImportUpload) -> None:
    db.session.delete(upload)
    db.session.flush()


# --- checking rows -------------------------------------------------------------------------------


@dataclass
class RowResult:
    number: int
    values: dict[str, str]
    #: field name -> message; empty when the row can be imported
    errors: dict[str, str] = field(default_factory=dict)
    learner_input: LearnerInput | None = None
    #: What each column was read as (a `Sex`, a country code, a date...), shown beside what was written.
    read: dict[str, Any] = field(default_factory=dict)
    #: The learner's details as they will be saved (phone and e-mail normalised), once the row is right.
    cleaned: dict[str, Any] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.values.get("given_name"), self.values.get("family_name")) if part)

    @property
    def full_name_latin(self) -> str:
        parts = (self.values.get("given_name_latin"), self.values.get("family_name_latin"))
        return " ".join(part for part in parts if part)

    def shown(self, name: str) -> str:
        """A column's value as it will be saved, or as written when it could not be read."""
        text = self.values.get(name, "")
        if name in self.errors or name not in self.read:
            return text
        value = self.read[name]
        if name == "nationality":
            return f"{territory_name(value)} ({value})" if value else ""
        if name == "sex":
            return str(value.title)
        if name == "interpreter_needed":
            return _("yes") if value else _("no")
        if name == "date_of_birth":
            return value.strftime("%d/%m/%Y") if value else ""
        return "" if value is None else str(value)


@dataclass
class Preview:
    rows: list[RowResult]

    @property
    def errors(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def ready(self) -> int:
        return len(self.rows) - len(self.errors)


def _parse_date(text: str) -> date | None:
    if not text:
        return None
    for pattern in DATE_PATTERNS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise ServiceError(_("Write dates as 2026-03-31 or 31/03/2026."), field="date_of_birth")


def _parse_yes_no(text: str) -> bool:
    key = text.casefold()
    if key in YES or key == _("yes").casefold():
        return True
    if key in NO or key == _("no").casefold():
        return False
    raise ServiceError(_("Write yes or no."), field="interpreter_needed")


#: How a column's text becomes what the learner's input takes.
READERS: dict[str, Any] = {
    "date_of_birth": _parse_date,
    "sex": sex_from_text,
    "nationality": nationality_from_text,
    "preferred_languages": languages_from_text,
    "interpreter_needed": _parse_yes_no,
    # Checked here too, so that a row shows every wrong column at once, not only the first.
    "phone": people_services.normalise_phone,
    "email": people_services.normalise_email,
}


def _row_values(upload: ImportUpload, cells: list[str]) -> dict[str, str]:
    mapping = upload.mapping or []
    return {name: (cells[index] if index < len(cells) else "") for index, name in enumerate(mapping) if name}


def _check_row(number: int, values: dict[str, str]) -> RowResult:
    result = RowResult(number, values)
    data: dict[str, Any] = {}
    for name, text in values.items():
        try:
            data[name] = READERS[name](text) if name in READERS else text
            result.read[name] = data[name]
        except ServiceError as error:
            result.errors[name] = error.message
    if result.errors:
        return result
    try:
        learner_input = LearnerInput.model_validate(data)
        result.cleaned = people_services.check_learner_data(learner_input)
        result.learner_input = learner_input
    except ServiceError as error:
        result.errors[error.field if error.field in values else "given_name"] = error.message
    return result


@dataclass
class _Known:
    """Who is already there, to find duplicates: by phone, by e-mail, and by name with date of birth."""

    phones: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    people: dict[tuple[str, str, date], str] = field(default_factory=dict)

    @staticmethod
    def person(given: str, family: str, born: date | None) -> tuple[str, str, date] | None:
        return (given.casefold(), family.casefold(), born) if born else None


def _known_learners(organisation: Organisation) -> _Known:
    known = _Known()
    rows = db.session.execute(
        sa.select(Learner.phone, Learner.email, Learner.given_name, Learner.family_name, Learner.date_of_birth).where(
            Learner.organisation_id == organisation.id, Learner.anonymised_dt.is_(None)
        )
    )
    for phone, email, given, family, born in rows:
        if phone:
            known.phones[phone] = _("A learner with this phone number already exists.")
        if email:
            known.emails[email] = _("A learner with this e-mail address already exists.")
        person = _Known.person(given, family, born)
        if person:
            known.people[person] = _("A learner with this name and date of birth already exists.")
    return known


def _check_duplicates(result: RowResult, known: _Known) -> None:
    """Refuse a row that repeats a learner already there, or an earlier row; then remember this one."""
    cleaned = result.cleaned
    if result.learner_input is None:
        return
    phone, email = cleaned.get("phone"), cleaned.get("email")
    person = _Known.person(cleaned.get("given_name", ""), cleaned.get("family_name", ""), cleaned.get("date_of_birth"))
    for column, key, seen in (("phone", phone, known.phones), ("email", email, known.emails)):
        if key and key in seen:
            result.errors[column] = seen[key]
    if person and person in known.people:
        result.errors.setdefault("given_name", known.people[person])
    number = result.number
    if phone:
        known.phones.setdefault(phone, _("Row %(row)d has the same phone number.", row=number))
    if email:
        known.emails.setdefault(email, _("Row %(row)d has the same e-mail address.", row=number))
    if person:
        known.people.setdefault(person, _("Row %(row)d has the same name and date of birth.", row=number))


def preview(organisation: Organisation, upload: ImportUpload) -> Preview:
    """What saving would do with every row: the learner it would create, or what is wrong, by column."""
    known = _known_learners(organisation)
    results = []
    for number, cells in upload.rows:
        result = _check_row(number, _row_values(upload, cells))
        _check_duplicates(result, known)
        results.append(result)
    return Preview(results)


def import_learners(organisation: Organisation, upload: ImportUpload, actor: User) -> list[Learner]:
    """All or nothing: every row is checked first; if any is wrong, nothing is created."""
    checked = preview(organisation, upload)
    if checked.errors:
        raise ServiceError(
            _(
                "Nothing was imported: %(count)d rows have problems. Fix them and upload the file again.",
                count=len(checked.errors),
            )
        )
    created = []
    for row in checked.rows:
        assert row.learner_input is not None  # a row without errors has its input
        created.append(people_services.create_learner(organisation, row.learner_input, actor))
    audit.record(
        "learner.import", actor_id=actor.id, subject_type="organisation", subject_id=organisation.id, count=len(created)
    )
    discard_upload(upload)
    return created
