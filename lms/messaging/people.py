"""How to reach a learner or a user, and in which language."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from lms.core.i18n import _, force_locale, is_supported
from lms.core.tokens import token_hash
from lms.messaging.models import Channel
from lms.people.models import Learner, LinkPurpose, User


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


def mail_configured() -> bool:
    """Whether e-mail really leaves: SMTP, or GOV.UK Notify with an e-mail template ("log" only logs)."""
    config = current_app.config
    return config["MESSAGE_TRANSPORT"] == "smtp" or (
        config["MESSAGE_TRANSPORT"] == "notify" and bool(config["NOTIFY_EMAIL_TEMPLATE_ID"])
    )


def send_account_link(user: User, link: str, purpose: LinkPurpose) -> bool:
    """Queue an invitation or password-reset link to the user's e-mail address, in their language.
    False, and nothing queued, when mail is not configured or the user has no address: the page then
    shows the link for the editor to hand over (people.hooks registers this at start-up)."""
    from lms.messaging.services import queue

    if not user.email or not mail_configured():
        return False
    locale = user.locale if is_supported(user.locale) else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        if purpose is LinkPurpose.INVITE:
            subject = _("Your Pathways account")
            body = _(
                "Hello %(name)s,\n\n%(organisation)s has made you an account on Pathways. Open this link to "
                "choose your password:\n\n%(link)s\n\nThe link works once.",
                name=user.display_name,
                organisation=user.organisation.name,
                link=link,
            )
        else:
            subject = _("Set a new Pathways password")
            body = _(
                "Hello %(name)s,\n\nOpen this link to set a new password for Pathways:\n\n%(link)s\n\n"
                "The link works once. If you did not ask for this, tell your coordinator.",
                name=user.display_name,
                link=link,
            )
    # The key is the link's hash: the same link is never queued twice, and the key reveals nothing.
    return queue(
        "account-link:" + token_hash(link)[:40],
        channel=Channel.EMAIL,
        recipient=user.email,
        subject=subject,
        body=body,
        locale=locale,
        user_id=user.id,
    )
