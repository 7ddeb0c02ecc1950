"""Where messages go: a log (development and tests), SMTP e-mail, or GOV.UK Notify (SMS and e-mail)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol

from flask import current_app

from lms.messaging.models import Channel, OutboxMessage

log = logging.getLogger(__name__)


class TransportError(Exception):
    """Sending failed; the outbox retries later."""


class Transport(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


class LogTransport:
    """Writes that a message was sent, without its body (bodies can hold names and times)."""

    def __init__(self) -> None:
        self.sent: list[OutboxMessage] = []

    def send(self, message: OutboxMessage) -> None:
        self.sent.append(message)
        log.info("Message %s sent by %s (%s)", message.id, message.channel.value, message.key.split(":")[0])


class SmtpTransport:
    def send(self, message: OutboxMessage) -> None:
        if message.channel is not Channel.EMAIL:
            raise TransportError("SMTP sends e-mail only")
        config = current_app.config
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = config["MAIL_FROM"], message.recipient, message.subject
        email.set_content(message.body)
        try:
            with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20) as smtp:
                if config.get("SMTP_STARTTLS", True):
                    smtp.starttls()
                if config.get("SMTP_USERNAME"):
                    smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as error:
            raise TransportError(str(error)) from error


class NotifyTransport:
    """GOV.UK Notify through its Python client (`pip install notifications-python-client`). Templates in
    Notify take `((subject))` and `((body))` personalisation, so our translated text passes through."""

    def send(self, message: OutboxMessage) -> None:
        from notifications_python_client.errors import APIError
        from notifications_python_client.notifications import NotificationsAPIClient

        config = current_app.config
        client = NotificationsAPIClient(config["NOTIFY_API_KEY"])
        personalisation = {"subject": message.subject, "body": message.body}
        try:
            if message.channel is Channel.SMS:
                client.send_sms_notification(
                    phone_number=message.recipient,
                    template_id=config["NOTIFY_SMS_TEMPLATE_ID"],
                    personalisation=personalisation,
                    reference=message.key,
                )
            else:
                client.send_email_notification(
                    email_address=message.recipient,
                    template_id=config["NOTIFY_EMAIL_TEMPLATE_ID"],
                    personalisation=personalisation,
                    reference=message.key,
                )
        except (APIError, OSError) as error:
            raise TransportError(str(error)) from error


def configured_transport() -> Transport:
    name = current_app.config["MESSAGE_TRANSPORT"]
    if name == "smtp":
        return SmtpTransport()
    if name == "notify":
        return NotifyTransport()
    return current_app.extensions.setdefault("lms_log_transport", LogTransport())
