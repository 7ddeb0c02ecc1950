"""What each figure of a funder return means: one written definition per measure.

The page shows these words as each figure's description, the PDF prints them, and docs/reports.md
says the same. `counts_people` marks the figures that disclosure control protects (a count of
people, or of things that belong to one person); hours, rates and sessions are not.
"""

from __future__ import annotations

from dataclasses import dataclass

from lms.core.i18n import _l


@dataclass(frozen=True)
class Measure:
    key: str
    title: object
    definition: object
    counts_people: bool = True


_MEASURES = [
    Measure(
        "participants",
        _l("Unique participants"),
        _l(
            "Learners who attended at least one of the programme's sessions in the period, counted once "
            "however many classes they are in."
        ),
    ),
    Measure(
        "starts",
        _l("Starts"),
        _l("Places on a class whose first attended session falls in the period."),
    ),
    Measure(
        "enrolments",
        _l("Enrolments"),
        _l(
            "Places on the programme's classes running at some time in the period: enrolled, completed, "
            "did not complete or withdrawn."
        ),
    ),
    Measure(
        "completions",
        _l("Completions"),
        _l(
            "Places completed in the period: the course's completion rules were met and recorded, when "
            "the class was completed, a course certificate was issued, or the nightly check found the "
            "rules met after the class ended."
        ),
    ),
    Measure(
        "sessions",
        _l("Sessions delivered"),
        _l("Sessions of the programme held in the period (not cancelled, already started)."),
        counts_people=False,
    ),
    Measure(
        "contact_hours",
        _l("Contact hours"),
        _l("Hours learners attended in the period, from the minutes on each register."),
        counts_people=False,
    ),
    Measure(
        "attendance_rate",
        _l("Attendance rate, per cent"),
        _l(
            "Attended marks (present, late, left early) as a share of all marks in the period, leaving "
            "out excused absences and sessions we cancelled."
        ),
        counts_people=False,
    ),
    Measure(
        "certificates",
        _l("Certificates issued"),
        _l("Certificates we issued in the period for the programme's classes, not counting revoked ones."),
    ),
    Measure(
        "qualifications",
        _l("Qualifications achieved"),
        _l(
            "Passed qualifications (pass, merit or distinction) dated in the period, once per learner "
            "and qualification."
        ),
    ),
    Measure(
        "external_certificates",
        _l("External certificates gained"),
        _l("Certificates from other bodies dated in the period, once per learner and type."),
    ),
    Measure(
        "into_work",
        _l("Into work"),
        _l("Learners whose first job or self-employment after they joined the programme is dated in the period."),
    ),
    Measure(
        "into_work_16_hours",
        _l("Into work, 16 hours a week or more"),
        _l("Of those into work in the period, the ones whose job is 16 hours a week or more."),
    ),
    Measure(
        "sustained_13_weeks",
        _l("Still in work after 13 weeks"),
        _l(
            "Learners into work whose 13-week check falls due in the period (13 weeks after the job "
            "started) and is confirmed."
        ),
    ),
    Measure(
        "sustained_26_weeks",
        _l("Still in work after 26 weeks"),
        _l("As for 13 weeks, for the check 26 weeks after the job started."),
    ),
    Measure(
        "into_training",
        _l("Into education or training"),
        _l("Learners whose first move into education or training after they joined is dated in the period."),
    ),
    Measure(
        "volunteering",
        _l("Into volunteering"),
        _l("Learners whose first volunteering after they joined is dated in the period."),
    ),
    Measure(
        "placements",
        _l("Work placements completed"),
        _l("Learners whose first completed work placement after they joined ended in the period."),
    ),
    Measure(
        "referrals_in",
        _l("Referrals in"),
        _l("Referrals to the programme or its classes received in the period."),
    ),
    Measure(
        "drop_in_unlinked",
        _l("Drop-in attendees not linked to a record"),
        _l(
            "People who came to a drop-in session in the period by name only. Link them to a learner "
            "record so that they count as participants."
        ),
    ),
]
MEASURES: dict[str, Measure] = {m.key: m for m in _MEASURES}

#: Outcomes count for anyone who took part in the programme during the grant, on or after the day
#: they first took part, by the outcome's own date: this is the note the page and the PDF show.
OUTCOME_RULE = _l(
    "Outcomes count for anyone who took part in the programme during the grant, once per person and "
    "kind, in the period of the outcome's own date, even when their class ended earlier."
)

BREAKDOWNS: dict[str, object] = {
    "eligibility": _l("Participants by immigration status"),
    "age": _l("Participants by age band"),
    "sex": _l("Participants by sex"),
    "nationality": _l("Participants by nationality"),
    "language": _l("Participants by first language"),
    "referral_source": _l("Participants by referrer"),
    "rarpa": _l("RARPA outcomes"),
    "esol_gains": _l("Learners who moved up an ESOL level, per skill"),
    "referrals": _l("Referrals in, by source"),
    "domains": _l("Outcomes by Indicators of Integration domain"),
}
BREAKDOWN_DEFINITIONS: dict[str, object] = {
    "eligibility": _l("Immigration status on the last day of the period."),
    "age": _l("Age on the first day of the period."),
    "language": _l("The first language the learner prefers."),
    "rarpa": _l("Learning plans signed off in the period, by how far their aims were met."),
    "esol_gains": _l(
        "Learners assessed at a higher level than when they joined, counted once per skill in the period "
        "of the first higher assessment."
    ),
    "domains": _l("Outcomes counted in the period, by the domains they touch; one outcome can touch several."),
}
#: Breakdowns whose rows add up to the participants figure: disclosure control protects the sums.
PARTICIPANT_BREAKDOWNS = ("eligibility", "age", "sex", "nationality", "language", "referral_source")
