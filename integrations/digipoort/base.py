"""The Digipoort interface: submit one document, ask the new statuses of one delivery.

Two implementations: the WUS 2.0 SOAP client (client.py) for the real Digipoort, and the simulator
(simulator.py) that speaks the same messages over HTTPS on loopback. A fault Digipoort answers with
is a value (`Fault`), not an exception: it is an outcome the case records. Service trouble — a
timeout, an HTTP 5xx, a transient fault code — raises `DigipoortUnavailable`, which Prefect retries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sbrflow.domain.errors import Unavailable


@dataclass(frozen=True)
class Envelope:
    """What goes around the document in an aanleverRequest."""

    berichtsoort: str  # Omzetbelasting, Loonaangifte, …
    aanleverkenmerk: str  # our own delivery reference (unique per delivery)
    fiscal_id: str  # identiteitBelanghebbende/nummer: the OB-nummer or loonheffingennummer
    id_type: str = "Fi"
    role: str = "Bedrijf"  # rolBelanghebbende; an office delivers as intermediary (Intermediair)
    authorisation_address: str = "http://geenausp.nl"  # autorisatieAdres: none in this set-up
    file_name: str = "aangifte.xml"


@dataclass(frozen=True)
class Delivery:
    """Digipoort accepted the delivery for processing and gave it a kenmerk."""

    kenmerk: str
    berichtsoort: str
    fiscal_id: str
    at: datetime | None
    aanleverkenmerk: str | None = None


@dataclass(frozen=True)
class Fault:
    """An AanleverServiceFault / StatusinformatieServiceFault: foutcode and foutbeschrijving."""

    code: str
    description: str
    transient: bool = False


@dataclass(frozen=True)
class Status:
    """One StatusResultaat of a delivery."""

    code: str
    at: datetime | None
    description: str
    error_code: str | None = None
    error_description: str | None = None


@dataclass(frozen=True)
class StatusReport:
    """A getNieuweStatussenProcesResponse: the statuses since the last time they were asked."""

    statuses: list[Status] = field(default_factory=list)


class DigipoortUnavailable(Unavailable):
    """Digipoort did not answer usefully now (timeout, 5xx, a transient fault): try again later.

    `not_received`: certain that Digipoort did not take the message (503, refused connection, a
    transient fault code) — sending it again cannot deliver it twice. False after a read timeout or
    a connection lost mid-call: it may have arrived.
    """

    def __init__(self, message: str, *, not_received: bool) -> None:
        super().__init__(message)
        self.not_received = not_received


class Digipoort(Protocol):
    """One interface over the real Digipoort and the simulator."""

    def submit(self, document: bytes, envelope: Envelope) -> Delivery | Fault:
        """Deliver one document (aanleveren)."""

    def statuses(self, kenmerk: str, since: datetime | None = None) -> StatusReport | Fault:
        """The new statuses of one delivery (getNieuweStatussenProces)."""
