"""What can be taught: the kinds of course and the sectors of sector-specific courses.

The curriculum (`lms/courses`) uses them for its courses, and educators' profiles (`lms/people`, below
the curriculum) for the subjects each educator may teach, so they live on the floor, as ESOL levels do.
"""

from __future__ import annotations

from lms.core.enums import TitledEnum
from lms.core.i18n import _l


class CourseKind(TitledEnum):
    ESOL_FORMAL = "esol_formal"
    ESOL_INFORMAL = "esol_informal"
    SECTOR_SKILLS = "sector_skills"
    LIFE_SKILLS = "life_skills"
    BRITISH_VALUES = "british_values"
    ANGER_STRESS = "anger_stress"
    WELLBEING = "wellbeing"
    JOB_READINESS = "job_readiness"
    EMPLOYABILITY = "employability"
    WORK_PLACEMENT = "work_placement"
    TRIP_ACTIVITY = "trip_activity"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.ESOL_FORMAL: _l("ESOL (accredited)"),
            cls.ESOL_INFORMAL: _l("ESOL (informal, conversation club)"),
            cls.SECTOR_SKILLS: _l("English and Skills for a sector"),
            cls.LIFE_SKILLS: _l("Life skills"),
            cls.BRITISH_VALUES: _l("British values and community cohesion"),
            cls.ANGER_STRESS: _l("Anger, stress and anxiety management"),
            cls.WELLBEING: _l("Wellbeing"),
            cls.JOB_READINESS: _l("Job readiness and CV"),
            cls.EMPLOYABILITY: _l("Employability and disclosure"),
            cls.WORK_PLACEMENT: _l("Work placement"),
            cls.TRIP_ACTIVITY: _l("Trip or activity"),
        }


class Sector(TitledEnum):
    HOSPITALITY = "hospitality"
    HEALTH_SOCIAL_CARE = "health_social_care"
    CHILDCARE = "childcare"
    CONSTRUCTION = "construction"
    LOGISTICS = "logistics"
    RETAIL = "retail"
    IT_ADMIN = "it_admin"
    OTHER = "other"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.HOSPITALITY: _l("Hospitality"),
            cls.HEALTH_SOCIAL_CARE: _l("Health and social care"),
            cls.CHILDCARE: _l("Childcare"),
            cls.CONSTRUCTION: _l("Construction"),
            cls.LOGISTICS: _l("Logistics and warehousing"),
            cls.RETAIL: _l("Retail and customer service"),
            cls.IT_ADMIN: _l("IT and administration"),
            cls.OTHER: _l("Other sector"),
        }
