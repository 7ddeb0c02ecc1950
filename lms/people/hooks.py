"""What the areas above people do when an account changes, told without importing them.

People sits below messaging, calendar and the API, so it cannot call them. At start-up `create_app`
registers:
- listeners for a deactivated account: the API revokes the user's tokens and the calendar the user's
  feed links, in the same transaction as the deactivation, so a leaver's cookie, token and feed all
  stop at once and a later reactivation brings none of the old secrets back;
- the link sender: messaging e-mails an invitation or password-reset link through the outbox when
  mail is configured and the user has an address, and says whether it did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lms.people.models import LinkPurpose, User

#: (the deactivated user, who deactivated them)
DeactivationListener = Callable[["User", "User"], None]
#: (the user, the link's full URL, what it is for) -> whether it was queued for sending
LinkSender = Callable[["User", str, "LinkPurpose"], bool]

_deactivation_listeners: list[DeactivationListener] = []
_link_senders: list[LinkSender] = []


def on_user_deactivated(listener: DeactivationListener) -> None:
    if listener not in _deactivation_listeners:
        _deactivation_listeners.append(listener)


def user_deactivated(user: User, actor: User) -> None:
    """Called by `people.accounts.deactivate_user` after it flushed the change."""
    for listener in _deactivation_listeners:
        listener(user, actor)


def set_link_sender(sender: LinkSender) -> None:
    _link_senders[:] = [sender]


def send_link(user: User, link: str, purpose: LinkPurpose) -> bool:
    """Queue the link for the user by e-mail; False when it cannot be sent (no sender, no mail, no address)."""
    return bool(_link_senders) and _link_senders[0](user, link, purpose)
