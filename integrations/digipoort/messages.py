"""The WUS 2.0 messages: requests and responses of AanleverService and StatusinformatieService.

Building uses lxml (the signature needs it); reading uses intake's hardened parser (no DTD, no
entities, a size limit) and local names only, like the SBR parsers: the koppelvlak namespace has a
version in it (…/koppelvlakservices/1.2/) that may change.
"""

from __future__ import annotations

import base64
from datetime import datetime
from xml.etree.ElementTree import Element

from lxml import etree

from sbrflow.domain import digipoort as codes
from sbrflow.integrations.digipoort.base import Delivery, Envelope, Fault, Status, StatusReport
from sbrflow.integrations.sbr.errors import InvalidReturnDocument
from sbrflow.integrations.sbr.safexml import children, local, read_xml

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
KV = "http://logius.nl/digipoort/koppelvlakservices/1.2/"
ACTION_AANLEVEREN = "http://logius.nl/digipoort/wus/2.0/aanleverservice/1.2/AanleverService/aanleverenRequest"
ACTION_STATUSSEN = ("http://logius.nl/digipoort/wus/2.0/statusinformatieservice/1.2/StatusinformatieService/"
                    "getNieuweStatussenProcesRequest")
RESPONSE_ACTION = {ACTION_AANLEVEREN: ACTION_AANLEVEREN.replace("Request", "Response"),
                   ACTION_STATUSSEN: ACTION_STATUSSEN.replace("Request", "Response")}
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # a status list with the tax authority's answers; far above any real one


class UnreadableMessage(Exception):
    """A saved or received message that is none of: a delivery answer, a status list, a fault."""


