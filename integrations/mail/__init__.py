"""Mail: the SMTP client the outbox is sent with, and an in-process SMTP server (demo, tests)."""

from sbrflow.integrations.mail.smtp import (
    MailConfigurationError,
    MailError,
    OutgoingMail,
    PermanentMailError,
    SmtpMailer,
    SmtpSettings,
    TransientMailError,
    build_email,
)

__all__ = [
    "MailConfigurationError",
    "MailError",
    "OutgoingMail",
    "PermanentMailError",
    "SmtpMailer",
    "SmtpSettings",
    "TransientMailError",
    "build_email",
]
