"""Demo data drawn from the programmes in shared/seeds, for trying Pathways out."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask_migrate import upgrade

from lms.core.i18n import compile_catalogues
from lms.core.roles import Role
from lms.demo.cohorts import add_demo_attendance, add_demo_cohorts
from lms.demo.curriculum import add_demo_curriculum
from lms.extensions import db
from lms.people import organisations, services
from lms.people.inputs import LearnerInput, OrganisationSettingsInput
from lms.people.models import ConvictionFlag, DbsLevel, ImmigrationStatus, Literacy, OrganisationKind, Sex, User

DEMO_PASSWORD = "pathways-demo"  # noqa: S105 - documented demo password, demo data only
LEAD_PROVIDER = "Leicester Integration Partnership"

#: Learners as they write their names, with the Latin form staff use.
DEMO_LEARNERS = [
    # given, family, given latin, family latin, dob, sex, nationality, languages, literacy, interpreter
    (
        "فاطمة",
        "الحسن",
        "Fatima",
        "Al-Hassan",
        date(1988, 3, 14),
        Sex.FEMALE,
        "SY",
        "ar en",
        Literacy.CONFIDENT,
        False,
    ),
    ("مریم", "احمدی", "Maryam", "Ahmadi", date(1995, 7, 2), Sex.FEMALE, "IR", "fa", Literacy.CONFIDENT, True),
    ("احمد", "نوری", "Ahmad", "Noori", date(2004, 11, 20), Sex.MALE, "AF", "ps fa-AF", Literacy.BASIC, True),
    ("ሰላም", "ተስፋይ", "Selam", "Tesfay", date(1999, 1, 9), Sex.FEMALE, "ER", "ti", Literacy.BASIC, True),
    (
        "Олена",
        "Коваленко",
        "Olena",
        "Kovalenko",
        date(1979, 5, 30),
        Sex.FEMALE,
        "UA",
        "uk en",
        Literacy.CONFIDENT,
        False,
    ),
    (
        "ئاراس",
        "محەمەد",
        "Aras",
        "Mohammed",
        date(1992, 9, 17),
        Sex.MALE,
        "IQ",
        "ckb ar",
        Literacy.CONFIDENT,
        False,
    ),
    ("Hoa", "Nguyễn", "Hoa", "Nguyen", date(2001, 4, 3), Sex.FEMALE, "VN", "vi", Literacy.CONFIDENT, True),
    ("Abdi", "Warsame", "Abdi", "Warsame", date(1985, 12, 1), Sex.MALE, "SO", "so en", Literacy.NONE, True),
    ("Paul", "Green", "Paul", "Green", date(2002, 6, 11), Sex.MALE, "GB", "en", Literacy.CONFIDENT, False),
]


def build_demo(reset: bool = False) -> None:
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if reset:
        if not url.startswith("sqlite:///"):
            raise click.ClickException("--reset only deletes SQLite databases; drop a PostgreSQL one yourself.")
        path = Path(url.removeprefix("sqlite:///"))
        db.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    compile_catalogues()
    upgrade()
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("The database already has users: demo data not added (use --reset to start again).")
    else:
        add_demo_data()
        db.session.commit()
        click.echo("Demo data added.")
    click.echo(
        "Log in at http://127.0.0.1:5000 as admin@example.org, coordinator@example.org, "
        f"educator@example.org or learner@example.org, password {DEMO_PASSWORD}. "
        "Learners without e-mail log in by phone: 07700 900001 with PIN 2468."
    )


def add_demo_data() -> None:
    lead = services.create_organisation(LEAD_PROVIDER, OrganisationKind.PROVIDER)
    for name, kind in [
        ("Women Empowerment Network", OrganisationKind.PARTNER),
        ("Leicester City of Sanctuary", OrganisationKind.PARTNER),
        ("Leicestershire Cares", OrganisationKind.PARTNER),
        ("East of England Strategic Migration Partnership", OrganisationKind.PARTNER),
        ("Leicester, Leicestershire and Rutland Police and Crime Commissioner", OrganisationKind.FUNDER),
        ("The Bell Foundation", OrganisationKind.FUNDER),
        ("Haymarket Hotel Group", OrganisationKind.EMPLOYER),
        ("Midlands Build Ltd", OrganisationKind.EMPLOYER),
    ]:
        services.create_organisation(name, kind)

    def staff(email: str, name: str, *roles: Role) -> User:
        return services.create_user(
            organisation=lead, display_name=name, email=email, password=DEMO_PASSWORD, roles=roles
        )

    admin = staff("admin@example.org", "Asha Patel", Role.ADMIN)
    organisations.save_settings(
        lead,
        OrganisationSettingsInput(
            name=lead.name,
            address="1 Example Street\nLeicester LE1 0AA",
            signatory_name="Rachel Hughes",
            signatory_title="Programme Manager",
        ),
        admin,
    )
    coordinator = staff("coordinator@example.org", "Rachel Hughes", Role.COORDINATOR)
    educator = staff("educator@example.org", "Samir Haddad", Role.EDUCATOR)
    assert educator.educator_profile is not None  # create_user gives every educator a profile
    educator.educator_profile.languages = "en ar"
    educator.educator_profile.qualifications = "CELTA; Level 5 Diploma in Teaching ESOL"
    educator.educator_profile.dbs_level = DbsLevel.ENHANCED_BARRED
    educator.educator_profile.dbs_issue_date = date(2025, 9, 1)
    educator.educator_profile.dbs_recheck_date = date(2028, 9, 1)
    educator.educator_profile.dbs_update_service = True
    educator.educator_profile.subjects = ["esol_formal", "esol_informal", "sector_skills"]
    educator.educator_profile.esol_levels = ["pre_entry", "e1", "e2", "e3"]
    volunteer = staff("volunteer@example.org", "Nasrin Karimi", Role.EDUCATOR)
    assert volunteer.educator_profile is not None
    volunteer.educator_profile.languages = "en fa fa-AF"
    volunteer.educator_profile.is_volunteer = True
    volunteer.educator_profile.dbs_level = DbsLevel.ENHANCED
    volunteer.educator_profile.dbs_issue_date = date(2026, 2, 15)
    volunteer.educator_profile.dbs_recheck_date = date(2029, 2, 15)

    learners = []
    for (
        given,
        family,
        given_latin,
        family_latin,
        dob,
        sex,
        nationality,
        langs,
        literacy,
        interpreter,
    ) in DEMO_LEARNERS:
        learners.append(
            services.create_learner(
                lead,
                LearnerInput(
                    given_name=given,
                    family_name=family,
                    given_name_latin=given_latin,
                    family_name_latin=family_latin,
                    date_of_birth=dob,
                    sex=sex,
                    nationality=nationality,
                    preferred_languages=langs,
                    first_language_literacy=literacy,
                    interpreter_needed=interpreter,
                    referral_source="Leicester City of Sanctuary" if nationality != "GB" else "Probation Service",
                ),
                coordinator,
            )
        )
    fatima, maryam, ahmad, selam, olena, _aras, _hoa, _abdi, paul = learners

    # Fatima reads Arabic and logs in by e-mail; Ahmad has no e-mail and logs in by phone and PIN.
    fatima.email = "learner@example.org"
    fatima.user = services.create_user(
        organisation=lead,
        display_name=fatima.full_name,
        email="learner@example.org",
        password=DEMO_PASSWORD,
        roles=[Role.LEARNER],
        locale="ar",
    )
    ahmad.phone = services.normalise_phone("07700 900001")
    services.create_learner_login(ahmad, "2468", coordinator)

    fatima.childcare_needs = "Two children aged 3 and 5: needs the crèche."
    services.add_immigration_status(
        fatima,
        status=ImmigrationStatus.ASYLUM_SEEKER,
        from_date=date(2026, 1, 12),
        until_date=None,
        note="",
        actor=coordinator,
    )
    services.add_immigration_status(
        maryam,
        status=ImmigrationStatus.REFUGEE,
        from_date=date(2025, 6, 1),
        until_date=date(2030, 5, 31),
        note="",
        actor=coordinator,
    )
    services.add_immigration_status(
        ahmad,
        status=ImmigrationStatus.RESETTLEMENT,
        from_date=date(2024, 2, 20),
        until_date=None,
        note="ARAP",
        actor=coordinator,
    )
    services.add_immigration_status(
        olena,
        status=ImmigrationStatus.UKRAINE_SCHEME,
        from_date=date(2022, 5, 3),
        until_date=date(2027, 5, 2),
        note="",
        actor=coordinator,
    )
    services.add_immigration_status(
        selam,
        status=ImmigrationStatus.ASYLUM_SEEKER,
        from_date=date(2026, 7, 1),
        until_date=None,
        note="",
        actor=coordinator,
    )
    services.add_immigration_status(
        paul,
        status=ImmigrationStatus.CITIZEN,
        from_date=date(2002, 6, 11),
        until_date=None,
        note="",
        actor=coordinator,
    )
    services.update_sensitive(
        maryam,
        health_and_access_needs="Uses a wheelchair: ground-floor rooms only.",
        relevant_unspent_conviction=ConvictionFlag.NO,
        safeguarding_notes="",
        actor=coordinator,
    )
    services.update_sensitive(
        paul,
        health_and_access_needs="",
        relevant_unspent_conviction=ConvictionFlag.YES,
        safeguarding_notes="Referred by probation for the WIRE employability programme.",
        actor=coordinator,
    )
    db.session.flush()
    add_demo_curriculum(lead, coordinator, {"fatima": fatima, "maryam": maryam, "ahmad": ahmad, "paul": paul})
    add_demo_cohorts(lead, coordinator)
    add_demo_attendance(lead, coordinator)
