"""Writes to educators' profiles: the DBS check, languages, what she may teach, volunteer hours.

Coordinators change everything here; an educator changes only her own languages (and, in the
timetable, her availability and absences). The DBS certificate number never goes into the audit trail
or a log: the trail names the fields that changed, not their values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from flask import current_app

from lms.core import audit
from lms.core.errors import ServiceError
from lms.core.esol import EsolLevel
from lms.core.i18n import _, language_name
from lms.core.subjects import CourseKind, Sector
from lms.core.time import today_local
from lms.extensions import db
from lms.people.inputs import DbsInput, TeachingInput, VolunteerHoursInput
from lms.people.models import EducatorProfile, User, VolunteerHours
from lms.people.services import normalise_language_tags

#: The languages offered on an educator's profile: English and those the learners speak most.
LANGUAGES = (
    "en", "ar", "fa", "fa-AF", "ps", "ckb", "ku", "ur", "ti", "am", "so", "uk", "ru", "vi", "sq", "bn",
    "tr", "fr", "pt", "es", "pl", "ro", "zh", "hi", "pa", "ta", "sw", "om", "my", "ne", "ha", "yo",
)  # fmt: skip

#: A DBS certificate number: 12 digits.
DBS_NUMBER = re.compile(r"[0-9]{12}")


def profile_of(educator: User) -> EducatorProfile:
    """Her profile, made if she has none yet (educators given the role after their account was made)."""
    if educator.educator_profile is None:
        educator.educator_profile = EducatorProfile(user_id=educator.id)
        db.session.add(educator.educator_profile)
    return educator.educator_profile


def default_recheck(issue_date: date) -> date:
    """The organisation's recheck date for a certificate issued on `issue_date`."""
    return issue_date + relativedelta(months=current_app.config["DBS_RECHECK_MONTHS"])


def _dbs_number(value: str | None) -> str | None:
    number = re.sub(r"[\s-]", "", value or "")
    if number and not DBS_NUMBER.fullmatch(number):
        raise ServiceError(_("A DBS certificate number is 12 digits."), field="certificate_number")
    return number or None


def _check_dbs(data: DbsInput, number: str | None) -> date | None:
    """The recheck date to keep, once the check's details hold together."""
    if data.level is None:
        if number or data.issue_date or data.recheck_date or data.update_service:
            raise ServiceError(_("Choose the level of the check."), field="level")
        return None
    if data.issue_date is None:
        raise ServiceError(_("Enter the date the certificate was issued."), field="issue_date")
    if data.issue_date > today_local():
        raise ServiceError(_("The issue date cannot be in the future."), field="issue_date")
    recheck = data.recheck_date or default_recheck(data.issue_date)
    if recheck <= data.issue_date:
        raise ServiceError(_("The recheck date must be after the issue date."), field="recheck_date")
    return recheck


def update_dbs(educator: User, data: DbsInput, actor: User) -> EducatorProfile:
    """Record her DBS check (or remove it, when everything is empty)."""
    number = _dbs_number(data.certificate_number)
    recheck = _check_dbs(data, number)
    profile = profile_of(educator)
    new = {
        "dbs_level": data.level,
        "dbs_certificate_number": number,
        "dbs_issue_date": data.issue_date,
        "dbs_update_service": data.update_service,
        "dbs_recheck_date": recheck,
    }
    changed = sorted(name for name, value in new.items() if getattr(profile, name) != value)
    for name, value in new.items():
        setattr(profile, name, value)
    db.session.flush()
    audit.record("educator.dbs.update", actor_id=actor.id, subject_type="user", subject_id=educator.id, changed=changed)
    return profile


def teaching_titles(profile: EducatorProfile | None) -> dict[str, list[str]]:
    """The titles of what she may teach, in the reader's language (codes no longer known are left out)."""
    if profile is None:
        return {"subjects": [], "sectors": [], "esol_levels": []}
    return {
        "subjects": [CourseKind(v).title for v in profile.subjects if v in CourseKind._value2member_map_],
        "sectors": [Sector(v).title for v in profile.sectors if v in Sector._value2member_map_],
        "esol_levels": [EsolLevel(v).title for v in profile.esol_levels if v in EsolLevel._value2member_map_],
    }


def language_choices(current: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The offered languages (and any she already has), by name in the reader's language."""
    tags = dict.fromkeys([*LANGUAGES, *current])
    return sorted(((tag, language_name(tag)) for tag in tags), key=lambda choice: choice[1].casefold())


def update_languages(educator: User, tags: list[str], actor: User) -> EducatorProfile:
    profile = profile_of(educator)
    allowed = set(LANGUAGES) | set(profile.languages.split())
    if any(tag not in allowed for tag in tags):
        raise ServiceError(_("Choose from the list."), field="languages")
    profile.languages = normalise_language_tags(tags)
    db.session.flush()
    audit.record("educator.languages.update", actor_id=actor.id, subject_type="user", subject_id=educator.id)
    return profile


def update_teaching(educator: User, data: TeachingInput, actor: User) -> EducatorProfile:
    profile = profile_of(educator)
    profile.subjects = [kind.value for kind in dict.fromkeys(data.subjects)]
    profile.sectors = [sector.value for sector in dict.fromkeys(data.sectors)]
    profile.esol_levels = [level.value for level in sorted(set(data.esol_levels))]
    profile.is_volunteer = data.is_volunteer
    profile.qualifications, profile.skills = data.qualifications, data.skills
    db.session.flush()
    audit.record("educator.teaching.update", actor_id=actor.id, subject_type="user", subject_id=educator.id)
    return profile


#: The most hours one entry can hold: a day.
MAX_HOURS = Decimal(24)


def record_hours(educator: User, data: VolunteerHoursInput, actor: User) -> VolunteerHours:
    """Hours she gave that no session shows: preparation, a trip, an event."""
    if data.work_date is None:
        raise ServiceError(_("Enter the day."), field="work_date")
    if data.work_date > today_local():
        raise ServiceError(_("Hours can be recorded only once they are given."), field="work_date")
    if data.hours is None or not Decimal("0.25") <= data.hours <= MAX_HOURS:
        raise ServiceError(_("Enter between 0.25 and 24 hours."), field="hours")
    if data.hours != data.hours.quantize(Decimal("0.01")):
        raise ServiceError(_("Enter the hours with at most two decimal places."), field="hours")
    row = VolunteerHours(
        user_id=educator.id, work_date=data.work_date, hours=data.hours, note=data.note, recorded_by_id=actor.id
    )
    db.session.add(row)
    db.session.flush()
    audit.record("educator.hours.record", actor_id=actor.id, subject_type="user", subject_id=educator.id)
    return row


def remove_hours(row: VolunteerHours, actor: User) -> None:
    db.session.delete(row)
    db.session.flush()
    audit.record("educator.hours.remove", actor_id=actor.id, subject_type="user", subject_id=row.user_id)
