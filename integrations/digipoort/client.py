"""The WUS 2.0 SOAP client: mutual TLS with the office's certificate, WS-Addressing, WS-Security.

One requests.Session per client keeps the TLS connection open between calls. Every call has a
connect and a read timeout; a timeout, a connection error or an HTTP 5xx without a Digipoort fault
raises DigipoortUnavailable (Prefect's task retries take it from there).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import requests

from sbrflow.integrations.digipoort import messages, wss
from sbrflow.integrations.digipoort.base import Delivery, DigipoortUnavailable, Envelope, Fault, StatusReport


class WusClient:
    """Talks to AanleverService and StatusinformatieService at the given URLs."""

    def __init__(self, aanlever_url: str, status_url: str, *, cert_file: Path, key_file: Path,
                 ca_file: Path | None = None, connect_timeout: float = 5.0, read_timeout: float = 30.0,
                 authorisation_address: str = "http://geenausp.nl",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.aanlever_url, self.status_url = aanlever_url, status_url
        self._credentials = wss.Credentials(Path(key_file).read_bytes(), Path(cert_file).read_bytes())
        self._timeout = (connect_timeout, read_timeout)
        self._authorisation_address = authorisation_address
        self._clock = clock
        self._http = requests.Session()
        self._http.cert = (str(cert_file), str(key_file))  # mutual TLS: the office's services certificate
        # Passed on every request: a session-level `verify` loses to REQUESTS_CA_BUNDLE (requests#3829).
        self._verify = str(ca_file) if ca_file else True

    def close(self) -> None:
        """Close the kept-open connections."""
        self._http.close()

    def submit(self, document: bytes, envelope: Envelope) -> Delivery | Fault:
        """aanleveren: deliver one document; the kenmerk, or Digipoort's fault."""
        request = messages.aanleveren_request(envelope, document, to=self.aanlever_url,
                                              message_id=f"urn:uuid:{uuid.uuid4()}")
        answer = self._call(self.aanlever_url, messages.ACTION_AANLEVEREN, request)
        if not isinstance(answer, (Delivery, Fault)):
            raise messages.UnreadableMessage("AanleverService answered with a status list")
        return answer

    def statuses(self, kenmerk: str, since: datetime | None = None) -> StatusReport | Fault:
        """getNieuweStatussenProces: the statuses of one delivery not fetched before."""
        request = messages.statussen_request(kenmerk, since, to=self.status_url, message_id=f"urn:uuid:{uuid.uuid4()}",
                                             authorisation_address=self._authorisation_address)
        answer = self._call(self.status_url, messages.ACTION_STATUSSEN, request)
        if isinstance(answer, Delivery):
            raise messages.UnreadableMessage("StatusinformatieService answered with a delivery")
        return answer

    def _call(self, url: str, action: str, envelope) -> Delivery | Fault | StatusReport:
        body = wss.sign(envelope, credentials=self._credentials, now=self._clock())
        try:
            response = self._http.post(url, data=body, timeout=self._timeout, verify=self._verify, headers={
                "Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'})
        except (requests.ConnectTimeout, requests.exceptions.SSLError) as exc:
            # Never connected, or the TLS handshake failed: the request was not sent.
            raise DigipoortUnavailable(f"{url}: {type(exc).__name__}", not_received=True) from None
        except requests.ConnectionError as exc:
            refused = "NewConnectionError" in repr(exc) or "Connection refused" in str(exc)
            raise DigipoortUnavailable(f"{url}: {type(exc).__name__}", not_received=refused) from None
        except requests.Timeout as exc:  # read timeout: sent, no answer in time
            raise DigipoortUnavailable(f"{url}: no answer within {self._timeout[1]} s ({type(exc).__name__})",
                                       not_received=False) from None
        if response.status_code in (429, 502, 503, 504):
            raise DigipoortUnavailable(f"{url}: HTTP {response.status_code}", not_received=True)
        if response.status_code not in (200, 500):
            raise DigipoortUnavailable(f"{url}: HTTP {response.status_code}", not_received=False)
        answer = messages.read(response.content)
        if isinstance(answer, Fault) and answer.transient:
            raise DigipoortUnavailable(f"{url}: {answer.code} {answer.description}", not_received=True)
        return answer
