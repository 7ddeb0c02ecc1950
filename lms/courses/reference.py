"""Standard certificate types and ESOL qualifications, loaded as data (`lms reference-data`).

Details change (awarding bodies revise codes and hours), so they live in the database where
coordinators' systems can update them, not in code that checks them.
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.courses.models import CertificateKind, CertificateType, Qualification
from lms.extensions import db

CERTIFICATE_TYPES = [
    # name, kind, validity months, renewal validity months, description
    (
        "Course completion",
        CertificateKind.PROVIDER,
        None,
        None,
        "Issued by us when a learner completes a course.",
    ),
    (
        "Course achievement",
        CertificateKind.PROVIDER,
        None,
        None,
        "Issued by us for an achievement within a course.",
    ),
    ("Level 2 Food Hygiene", CertificateKind.EXTERNAL, 36, None, "Refresh about every three years."),
    ("First Aid at Work", CertificateKind.EXTERNAL, 36, None, "Valid for three years."),
    ("CSCS Labourer card", CertificateKind.EXTERNAL, 24, 60, "First card two years, renewal five years."),
    ("SIA licence", CertificateKind.EXTERNAL, 36, None, "Security Industry Authority licence, three years."),
    ("ESOL Skills for Life qualification", CertificateKind.EXTERNAL, None, None, "Does not expire."),
]

#: ESOL Skills for Life guided learning hours per level: Reading 60, Writing 90, Speaking and Listening 120.
_ESOL_UNITS = [
    ("Reading", "reading", 60),
    ("Writing", "writing", 90),
    ("Speaking and Listening", "speaking", 120),
]
_ESOL_LEVELS = [("E1", "Entry 1"), ("E2", "Entry 2"), ("E3", "Entry 3"), ("L1", "Level 1"), ("L2", "Level 2")]


def _esol_qualifications() -> list[tuple[str, str, str, str, str, int]]:
    rows = []
    for level_code, level_name in _ESOL_LEVELS:
        for unit, skill, hours in _ESOL_UNITS:
            code = f"ESOL-{level_code}-{unit.split()[0][:2].upper()}"
            rows.append(
                (
                    "Trinity College London",
                    code,
                    f"ESOL Skills for Life {level_name}: {unit}",
                    level_name,
                    skill,
                    hours,
                )
            )
    return rows


def ensure_reference_data() -> int:
    """Add any missing reference rows; never changes or removes existing ones. Returns how many were added."""
    added = 0
    existing_types = set(db.session.scalars(sa.select(CertificateType.name)))
    for name, kind, validity, renewal, description in CERTIFICATE_TYPES:
        if name not in existing_types:
            db.session.add(
                CertificateType(
                    name=name,
                    kind=kind,
                    validity_months=validity,
                    renewal_validity_months=renewal,
                    description=description,
                )
            )
            added += 1
    existing_codes = set(db.session.execute(sa.select(Qualification.awarding_body, Qualification.code)))
    for body, code, title, level, skill, hours in _esol_qualifications():
        if (body, code) not in existing_codes:
            db.session.add(
                Qualification(
                    awarding_body=body,
                    code=code,
                    title=title,
                    level=level,
                    skill=skill,
                    guided_learning_hours=hours,
                )
            )
            added += 1
    db.session.flush()
    return added
