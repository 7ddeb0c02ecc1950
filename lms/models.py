"""Every area's models, imported in one place so metadata and Alembic see all tables."""

from lms.core.audit import AuditEvent  # noqa: F401
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
