"""Sending mail over SMTP with the standard library's smtplib: one connection for a batch of messages.

Errors are sorted the way SMTP means them (RFC 5321 §4.2.1): a 4xx answer or a broken connection is
transient (try again later), a 5xx answer is permanent for that message (keep the server's answer),
and a refused login or TLS upgrade is the office's configuration (nothing can be sent until it is fixed).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from sbrflow.domain.errors import ConfigurationError

SECRET_PREFIX = "prefect-secret:"


class MailError(Exception):
    """Sending a message did not work."""


class TransientMailError(MailError):
    """A 4xx answer or a connection problem: the same message may go through later.

    `connection_lost` tells the sender the connection cannot be used for the next message.
    """

    def __init__(self, message: str, *, connection_lost: bool = False) -> None:
        super().__init__(message)
        self.connection_lost = connection_lost


class PermanentMailError(MailError):
    """A 5xx answer: the server will not take this message; the text is the server's answer."""


class MailConfigurationError(MailError, ConfigurationError):
    """Login or TLS refused, or the password cannot be read: fix the SBRFLOW_SMTP_* settings."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect; the password is never part of repr() or a log line."""

    host: str = "localhost"
    port: int = 0
    starttls: bool = False
    ssl: bool = False
    user: str | None = None
    password: str | None = None  # or prefect-secret:BLOCK
    timeout: float = 30.0
    ca_file: Path | None = None  # trust this CA (an office's own) instead of the system's

    def __repr__(self) -> str:
        return (f"SmtpSettings(host={self.host!r}, port={self.effective_port}, starttls={self.starttls}, "
                f"ssl={self.ssl}, user={self.user!r})")

    @property
    def effective_port(self) -> int:
        """The port given, or the usual one for the TLS mode (465 SMTPS, 587 submission, 25)."""
        return self.port or (465 if self.ssl else 587 if self.starttls else 25)

    @classmethod
    def from_settings(cls) -> SmtpSettings:
        """The SBRFLOW_SMTP_* settings."""
        from sbrflow.config.settings import get_settings

        s = get_settings()
        password = s.smtp_password.get_secret_value() if s.smtp_password is not None else None
        return cls(host=s.smtp_host, port=s.smtp_port, starttls=s.smtp_starttls, ssl=s.smtp_ssl,
                   user=s.smtp_user, password=password, timeout=s.smtp_timeout, ca_file=s.smtp_ca_file)


def resolve_password(value: str | None) -> str | None:
    """The SMTP password: as given, or read from the Prefect Secret block named after `prefect-secret:`."""
    if not value or not value.startswith(SECRET_PREFIX):
        return value
    from prefect.blocks.system import Secret  # only when configured: the mail client needs no Prefect

    block = value[len(SECRET_PREFIX):]
    try:
        return str(Secret.load(block).get())
    except ValueError as exc:
        raise MailConfigurationError(f"Prefect Secret block {block!r} (the SMTP password) cannot be loaded: "
                                     f"{exc}") from None


@dataclass(frozen=True)
class OutgoingMail:
    """One message as the outbox holds it."""

    message_id: str
    recipient: str
    subject: str
    body_text: str
    body_html: str
    reason: str


def build_email(mail: OutgoingMail, sender: str, date: datetime) -> EmailMessage:
    """The MIME message: plain text with an HTML alternative, the stored Message-ID, marked automatic."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(date)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies back to us
    message["X-Sbrflow-Reason"] = mail.reason
    message.set_content(mail.body_text)
    message.add_alternative(mail.body_html, subtype="html")
    return message


def _answer(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())}"


def _classified(code: int, answer: str) -> MailError:
    if 500 <= code < 600:
        return PermanentMailError(answer)
    return TransientMailError(answer)  # 4xx, and anything a server should not have said


class SmtpMailer:
    """One SMTP connection (SMTPS or STARTTLS, optional AUTH) that sends messages one by one."""

    def __init__(self, settings: SmtpSettings, sender: str) -> None:
        self.settings = settings
        self.sender = sender
        self._smtp: smtplib.SMTP | None = None

    def _tls_context(self) -> ssl.SSLContext:
        cafile = str(self.settings.ca_file) if self.settings.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def connect(self) -> SmtpMailer:
        """Open the connection, upgrade it to TLS and log in as configured."""
        s = self.settings
        try:
            if s.ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.effective_port, timeout=s.timeout,
                                                      context=self._tls_context())
            else:
                smtp = smtplib.SMTP(s.host, s.effective_port, timeout=s.timeout)
            self._smtp = smtp
            smtp.ehlo()
            if s.starttls:
                if not smtp.has_extn("starttls"):
                    raise MailConfigurationError(f"{s.host} does not offer STARTTLS (SBRFLOW_SMTP_STARTTLS is set)")
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, resolve_password(s.password) or "")
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise MailConfigurationError(f"{s.host} refused the login of {s.user!r}: "
                                         f"{_answer(exc.smtp_code, exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            self.close()
            raise MailConfigurationError(f"{s.host}: {exc}") from None
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise MailConfigurationError(f"{s.host}: TLS certificate not trusted ({exc.verify_message})") from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _classified(exc.smtp_code, _answer(exc.smtp_code, exc.smtp_error)) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise TransientMailError(f"cannot connect to {s.host}:{s.effective_port}: {exc}",
                                     connection_lost=True) from None
        return self

    def send(self, mail: OutgoingMail, date: datetime) -> None:
        """Send one message; returns when the server accepted it, else raises a MailError."""
        if self._smtp is None:
            raise TransientMailError("not connected", connection_lost=True)
        message = build_email(mail, self.sender, date)
        try:
            self._smtp.send_message(message, from_addr=_address(self.sender), to_addrs=[mail.recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _classified(code, _answer(code, text)) from None
        except smtplib.SMTPServerDisconnected as exc:
            self._smtp = None
            raise TransientMailError(f"connection lost: {exc}", connection_lost=True) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, …
            raise _classified(exc.smtp_code, _answer(exc.smtp_code, exc.smtp_error)) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._smtp = None
            raise TransientMailError(f"connection lost: {exc}", connection_lost=True) from None

    def close(self) -> None:
        """Say QUIT (or just drop a broken connection)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def __enter__(self) -> SmtpMailer:
        return self.connect()

    def __exit__(self, *exc_info) -> None:
        self.close()


def _address(sender: str) -> str:
    """The bare address of `Name <addr>` (the envelope sender)."""
    from email.utils import parseaddr

    return parseaddr(sender)[1] or sender

