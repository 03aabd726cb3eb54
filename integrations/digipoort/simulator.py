"""A Digipoort simulator: both WUS services over HTTPS on loopback, with mutual TLS and signed messages.

It requires a client certificate issued by its test CA, verifies the WS-Security signature of every
request (and that the signing certificate is the TLS client certificate), and answers with messages
shaped like the real ones in samples/digipoort/. The scenario is chosen per delivery, like Digipoort's
test environment, by the fiscal number in the envelope — here by its last two digits (the number after
the B or L), so that any valid OB-nummer or loonheffingennummer can be used:

| fiscal number ends in | scenario                                                         |
|-----------------------|------------------------------------------------------------------|
| …90                   | immediate delivery fault ALS103 (no kenmerk)                       |
| …91                   | validation error: 105, 100, 110, 200, then 311 (final)             |
| …92                   | tax authority error: … 301, 405, then 410 (final)                  |
| …93                   | 420, then on the next status request 400, 500 (success)            |
| …94                   | 420 and nothing after it (Digipoort keeps retrying; we give up at 72 h) |
| anything else         | happy flow: 105, 100, 110, 200, 301, then 301, 405, 400, 500        |

Statuses come out in two parts, on the first and second status request after the delivery, so a
follower has to come back as it must for real. `error_rate` answers that share of requests with HTTP
503, `slow_rate` that share after `slow_seconds`; `received` counts the delivery messages per
aanleverkenmerk (the "exactly once" check of the concurrency test).
"""

from __future__ import annotations

import random
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from sbrflow.domain import digipoort as codes
from sbrflow.integrations.digipoort import messages, wss
from sbrflow.integrations.digipoort.base import Delivery, Envelope, Fault, Status
from sbrflow.integrations.digipoort.testpki import TestPki
from sbrflow.integrations.sbr.safexml import local, read_xml

AANLEVER_PATH = "/wus/2.0/aanleverservice/1.2"
STATUS_PATH = "/wus/2.0/statusinformatieservice/1.2"
HAPPY_FIRST = ["105", "100", "110", "200", "301"]
HAPPY_REST = ["301", "405", "400", "500"]
# scenario name → (statuses on the first request, statuses on the second request)
SCENARIOS: dict[str, tuple[list[str], list[str]]] = {
    "happy": (HAPPY_FIRST, HAPPY_REST),
    "validation_error": (["105", "100", "110", "200", "311"], []),
    "tax_authority_error": (HAPPY_FIRST + ["405", "410"], []),
    "retry_then_success": (HAPPY_FIRST + ["405", "420"], ["400", "500"]),
    "retry_forever": (HAPPY_FIRST + ["405", "420"], []),
}
BY_SUFFIX = {"90": "delivery_fault", "91": "validation_error", "92": "tax_authority_error",
             "93": "retry_then_success", "94": "retry_forever"}
STATUS_ERRORS = {"311": ("GEN001", "Het bericht voldoet niet aan het schema (simulator)."),
                 "410": ("BD0410", "De Belastingdienst kan het bericht niet verwerken (simulator)."),
                 "420": ("BD0420", "Uitvragende partij tijdelijk niet bereikbaar (simulator).")}


def scenario_for(fiscal_id: str) -> str:
    """The scenario of a delivery for this fiscal number (see the table above)."""
    return BY_SUFFIX.get(fiscal_id[-2:], "happy")


@dataclass
class _Stored:
    fiscal_id: str
    scenario: str
    requests: int = 0


@dataclass
class Faults:
    """Transport trouble to inject: 503s and slow answers (seeded)."""

    error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 2.0
    seed: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def roll(self) -> tuple[bool, bool]:
        return self._random.random() < self.error_rate, self._random.random() < self.slow_rate