def iso(moment: datetime) -> str:
    """Digipoort's timestamp form: UTC with milliseconds and Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def soap_envelope(action: str, to: str, message_id: str, *,
                  relates_to: str | None = None) -> tuple[etree._Element, etree._Element]:
    """An empty SOAP 1.1 envelope with WS-Addressing headers; (envelope, body)."""
    env = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soapenv": SOAP, "wsa": WSA})
    header = etree.SubElement(env, f"{{{SOAP}}}Header")
    etree.SubElement(header, f"{{{WSA}}}Action").text = action
    etree.SubElement(header, f"{{{WSA}}}MessageID").text = message_id
    etree.SubElement(header, f"{{{WSA}}}To").text = to
    if relates_to:
        etree.SubElement(header, f"{{{WSA}}}RelatesTo").text = relates_to
    return env, etree.SubElement(env, f"{{{SOAP}}}Body")


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{KV}}}{name}")
    if text is not None:
        element.text = text
    return element


def aanleveren_request(envelope: Envelope, document: bytes, *, to: str, message_id: str) -> etree._Element:
    """The aanleverRequest for one document."""
    env, body = soap_envelope(ACTION_AANLEVEREN, to, message_id)
    request = etree.SubElement(body, f"{{{KV}}}aanleverRequest", nsmap={None: KV})
    _add(request, "berichtsoort", envelope.berichtsoort)
    _add(request, "aanleverkenmerk", envelope.aanleverkenmerk)
    identity = _add(request, "identiteitBelanghebbende")
    _add(identity, "nummer", envelope.fiscal_id)
    _add(identity, "type", envelope.id_type)
    _add(request, "rolBelanghebbende", envelope.role)
    content = _add(request, "berichtInhoud")
    _add(content, "mimeType", "text/xml")
    _add(content, "bestandsnaam", envelope.file_name)
    _add(content, "inhoud", base64.b64encode(document).decode())
    _add(request, "autorisatieAdres", envelope.authorisation_address)
    return env


def statussen_request(kenmerk: str, since: datetime | None, *, to: str, message_id: str,
                      authorisation_address: str) -> etree._Element:
    """The getNieuweStatussenProcesRequest for one kenmerk."""
    env, body = soap_envelope(ACTION_STATUSSEN, to, message_id)
    request = etree.SubElement(body, f"{{{KV}}}getNieuweStatussenProcesRequest", nsmap={None: KV})
    _add(request, "kenmerk", kenmerk)
    _add(request, "autorisatieAdres", authorisation_address)
    if since is not None:
        _add(request, "tijdstempelVanaf", iso(since))
    return env


def aanlever_response(delivery: Delivery, envelope: Envelope, *, message_id: str, relates_to: str) -> etree._Element:
    """The aanleverResponse Digipoort sends back (the shape of samples/digipoort/aanleveren-response-ok.xml)."""
    env, body = soap_envelope(RESPONSE_ACTION[ACTION_AANLEVEREN], "http://www.w3.org/2005/08/addressing/anonymous",
                              message_id, relates_to=relates_to)
    response = etree.SubElement(body, f"{{{KV}}}aanleverResponse", nsmap={None: KV})
    _add(response, "kenmerk", delivery.kenmerk)
    _add(response, "berichtsoort", delivery.berichtsoort)
    _add(response, "aanleverkenmerk", envelope.aanleverkenmerk)
    _add(response, "tijdstempelAangeleverd", iso(delivery.at))
    identity = _add(response, "identiteitBelanghebbende")
    _add(identity, "nummer", delivery.fiscal_id)
    _add(identity, "type", envelope.id_type)
    _add(response, "rolBelanghebbende", envelope.role)
    receiver = _add(response, "identiteitOntvanger")
    _add(receiver, "nummer", "00000002003214394002")  # the tax authority's OIN, as in the sample
    _add(receiver, "type", "OIN")
    _add(response, "autorisatieAdres", envelope.authorisation_address)
    return env


def statussen_response(kenmerk: str, fiscal_id: str, statuses: list[Status], *, message_id: str,
                       relates_to: str) -> etree._Element:
    """A getNieuweStatussenProcesResponse (the shape of the happy-flow sample)."""
    env, body = soap_envelope(RESPONSE_ACTION[ACTION_STATUSSEN], "http://www.w3.org/2005/08/addressing/anonymous",
                              message_id, relates_to=relates_to)
    response = etree.SubElement(body, f"{{{KV}}}getNieuweStatussenProcesResponse", nsmap={None: KV})
    result = _add(response, "getNieuweStatussenProcesReturn")
    for item in statuses:
        row = _add(result, "StatusResultaat")
        _add(row, "kenmerk", kenmerk)
        identity = _add(row, "identiteitBelanghebbende")
        _add(identity, "nummer", fiscal_id)
        _add(identity, "type", "Fi")
        _add(row, "statuscode", item.code)
        _add(row, "tijdstempelStatus", iso(item.at))
        _add(row, "statusomschrijving", item.description)
        if item.error_code:
            error = _add(row, "statusFoutcode")
            _add(error, "foutcode", item.error_code)
            _add(error, "foutbeschrijving", item.error_description or "")
    return env


def fault_response(service: str, fault: Fault, *, message_id: str, relates_to: str) -> etree._Element:
    """A SOAP Fault with an AanleverServiceFault or StatusinformatieServiceFault detail."""
    env, body = soap_envelope(f"{RESPONSE_ACTION.get(service, service)}/Fault", "http://www.w3.org/2005/08/addressing/anonymous",
                              message_id, relates_to=relates_to)
    soap_fault = etree.SubElement(body, f"{{{SOAP}}}Fault")
    etree.SubElement(soap_fault, "faultcode").text = "soapenv:Client" if not fault.transient else "soapenv:Server"
    etree.SubElement(soap_fault, "faultstring").text = fault.description
    detail = etree.SubElement(soap_fault, "detail")
    name = "AanleverServiceFault" if service == ACTION_AANLEVEREN else "StatusinformatieServiceFault"
    holder = etree.SubElement(detail, f"{{{KV}}}{name}", nsmap={None: KV})
    _add(holder, "foutcode", fault.code)
    _add(holder, "foutbeschrijving", fault.description)
    return env


# --- reading -------------------------------------------------------------------------------------

def _text(parent: Element | None, name: str) -> str | None:
    if parent is None:
        return None
    for child in parent:
        if local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def _find(parent: Element, name: str) -> Element | None:
    return next((child for child in parent if local(child.tag) == name), None)


def parse_timestamp(text: str | None) -> datetime | None:
    """Digipoort's ISO timestamp (with Z) as an aware datetime; None when absent."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableMessage(f"timestamp {text[:40]!r} is not an ISO date-time") from None


