"""Every area's models, imported in one place so metadata and Alembic see all tables."""

from lms.messaging.models import JobRun, OutboxMessage  # noqa: F401, I001

from lms.scheduling.models import CalendarFeed, Cohort, DropInAttendee, Enrolment, Referral, Session, Venue  # noqa: F401, I001
from lms.assessments.models import (  # noqa: F401, I001
    AbsenceNotice,
    AttendanceChange,
    AttendanceMark,
    Certificate,
    LearningPlan,
    Outcome,
    Placement,
    QualificationResult,
    CourseCompletion,
    EsolAssessment,
    ExternalCertificate,
)
from lms.core.audit import AuditEvent  # noqa: F401
from lms.api.models import ApiRateWindow, ApiToken, IdempotentRequest  # noqa: F401
from lms.courses.models import (  # noqa: F401
    CertificateType,
    Course,
    CourseTranslation,
    EligibilityCheck,
    EligibilityRule,
    Pathway,
    PathwayMembership,
    PathwayStep,
    Programme,
    ProgrammeTarget,
    Qualification,
    ReportingPeriod,
)
from lms.people.models import (  # noqa: F401
    AuthSession,
    EducatorProfile,
    ImmigrationStatusRecord,
    Learner,
    LearnerSensitive,
    LoginAttempt,
    LoginLink,
    Organisation,
    User,
    UserRole,
)
