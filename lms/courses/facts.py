"""Gather what rules and pathways need to know about learners, in a fixed number of queries.

The curriculum sits below the areas that record achievements and enrolments, so it cannot import
them. Those areas register a provider instead (`register_provider`, called from `create_app`): each
adds its facts for a batch of learners with one query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa

from lms.courses.rules import LearnerFacts, StatusPeriod
from lms.extensions import db
from lms.people.models import ImmigrationStatusRecord, Learner

FactsProvider = Callable[[dict[int, LearnerFacts]], None]
_providers: list[FactsProvider] = []


def register_provider(provider: FactsProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def learner_facts(learner_ids: Iterable[int]) -> dict[int, LearnerFacts]:
    """Facts for many learners at once: a fixed number of queries however many learners there are."""
    ids = sorted(set(learner_ids))
    if not ids:
        return {}
    facts = {
        row.id: LearnerFacts(learner_id=row.id, date_of_birth=row.date_of_birth, referral_source=row.referral_source)
        for row in db.session.execute(
            sa.select(Learner.id, Learner.date_of_birth, Learner.referral_source).where(Learner.id.in_(ids))
        )
    }
    for row in db.session.execute(
        sa.select(
            ImmigrationStatusRecord.learner_id,
            ImmigrationStatusRecord.status,
            ImmigrationStatusRecord.from_date,
            ImmigrationStatusRecord.until_date,
        ).where(ImmigrationStatusRecord.learner_id.in_(ids))
    ):
        facts[row.learner_id].immigration.append(StatusPeriod(row.status, row.from_date, row.until_date))
    for provider in _providers:
        provider(facts)
    return facts
