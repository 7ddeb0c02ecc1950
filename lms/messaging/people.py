"""How to reach a learner or a user, and in which language."""

from __future__ import annotations

from collections.abc import Callable

from lms.core.i18n import is_supported
from lms.messaging.models import Channel
from lms.people.models import Learner, User


def learner_locale(learner: Learner) -> str:
    if learner.user is not None and is_supported(learner.user.locale):
        return learner.user.locale
    for tag in learner.language_tags:
        if is_supported(tag.split("-")[0]):
            return tag.split("-")[0]
    return "en_GB"


def learner_address(learner: Learner) -> tuple[Channel, str] | None:
    """SMS when they have a mobile (most do), e-mail otherwise, nothing if neither."""
    if learner.phone:
        return Channel.SMS, learner.phone
    if learner.email:
        return Channel.EMAIL, learner.email
    return None


def user_address(user: User) -> tuple[Channel, str] | None:
    if user.email:
        return Channel.EMAIL, user.email
    if user.phone:
        return Channel.SMS, user.phone
    return None


def queue_for_learner(learner: Learner, key: str, compose: Callable[[str], tuple[str, str]]) -> bool:
    """Queue a message to a learner in their language: `compose(locale)` returns (subject, body) and runs
    with that locale active. Learners with neither phone nor e-mail are skipped."""
    from lms.core.i18n import force_locale
    from lms.messaging.services import queue

    address, locale = learner_address(learner), learner_locale(learner)
    if address is None:
        return False
    with force_locale(locale):
        subject, body = compose(locale)
    return queue(
        key, channel=address[0], recipient=address[1], subject=subject, body=body, locale=locale, learner_id=learner.id
    )
