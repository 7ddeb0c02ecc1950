"""Roles a user can hold, with their translated titles."""

from __future__ import annotations

from lms.core.enums import TitledEnum
from lms.core.i18n import _l


class Role(TitledEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    EDUCATOR = "educator"
    LEARNER = "learner"
    FUNDER_VIEWER = "funder_viewer"

    @classmethod
    def _titles(cls) -> dict:
        return _ROLE_TITLES


_ROLE_TITLES = {
    Role.ADMIN: _l("Administrator"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.EDUCATOR: _l("Educator"),
    Role.LEARNER: _l("Learner"),
    Role.FUNDER_VIEWER: _l("Funder viewer"),
}

#: Roles that work for a provider and may see learners' records at all.
STAFF_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.EDUCATOR})