class DigipoortSimulator:
    """The simulator as an object: start() in a thread (tests), serve_forever() in the foreground (CLI)."""

    def __init__(self, pki: TestPki, *, host: str = "127.0.0.1", port: int = 0, faults: Faults | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.pki, self.faults, self.clock = pki, faults or Faults(), clock
        self.ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
        self.deliveries: dict[str, _Stored] = {}
        self.received: Counter[str] = Counter()  # aanleverkenmerk → delivery messages received
        self.rejected_signatures = 0
        self._lock = threading.Lock()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca_cert))
        context.load_cert_chain(str(pki.server_cert), str(pki.server_key))
        context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: no client certificate, no connection
        self._server = _QuietServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True,
                                                  do_handshake_on_connect=False)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"https://{host}:{port}"

    @property
    def aanlever_url(self) -> str:
        return self.url + AANLEVER_PATH

    @property
    def status_url(self) -> str:
        return self.url + STATUS_PATH

    def start(self) -> DigipoortSimulator:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="digipoort-simulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown() if self._thread else None
        self._server.server_close()

    def __enter__(self) -> DigipoortSimulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the two services ----------------------------------------------------------------------

    def aanleveren(self, request) -> Delivery | Fault:
        envelope = Envelope(berichtsoort=_text(request, "berichtsoort"), aanleverkenmerk=_text(request, "aanleverkenmerk"),
                            fiscal_id=_text(_child(request, "identiteitBelanghebbende"), "nummer"),
                            id_type=_text(_child(request, "identiteitBelanghebbende"), "type") or "Fi",
                            role=_text(request, "rolBelanghebbende") or "Bedrijf",
                            authorisation_address=_text(request, "autorisatieAdres") or "http://geenausp.nl")
        with self._lock:
            self.received[envelope.aanleverkenmerk] += 1
        if not envelope.fiscal_id or not envelope.berichtsoort or not _text(_child(request, "berichtInhoud"), "inhoud"):
            return Fault("ALS100", codes.fault("ALS100").dutch)
        scenario = scenario_for(envelope.fiscal_id)
        if scenario == "delivery_fault":
            return Fault("ALS103", codes.fault("ALS103").dutch)
        kenmerk = str(uuid.uuid4())
        with self._lock:
            self.deliveries[kenmerk] = _Stored(envelope.fiscal_id, scenario)
        return Delivery(kenmerk=kenmerk, berichtsoort=envelope.berichtsoort, fiscal_id=envelope.fiscal_id,
                        at=self.clock(), aanleverkenmerk=envelope.aanleverkenmerk)

    def statussen(self, request) -> tuple[str, str, list[Status]] | Fault:
        kenmerk = _text(request, "kenmerk")
        with self._lock:
            stored = self.deliveries.get(kenmerk or "")
            if stored is None:
                return Fault("STS101", codes.fault("STS101").dutch)
            stored.requests += 1
            number = stored.requests
        first, rest = SCENARIOS[stored.scenario]
        chain = first if number == 1 else rest if number == 2 else []
        now = self.clock()
        statuses = []
        for i, code in enumerate(chain):
            error = STATUS_ERRORS.get(code)
            statuses.append(Status(code=code, at=now + timedelta(milliseconds=10 * i),
                                   description=codes.status(code).dutch,
                                   error_code=error[0] if error else None, error_description=error[1] if error else None))
        return kenmerk, stored.fiscal_id, statuses


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A refused TLS handshake (no or a foreign client certificate) is the point, not an error.
        import sys

        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            super().handle_error(request, client_address)


def _child(parent, name: str):
    if parent is None:
        return None
    return next((c for c in parent if local(c.tag) == name), None)


def _text(parent, name: str) -> str | None:
    found = _child(parent, name)
    return (found.text or "").strip() or None if found is not None else None


def _handler(sim: DigipoortSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: one TLS handshake per client, not per call
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

        def log_message(self, *args) -> None:  # quiet; the counters tell what happened
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length)
            error, slow = sim.faults.roll()
            if slow:
                time.sleep(sim.faults.slow_seconds)
            if error:
                return self._send(503, b"Service Unavailable (simulated)", "text/plain")
            service = {AANLEVER_PATH: messages.ACTION_AANLEVEREN, STATUS_PATH: messages.ACTION_STATUSSEN}.get(self.path)
            if service is None:
                return self._send(404, b"no such service", "text/plain")
            message_id = f"urn:uuid:{uuid.uuid4()}"
            try:
                root = read_xml(data, max_bytes=messages.MAX_RESPONSE_BYTES)
                signer = wss.verify(data, trusted=sim.ca)
            except Exception as exc:  # noqa: BLE001 — any unreadable or unsigned request is the same fault
                with sim._lock:
                    sim.rejected_signatures += 1
                return self._fault(service, Fault("ALS109", f"{codes.fault('ALS109').dutch} ({type(exc).__name__})"),
                                   message_id, "")
            peer = self.connection.getpeercert(binary_form=True)
            if peer is None or signer.public_bytes(Encoding.DER) != peer:
                with sim._lock:
                    sim.rejected_signatures += 1
                return self._fault(service, Fault("ALS108", codes.fault("ALS108").dutch), message_id, "")
            relates_to = _text(_child(root, "Header"), "MessageID") or ""
            body = _child(root, "Body")
            request = body[0] if body is not None and len(body) else None
            if service == messages.ACTION_AANLEVEREN:
                answer = sim.aanleveren(request)
                if isinstance(answer, Fault):
                    return self._fault(service, answer, message_id, relates_to)
                envelope = Envelope(berichtsoort=answer.berichtsoort, aanleverkenmerk=answer.aanleverkenmerk or "",
                                    fiscal_id=answer.fiscal_id)
                xml = messages.aanlever_response(answer, envelope, message_id=message_id, relates_to=relates_to)
            else:
                answer = sim.statussen(request)
                if isinstance(answer, Fault):
                    return self._fault(service, answer, message_id, relates_to)
                kenmerk, fiscal_id, statuses = answer
                xml = messages.statussen_response(kenmerk, fiscal_id, statuses, message_id=message_id,
                                                  relates_to=relates_to)
            self._send(200, _serialise(xml), "text/xml; charset=utf-8")

        def _fault(self, service: str, fault: Fault, message_id: str, relates_to: str) -> None:
            xml = messages.fault_response(service, fault, message_id=message_id, relates_to=relates_to)
            self._send(500, _serialise(xml), "text/xml; charset=utf-8")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _serialise(xml) -> bytes:
    return etree.tostring(xml, xml_declaration=True, encoding="UTF-8")
