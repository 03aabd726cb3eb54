"""An SMTP server in this process (aiosmtpd) on a free loopback port: what `make demo` sends its
messages to, and the real server the tests send to — plain, STARTTLS or SMTPS, optionally with AUTH,
and with scripted answers (a 451 once, a 550 for one address) to show how the sender reacts.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class ReceivedMail:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage = field(repr=False)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"]).strip()

    @property
    def subject(self) -> str:
        return str(self.message["Subject"]).strip()

    def text(self) -> str:
        """The plain-text body."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def html(self) -> str:
        """The HTML body."""
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: LocalSmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd API)
        refusal = self.server.refused.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        with self.server.lock:
            if self.server.scripted:
                return self.server.scripted.pop(0)
            data = envelope.original_content or envelope.content
            self.server.received.append(ReceivedMail(
                mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), data=data,
                message=message_from_bytes(data, policy=policy.default)))
        return "250 Message accepted for delivery"


class LocalSmtpServer:
    """`with LocalSmtpServer() as server:` — an SMTP server on 127.0.0.1:server.port.

    tls: an SSLContext with the server's certificate; with `implicit_tls` the connection is TLS from
    the start (SMTPS), else the server offers STARTTLS. users: {name: password} turns AUTH on (required).
    """

    def __init__(self, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None, implicit_tls: bool = False,
                 users: dict[str, str] | None = None) -> None:
        self.host = host
        self.port = _free_port(host)
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.users = users
        self.received: list[ReceivedMail] = []
        self.scripted: list[str] = []  # answers to the next DATA commands, one each, instead of 250
        self.refused: dict[str, str] = {}  # address → RCPT answer, every time
        self.logins: list[str] = []
        self.lock = threading.Lock()
        self._controller = None

    def answer_next(self, *answers: str) -> None:
        """Answer the next DATA commands with these replies (e.g. '451 4.3.0 try again later')."""
        with self.lock:
            self.scripted.extend(answers)

    def refuse(self, address: str, answer: str = "550 5.1.1 mailbox unavailable") -> None:
        """Refuse every message to this address at RCPT with the answer."""
        self.refused[address.lower()] = answer

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode()
            if self.users and self.users.get(login) == auth_data.password.decode():
                self.logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> LocalSmtpServer:
        from aiosmtpd.controller import Controller

        kwargs: dict = {}
        if self.tls is not None and self.implicit_tls:
            kwargs["ssl_context"] = self.tls
        elif self.tls is not None:
            kwargs["tls_context"] = self.tls
            kwargs["require_starttls"] = False
        if self.users is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=self.tls is not None)
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> LocalSmtpServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
