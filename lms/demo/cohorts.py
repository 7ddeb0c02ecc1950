"""Demo venues, cohorts, referrals, enrolments and a waitlist (scenario 2 of the product brief)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from lms.courses.models import Course, Programme
from lms.extensions import db
from lms.people import services as people_services
from lms.people.inputs import LearnerInput
from lms.people.models import Learner, Organisation, User
from lms.scheduling.cohorts import enrolment, services
from lms.scheduling.cohorts.inputs import CohortInput, ReferralInput, VenueInput
from lms.scheduling.models import CohortStatus, ReferralSource, ReferralStatus
from lms.scheduling.timetable.inputs import TimetableRuleInput

#: Learners referred to the hospitality course, with names as they write them.
REFERRED = [
    ("Amal", "Yousef", "", "", "ar"),
    ("Bashir", "Rahimi", "بشیر", "رحیمی", "fa-AF"),
    ("Dawit", "Gebre", "ዳዊት", "ገብሬ", "ti"),
    ("Elif", "Kaya", "", "", "tr"),
    ("Farhan", "Hossain", "ফারহান", "হোসেন", "bn"),
    ("Gulalai", "Safi", "ګلالۍ", "صافي", "ps"),
    ("Hamid", "Karimi", "حمید", "کریمی", "fa"),
    ("Ismail", "Osman", "", "", "so"),
    ("Jiyan", "Ali", "ژیان", "عەلی", "ckb"),
    ("Kateryna", "Shevchenko", "Катерина", "Шевченко", "uk"),
    ("Leyla", "Aziz", "ليلى", "عزيز", "ar"),
    ("Mariam", "Haile", "ማርያም", "ሃይለ", "ti"),
    ("Nour", "Haddad", "نور", "حداد", "ar"),
    ("Omid", "Sadeghi", "امید", "صادقی", "fa"),
    ("Parisa", "Noori", "پریسا", "نوری", "fa-AF"),
    ("Qadir", "Mirza", "قادر", "میرزا", "ur"),
    ("Rania", "Saleh", "رانيا", "صالح", "ar"),
    ("Samira", "Benali", "", "", "ar"),
    ("Tigist", "Bekele", "ጥጊስት", "በቀለ", "am"),
    ("Yusuf", "Demir", "", "", "ku"),
]


def add_demo_cohorts(lead: Organisation, coordinator: User) -> None:
    courses = {c.code: c for c in db.session.scalars(sa.select(Course).where(Course.organisation_id == lead.id))}
    programmes = {p.name: p for p in db.session.scalars(sa.select(Programme))}
    partner = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Leicester City of Sanctuary"))

    haymarket = services.save_venue(
        lead,
        VenueInput(
            name="Haymarket Centre community room",
            address="Haymarket Shopping Centre, Leicester",
            postcode="LE1 3YQ",
            capacity=20,
            step_free=True,
            has_creche=True,
            accessibility_notes="Lift from the car park; accessible toilet next to the room.",
        ),
        coordinator,
    )
    services.save_venue(
        lead,
        VenueInput(
            name="St Martin's church hall",
            address="St Martin's, Leicester",
            postcode="LE1 5PZ",
            capacity=30,
            step_free=False,
            accessibility_notes="Three steps at the entrance.",
        ),
        coordinator,
    )
    services.save_venue(
        lead,
        VenueInput(name="Online classroom", is_virtual=True, meeting_url="https://meet.example.org/pathways-esol"),
        coordinator,
    )

    hospitality = services.save_cohort(
        lead,
        CohortInput(
            name="Hospitality: Tuesdays and Thursdays, autumn 2026",
            course_id=courses["ES-HOSP"].id,
            programme_id=programmes["Wellbeing and Work for Refugee Integration"].id,
            venue_id=haymarket.id,
            start_date=date(2026, 10, 6),
            end_date=date(2026, 12, 17),
            capacity=12,
            creche_capacity=4,
            interpreter_capacity=2,
            status=CohortStatus.RUNNING,
        ),
        coordinator,
    )
    esol_e2 = services.save_cohort(
        lead,
        CohortInput(
            name="ESOL Entry 2: Monday and Wednesday mornings",
            course_id=courses["ESOL-E2"].id,
            programme_id=programmes["City of Sanctuary ESOL Hub"].id,
            venue_id=haymarket.id,
            start_date=date(2026, 9, 14),
            end_date=date(2027, 7, 14),
            capacity=15,
            creche_capacity=6,
            status=CohortStatus.RUNNING,
            allow_late_joiners=True,
        ),
        coordinator,
    )
    services.save_cohort(
        lead,
        CohortInput(
            name="Job readiness and CV: January 2027",
            course_id=courses["JOB"].id,
            programme_id=programmes["Helping Others: wellbeing and integration"].id,
            venue_id=haymarket.id,
            start_date=date(2027, 1, 12),
            end_date=date(2027, 2, 16),
            capacity=10,
            status=CohortStatus.OPEN,
        ),
        coordinator,
    )
    services.save_cohort(
        lead,
        CohortInput(
            name="Conversation club: Fridays",
            course_id=courses["ESOL-CONV"].id,
            venue_id=haymarket.id,
            start_date=date(2026, 9, 4),
            end_date=date(2027, 7, 30),
            is_drop_in=True,
            status=CohortStatus.RUNNING,
        ),
        coordinator,
    )

    # Twenty referred learners apply for the hospitality course before it starts: 12 get places, 8 wait.
    applied = date(2026, 9, 21)
    for n, (given_latin, family_latin, given, family, language) in enumerate(REFERRED, start=1):
        learner = people_services.create_learner(
            lead,
            LearnerInput(
                given_name=given or given_latin,
                family_name=family or family_latin,
                given_name_latin=given_latin,
                family_name_latin=family_latin,
                preferred_languages=language,
                phone=f"07700 9002{n:02d}",
                referral_source="Leicester City of Sanctuary",
                date_of_birth=date(1980 + n, (n % 12) + 1, 10),
            ),
            coordinator,
        )
        referral = enrolment.create_referral(
            lead,
            learner,
            ReferralInput(
                source=ReferralSource.PARTNER,
                referrer_organisation_id=partner.id if partner else None,
                referrer_name="Hub caseworker",
                referrer_email="hub@example.org",
                consent_to_share_progress=True,
                cohort_id=hospitality.id,
            ),
            coordinator,
        )
        if n <= 17:  # three referrals are still waiting for review
            enrolment.enrol(
                hospitality, learner, actor=coordinator, on=applied, referral=referral, needs_creche=n in (2, 5, 9)
            )
            referral.status = ReferralStatus.ACCEPTED
    add_demo_timetables(lead, coordinator)
    fatima = db.session.scalars(sa.select(Learner).where(Learner.email == "learner@example.org")).one()
    enrolment.enrol(esol_e2, fatima, actor=coordinator, on=date(2026, 9, 10), needs_creche=True)
    db.session.flush()


def add_demo_timetables(lead: Organisation, coordinator: User) -> None:
    """Scenario 1: Tuesdays and Thursdays 10:00 to 12:30 from 6 October to 17 December, no bank holidays."""
    from datetime import time

    from lms.scheduling.models import Cohort, EducatorRole, Room
    from lms.scheduling.timetable import services as timetable
    from lms.scheduling.timetable import staffing

    cohorts = {
        c.name.split(":")[0]: c for c in db.session.scalars(sa.select(Cohort).where(Cohort.organisation_id == lead.id))
    }
    educators = {u.email: u for u in db.session.scalars(sa.select(User).where(User.organisation_id == lead.id))}
    haymarket = cohorts["Hospitality"].venue
    assert haymarket is not None  # the hospitality course meets at the hotel
    kitchen = Room(venue_id=haymarket.id, name="Training kitchen", capacity=14, step_free=True)
    db.session.add(kitchen)
    db.session.flush()
    timetable.add_closure(lead.id, None, date(2026, 12, 21), date(2027, 1, 1), "Christmas shutdown", coordinator)
    # Assigned before the sessions exist, so every generated session (past ones too) gets them.
    tutor, volunteer = educators["educator@example.org"], educators["volunteer@example.org"]
    for name in ("Hospitality", "ESOL Entry 2", "Conversation club"):
        staffing.assign_to_cohort(cohorts[name], tutor, EducatorRole.LEAD, coordinator)
    staffing.assign_to_cohort(cohorts["Hospitality"], volunteer, EducatorRole.VOLUNTEER, coordinator)
    for name, weekdays, start, end, room in [
        ("Hospitality", [1, 3], time(10, 0), time(12, 30), kitchen),
        ("ESOL Entry 2", [0, 2], time(9, 30), time(11, 30), None),
        ("Job readiness and CV", [1], time(13, 0), time(15, 0), None),
        ("Conversation club", [4], time(14, 0), time(16, 0), None),
    ]:
        cohort = cohorts[name]
        rule = timetable.save_rule(
            cohort,
            TimetableRuleInput(
                weekdays=weekdays,
                start_time=start,
                end_time=end,
                venue_id=cohort.venue_id,
                room_id=room.id if room else None,
            ),
            coordinator,
        )
        timetable.generate(rule, coordinator, accept_learner_clashes=True)


def add_demo_attendance(lead: Organisation, coordinator: User) -> None:
    """Registers for the sessions already held, so alerts and figures have something to show."""
    import random
    from datetime import timedelta

    from lms.assessments.attendance import services as attendance
    from lms.assessments.attendance.models import AttendanceStatus
    from lms.core.time import now_utc
    from lms.scheduling.models import Cohort, Session, SessionStatus

    rng = random.Random(7)
    now = now_utc()
    past = db.session.scalars(
        sa.select(Session)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(
            Cohort.organisation_id == lead.id,
            Cohort.is_drop_in.is_(False),
            Session.end_dt < now,
            Session.status == SessionStatus.SCHEDULED,
        )
        .order_by(Session.start_dt)
    ).all()
    for index, session in enumerate(past):
        if index == len(past) - 1:
            continue  # leave the latest register untaken, so "registers not taken" shows it
        entries = []
        for row in attendance.register_rows(session):
            roll = rng.random()
            # One learner stops coming: the at-risk list shows him.
            if row.learner and row.learner.family_name_latin == "Hossain":
                status = (
                    AttendanceStatus.ABSENT if session.start_dt > now - timedelta(days=21) else AttendanceStatus.PRESENT
                )
            elif roll < 0.08:
                status = AttendanceStatus.ABSENT_NOTIFIED
            elif roll < 0.12:
                status = AttendanceStatus.ABSENT
            elif roll < 0.2:
                status = AttendanceStatus.LATE
            else:
                status = AttendanceStatus.PRESENT
            late = rng.choice([5, 10, 20]) if status is AttendanceStatus.LATE else 0
            entries.append(attendance.Entry(row.key, status.value, minutes_late=late))
        attendance.save_register(session, entries, coordinator, now=session.end_dt)
