"""Demo curriculum: the course families and pathways of the programmes in shared/seeds."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from lms.assessments.progression import achievements
from lms.assessments.progression.models import AssessmentKind
from lms.courses import services
from lms.courses.inputs import CourseInput, PathwayInput, ProgrammeInput, RuleInput, StepInput
from lms.courses.models import CertificateType, Qualification, StepKind
from lms.courses.reference import ensure_reference_data
from lms.extensions import db
from lms.people.models import Learner, Organisation, User

ESOL_STATUSES = [
    "refugee",
    "humanitarian_protection",
    "resettlement",
    "ukraine_scheme",
    "hong_kong_bno",
    "eu_settled",
    "eu_pre_settled",
    "citizen",
    "other_leave",
]


def add_demo_curriculum(lead: Organisation, coordinator: User, learners: dict[str, Learner]) -> None:
    ensure_reference_data()
    orgs = {o.name: o for o in db.session.scalars(sa.select(Organisation))}
    cert = {t.name: t for t in db.session.scalars(sa.select(CertificateType))}
    qual = {q.code: q for q in db.session.scalars(sa.select(Qualification))}

    asf = services.save_rule(
        lead,
        RuleInput(
            name="Adult Skills Fund ESOL",
            description="Settled or protected status, or an asylum claim pending for at least 6 months.",
            conditions={
                "immigration": [
                    {"statuses": ESOL_STATUSES, "min_months": 0},
                    {"statuses": ["asylum_seeker"], "min_months": 6},
                ]
            },
        ),
        coordinator,
    )
    youth = services.save_rule(
        lead,
        RuleInput(
            name="Young adults referred by justice services",
            description="Aged 18 to 25, referred by probation or the youth offending service.",
            conditions={
                "age": {"min": 18, "max": 25},
                "referral_sources": ["Probation Service", "Youth Offending Service"],
            },
        ),
        coordinator,
    )

    def programme(name, funder, start, end, scheme, strands, partners, targets, rule=None, referrers=(), text=""):  # noqa: ANN001, ANN202, PLR0913
        return services.save_programme(
            lead,
            ProgrammeInput(
                name=name,
                description=text,
                funder_id=orgs[funder].id if funder else None,
                start_date=start,
                end_date=end,
                reporting_scheme=scheme,
                strands=strands,
                partner_ids=[orgs[p].id for p in partners],
                targets=targets,
                eligibility_rule_id=rule.id if rule else None,
                allowed_referral_sources=list(referrers),
            ),
            coordinator,
        )

    programme(
        "Helping Others: wellbeing and integration",
        "Leicester, Leicestershire and Rutland Police and Crime Commissioner",
        date(2026, 4, 1),
        date(2027, 3, 31),
        "april_march_quarters",
        ["Wellbeing", "Employment"],
        ["Women Empowerment Network"],
        {"participants": 320, "completions": 200},
        text="Wellbeing, British values, life skills and job readiness courses at the Haymarket Centre.",
    )
    programme(
        "City of Sanctuary ESOL Hub",
        None,
        date(2026, 8, 1),
        date(2027, 7, 31),
        "august_july_years",
        ["ESOL and skills"],
        ["Leicester City of Sanctuary"],
        {"participants": 150, "certificates": 60},
        rule=asf,
    )
    programme(
        "Wellbeing and Work for Refugee Integration",
        "The Bell Foundation",
        date(2026, 1, 1),
        date(2027, 12, 31),
        "april_march_quarters",
        ["Employment", "ESOL and skills", "Wellbeing"],
        ["East of England Strategic Migration Partnership"],
        {"participants": 1164, "into_work": 150, "placements": 60},
    )
    programme(
        "WIRE employability",
        "Leicester, Leicestershire and Rutland Police and Crime Commissioner",
        date(2026, 4, 1),
        date(2027, 3, 31),
        "april_march_quarters",
        ["Employment"],
        ["Leicestershire Cares"],
        {"participants": 80, "placements": 40, "into_work": 30},
        rule=youth,
        referrers=["Probation Service", "Youth Offending Service"],
    )

    def course(code, title, kind, **extra):  # noqa: ANN001, ANN003, ANN202
        return services.save_course(lead, CourseInput(code=code, title=title, kind=kind, **extra), coordinator)

    esol = {}
    for level, name, weeks in [
        ("e1", "Entry 1", 30),
        ("e2", "Entry 2", 30),
        ("e3", "Entry 3", 30),
        ("l1", "Level 1", 30),
    ]:
        esol[level] = course(
            f"ESOL-{level.upper()}",
            f"ESOL {name}",
            "esol_formal",
            esol_level=level,
            is_accredited=True,
            qualification_id=qual[f"ESOL-{level.upper()}-SP"].id,
            duration_weeks=weeks,
            guided_hours=120,
            delivery_modes=["group"],
            delivery_settings=["in_person"],
            integration_domains=["language"],
            min_attendance_percent=80,
            requires_signoff=True,
            requires_assessment_pass=True,
            certificate_type_ids=[
                cert["Course completion"].id,
                cert["ESOL Skills for Life qualification"].id,
            ],
            summary=f"Speaking and listening at {name}, with reading and writing practice.",
            aims="Build confidence to speak and listen in everyday situations.",
            learning_outcomes="Talk about yourself and your family\nUnderstand simple instructions\nAsk for help",
        )
    services.save_course_translation(
        esol["e1"], "ar", "الإنجليزية للمبتدئين: المستوى الأول", "التحدث والاستماع في الحياة اليومية."
    )
    services.save_course_translation(esol["e1"], "fa", "انگلیسی سطح مقدماتی ۱", "صحبت کردن و گوش دادن در زندگی روزمره.")
    services.save_course_translation(esol["e1"], "ps", "انګلیسي لومړۍ کچه", "")
    services.save_course_translation(esol["e1"], "ti", "እንግሊዝኛ ደረጃ 1", "")
    course(
        "ESOL-CONV",
        "English conversation club",
        "esol_informal",
        delivery_modes=["group"],
        delivery_settings=["in_person"],
        integration_domains=["language", "bonds", "bridges"],
        summary="Drop in, practise speaking, make friends. No booking needed.",
    )
    hospitality = course(
        "ES-HOSP",
        "English and Skills: Hospitality",
        "sector_skills",
        sector="hospitality",
        esol_level="e3",
        duration_weeks=10,
        guided_hours=50,
        delivery_modes=["group"],
        delivery_settings=["in_person"],
        integration_domains=["work", "language"],
        min_attendance_percent=80,
        requires_signoff=True,
        certificate_type_ids=[cert["Course completion"].id, cert["Level 2 Food Hygiene"].id],
        required_certificate_type_id=cert["Level 2 Food Hygiene"].id,
        summary="Workplace English for kitchens, hotels and cafés, with the Level 2 Food Hygiene certificate.",
    )
    construction = course(
        "ES-CONS",
        "English and Skills: Construction",
        "sector_skills",
        sector="construction",
        esol_level="e3",
        duration_weeks=8,
        guided_hours=40,
        delivery_modes=["group"],
        integration_domains=["work", "language", "safety"],
        min_attendance_percent=80,
        certificate_type_ids=[cert["CSCS Labourer card"].id],
        summary="Site English and health and safety, towards the CSCS Labourer card.",
    )
    for code, title, kind, domains in [
        ("LIFE", "Life skills", "life_skills", ["stability", "rights"]),
        ("BV", "British values and community cohesion", "british_values", ["rights", "bridges", "culture"]),
        ("ANGER", "Anger, stress and anxiety management", "anger_stress", ["health_social_care", "safety"]),
        ("WELL", "Wellbeing group", "wellbeing", ["health_social_care", "bonds"]),
        ("JOB", "Job readiness and CV", "job_readiness", ["work", "digital"]),
    ]:
        course(
            code,
            title,
            kind,
            duration_weeks=6,
            guided_hours=12,
            delivery_modes=["group"],
            delivery_settings=["in_person"],
            integration_domains=domains,
            min_attendance_percent=80,
            certificate_type_ids=[cert["Course completion"].id],
        )
    youth_course = course(
        "YOUTH",
        "Next Steps: young adults programme",
        "employability",
        duration_weeks=8,
        guided_hours=32,
        integration_domains=["work", "safety"],
        min_attendance_percent=75,
        summary="For 18 to 25 year olds with convictions: confidence, goals and routines.",
    )
    wire = course(
        "WIRE",
        "Employability and disclosure workshops",
        "employability",
        duration_weeks=4,
        guided_hours=16,
        integration_domains=["work", "rights"],
        requires_signoff=True,
        summary="Interview preparation, CVs and disclosing a conviction with confidence.",
    )
    placement = course(
        "PLACE-2W",
        "Two-week mentored work placement",
        "work_placement",
        duration_weeks=2,
        guided_hours=60,
        delivery_modes=["one_to_one"],
        integration_domains=["work"],
        requires_signoff=True,
    )

    esol_path = services.save_pathway(
        lead,
        PathwayInput(name="ESOL: Entry 1 to Level 1", description="Formal ESOL, one level a year, per skill."),
        coordinator,
    )
    e1 = services.save_step(esol_path, StepInput(kind=StepKind.COURSE, course_id=esol["e1"].id), coordinator)
    e2 = services.save_step(
        esol_path,
        StepInput(
            kind=StepKind.COURSE,
            course_id=esol["e2"].id,
            prerequisite_ids=[e1.id],
            min_esol_levels={"speaking": "e1", "listening": "e1"},
        ),
        coordinator,
    )
    e3 = services.save_step(
        esol_path,
        StepInput(
            kind=StepKind.COURSE,
            course_id=esol["e3"].id,
            prerequisite_ids=[e2.id],
            min_esol_levels={"speaking": "e2", "listening": "e2"},
        ),
        coordinator,
    )
    services.save_step(
        esol_path,
        StepInput(kind=StepKind.COURSE, course_id=esol["l1"].id, prerequisite_ids=[e3.id], is_required=False),
        coordinator,
    )
    services.save_step(
        esol_path,
        StepInput(kind=StepKind.COURSE, course_id=hospitality.id, prerequisite_ids=[e3.id], is_required=False),
        coordinator,
    )

    hosp_path = services.save_pathway(lead, PathwayInput(name="Into hospitality work"), coordinator)
    h1 = services.save_step(
        hosp_path,
        StepInput(
            kind=StepKind.COURSE, course_id=hospitality.id, min_esol_levels={"speaking": "e2", "listening": "e2"}
        ),
        coordinator,
    )
    h2 = services.save_step(
        hosp_path,
        StepInput(
            kind=StepKind.EXTERNAL_CERTIFICATE,
            certificate_type_id=cert["Level 2 Food Hygiene"].id,
            prerequisite_ids=[h1.id],
        ),
        coordinator,
    )
    services.save_step(
        hosp_path, StepInput(kind=StepKind.PLACEMENT, course_id=placement.id, prerequisite_ids=[h2.id]), coordinator
    )

    cons_path = services.save_pathway(lead, PathwayInput(name="Into construction: the CSCS route"), coordinator)
    c1 = services.save_step(cons_path, StepInput(kind=StepKind.COURSE, course_id=construction.id), coordinator)
    c2 = services.save_step(
        cons_path,
        StepInput(
            kind=StepKind.EXTERNAL_CERTIFICATE,
            certificate_type_id=cert["CSCS Labourer card"].id,
            prerequisite_ids=[c1.id],
        ),
        coordinator,
    )
    services.save_step(
        cons_path, StepInput(kind=StepKind.PLACEMENT, course_id=placement.id, prerequisite_ids=[c2.id]), coordinator
    )

    youth_path = services.save_pathway(
        lead,
        PathwayInput(
            name="Young adults into employment", description="The youth programme leads into WIRE and a placement."
        ),
        coordinator,
    )
    y1 = services.save_step(
        youth_path,
        StepInput(kind=StepKind.COURSE, course_id=youth_course.id, eligibility_rule_id=youth.id),
        coordinator,
    )
    y2 = services.save_step(
        youth_path, StepInput(kind=StepKind.COURSE, course_id=wire.id, prerequisite_ids=[y1.id]), coordinator
    )
    services.save_step(
        youth_path, StepInput(kind=StepKind.PLACEMENT, course_id=placement.id, prerequisite_ids=[y2.id]), coordinator
    )

    joined = date(2026, 9, 1)
    fatima, maryam, ahmad, paul = learners["fatima"], learners["maryam"], learners["ahmad"], learners["paul"]
    for learner, pathway in [
        (fatima, esol_path),
        (ahmad, esol_path),
        (maryam, hosp_path),
        (paul, youth_path),
    ]:
        services.join_pathway(learner, pathway, joined, coordinator)
    achievements.record_esol_levels(
        fatima,
        {"speaking": "e1", "listening": "e1", "reading": "pre_entry", "writing": "pre_entry"},
        AssessmentKind.INITIAL,
        date(2026, 9, 3),
        coordinator,
    )
    achievements.record_prior_completion(
        fatima, esol["e1"], date(2026, 7, 17), "Completed at Leicester College.", coordinator
    )
    achievements.record_esol_levels(
        maryam,
        {"speaking": "e3", "listening": "e3", "reading": "e2", "writing": "e2"},
        AssessmentKind.INITIAL,
        date(2026, 9, 4),
        coordinator,
    )
    achievements.record_esol_levels(
        ahmad,
        {"speaking": "pre_entry", "listening": "e1"},
        AssessmentKind.INITIAL,
        date(2026, 9, 4),
        coordinator,
    )
    db.session.flush()
