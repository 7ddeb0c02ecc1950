"""Importing learners from a CSV file: every row checked, all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from lms.core.cleaning import CONTROL_CHARACTERS, control_character_message
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.extensions import db
from lms.people import services as people_services
from lms.people.inputs import LearnerInput
from lms.people.models import Learner, Organisation, User

IMPORT_COLUMNS = (
    "given_name",
    "family_name",
    "given_name_latin",
    "family_name_latin",
    "date_of_birth",
    "sex",
    "nationality",
    "phone",
    "email",
    "preferred_languages",
    "interpreter_needed",
    "referral_source",
)
MAX_IMPORT_ROWS = 2000


@dataclass
class ImportResult:
    created: list[Learner] = field(default_factory=list)
    #: (line number in the file, message)
    errors: list[tuple[int, str]] = field(default_factory=list)


def _parse_date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise ServiceError(_("Write dates as 2026-03-31 or 31/03/2026."), field="date_of_birth")


def _existing_contacts(organisation: Organisation) -> tuple[set[str | None], set[str | None]]:
    """The phone numbers and e-mail addresses of the organisation's learners, to refuse duplicates."""
    phones = set(
        db.session.scalars(
            sa.select(Learner.phone).where(Learner.organisation_id == organisation.id, Learner.phone.is_not(None))
        )
    )
    emails = set(
        db.session.scalars(
            sa.select(Learner.email).where(Learner.organisation_id == organisation.id, Learner.email.is_not(None))
        )
    )
    return phones, emails


def _import_row(organisation: Organisation, row: dict[str | None, str | None], actor: User) -> Learner:
    """One line of the file as a learner, in a savepoint of its own so a refused line leaves nothing."""
    texts = {key.strip(): (value or "").strip() for key, value in row.items() if key}
    data: dict[str, object] = {
        **texts,
        "date_of_birth": _parse_date(texts.get("date_of_birth", "")),
        "interpreter_needed": texts.get("interpreter_needed", "").lower() in ("yes", "y", "true", "1"),
    }
    try:
        learner_input = LearnerInput.model_validate(data)
    except ServiceError as error:  # a value the input refuses: say which column, as the file names it
        if not error.field:
            raise
        raise ServiceError(_("The %(column)s column: %(message)s", column=error.field, message=error.message))
    with db.session.begin_nested():
        return people_services.create_learner(organisation, learner_input, actor)


def _column_problem(fieldnames: Sequence[str] | None) -> str | None:
    """What is wrong with the first line, if anything."""
    names = [name.strip() for name in fieldnames or []]
    if "given_name" not in names:
        return _("The first line must name the columns, including given_name.")
    unknown = sorted(set(names) - set(IMPORT_COLUMNS))
    if unknown:
        return _("Unknown columns: %(columns)s.", columns=", ".join(unknown))
    return None


def _check_not_known(learner: Learner, phones: set[str | None], emails: set[str | None]) -> None:
    if learner.phone and learner.phone in phones:
        raise ServiceError(_("A learner with this phone number already exists."))
    if learner.email and learner.email in emails:
        raise ServiceError(_("A learner with this e-mail address already exists."))


def import_learners(organisation: Organisation, content: str, actor: User) -> ImportResult:
    """All or nothing: every row is checked; if any row is wrong, nothing is imported."""
    result = ImportResult()
    hidden = CONTROL_CHARACTERS.search(content)
    if hidden is not None:  # PostgreSQL cannot store them: refuse the file, naming the line
        result.errors.append((content[: hidden.start()].count("\n") + 1, control_character_message()))
        return result
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    problem = _column_problem(reader.fieldnames)
    if problem:
        result.errors.append((1, problem))
        return result
    existing_phones, existing_emails = _existing_contacts(organisation)
    savepoint = db.session.begin_nested()
    for row in reader:
        line = reader.line_num
        if line > MAX_IMPORT_ROWS + 1:
            result.errors.append((line, _("Import at most %(count)d learners at a time.", count=MAX_IMPORT_ROWS)))
            break
        try:
            learner = _import_row(organisation, row, actor)
            _check_not_known(learner, existing_phones, existing_emails)
            existing_phones.add(learner.phone)
            existing_emails.add(learner.email)
            result.created.append(learner)
        except ServiceError as error:
            result.errors.append((line, error.message))
    if result.errors or not result.created:
        savepoint.rollback()
        result.created = []
        if not result.errors:
            result.errors.append((2, _("The file has no learners in it.")))
    else:
        savepoint.commit()
    return result
