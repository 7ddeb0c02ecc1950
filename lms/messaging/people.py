"""How to reach a learner or a user, and in which language."""

from __future__ import annotations

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