def read(data: bytes) -> Delivery | Fault | StatusReport:
    """What a Digipoort response says: a delivery, a status list, or a fault (UnreadableMessage if none)."""
    try:
        root = read_xml(data, max_bytes=MAX_RESPONSE_BYTES)
    except InvalidReturnDocument as exc:
        raise UnreadableMessage(str(exc)) from None
    if local(root.tag) != "Envelope":
        raise UnreadableMessage(f"the root element is {local(root.tag)!r}, not a SOAP Envelope")
    body = _find(root, "Body")
    if body is None or not len(body):
        raise UnreadableMessage("the SOAP envelope has no Body content")
    content = body[0]
    name = local(content.tag)
    if name == "Fault":
        detail = _find(content, "detail")
        holder = detail[0] if detail is not None and len(detail) else None
        code = _text(holder, "foutcode")
        if code is None:
            raise UnreadableMessage("a SOAP Fault without a Digipoort foutcode")
        meaning = codes.fault(code)
        return Fault(code=code, description=_text(holder, "foutbeschrijving") or _text(content, "faultstring") or "",
                     transient=meaning.transient)
    if name == "aanleverResponse":
        kenmerk = _text(content, "kenmerk")
        if not kenmerk:
            raise UnreadableMessage("an aanleverResponse without a kenmerk")
        return Delivery(kenmerk=kenmerk, berichtsoort=_text(content, "berichtsoort") or "",
                        fiscal_id=_text(_find(content, "identiteitBelanghebbende"), "nummer") or "",
                        at=parse_timestamp(_text(content, "tijdstempelAangeleverd")),
                        aanleverkenmerk=_text(content, "aanleverkenmerk"))
    if name in ("getNieuweStatussenProcesResponse", "getStatussenProcesResponse"):
        holder = content[0] if len(content) else content
        statuses = []
        for row in children(holder, "StatusResultaat"):
            error = _find(row, "statusFoutcode")
            error_code = _text(error, "foutcode") if error is not None and len(error) else (
                (error.text or "").strip() or None if error is not None else None)
            statuses.append(Status(code=_text(row, "statuscode") or "", at=parse_timestamp(_text(row, "tijdstempelStatus")),
                                   description=_text(row, "statusomschrijving") or "", error_code=error_code,
                                   error_description=_text(error, "foutbeschrijving") if error is not None else None))
        if any(not s.code for s in statuses):
            raise UnreadableMessage("a StatusResultaat without a statuscode")
        return StatusReport(statuses=statuses)
    raise UnreadableMessage(f"the SOAP Body holds {name!r}: not a Digipoort delivery answer, status list or fault")


def to_json(message: Delivery | Fault | StatusReport) -> dict:
    """The contract of `sbrflow digipoort parse --json`."""
    if isinstance(message, Delivery):
        return {"kind": "delivered", "kenmerk": message.kenmerk, "berichtsoort": message.berichtsoort,
                "fiscal_id": message.fiscal_id, "at": message.at.isoformat() if message.at else None}
    if isinstance(message, Fault):
        return {"kind": "fault", "code": message.code, "description": message.description}
    final = codes.outcome([s.code for s in message.statuses])
    return {"kind": "statuses",
            "statuses": [{"code": s.code, "at": s.at.isoformat() if s.at else None, "description": s.description,
                          "error_code": s.error_code, "error_description": s.error_description}
                         for s in message.statuses],
            "final": final.value if final in (codes.Outcome.ACCEPTED, codes.Outcome.FAILED) else None}
