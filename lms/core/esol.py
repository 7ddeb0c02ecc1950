"""The ESOL scale and its skills: vocabulary that learners, courses, assessments and reports share."""

from __future__ import annotations

from lms.core.enums import TitledEnum
from lms.core.i18n import _l


class EsolSkill(TitledEnum):
    SPEAKING = "speaking"
    LISTENING = "listening"
    READING = "reading"
    WRITING = "writing"

    @classmethod
    def _titles(cls) -> dict:
        return _SKILL_TITLES


_SKILL_TITLES = {
    EsolSkill.SPEAKING: _l("Speaking"),
    EsolSkill.LISTENING: _l("Listening"),
    EsolSkill.READING: _l("Reading"),
    EsolSkill.WRITING: _l("Writing"),
}


class EsolLevel(TitledEnum):
    """ESOL levels in order, lowest first. `rank` compares them; CEFR is approximate."""

    PRE_ENTRY = "pre_entry"
    ENTRY_1 = "e1"
    ENTRY_2 = "e2"
    ENTRY_3 = "e3"
    LEVEL_1 = "l1"
    LEVEL_2 = "l2"

    @property
    def rank(self) -> int:
        return list(EsolLevel).index(self)

    @classmethod
    def _titles(cls) -> dict:
        return _LEVEL_TITLES

    @property
    def cefr(self) -> str:
        return {"pre_entry": "<A1", "e1": "A1", "e2": "A2", "e3": "B1", "l1": "B2", "l2": "C1"}[self.value]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, EsolLevel):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, EsolLevel):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, EsolLevel):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, EsolLevel):
            return NotImplemented
        return self.rank >= other.rank


_LEVEL_TITLES = {
    EsolLevel.PRE_ENTRY: _l("Pre-entry"),
    EsolLevel.ENTRY_1: _l("Entry 1"),
    EsolLevel.ENTRY_2: _l("Entry 2"),
    EsolLevel.ENTRY_3: _l("Entry 3"),
    EsolLevel.LEVEL_1: _l("Level 1"),
    EsolLevel.LEVEL_2: _l("Level 2"),
}
