"""WS-Security for WUS 2.0: sign the SOAP body and timestamp with the office's key, and verify it.

The XML signature itself is made and checked by `signxml` (a maintained XML-DSig library on lxml and
cryptography); this module only places it where WS-Security wants it: a wsse:Security header with a
wsu:Timestamp, the signing certificate as a BinarySecurityToken, and a KeyInfo that refers to that
token (WS-Security X.509 Token Profile 1.1). Exclusive canonicalisation, RSA-SHA256.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key
from lxml import etree
from signxml import SignatureConstructionMethod, XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
X509_TOKEN = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
TIMESTAMP_LIFETIME = timedelta(minutes=5)
# lxml parser for signed messages: no DTD, no entities, no network, no huge trees.
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                              remove_blank_text=False)


class SignatureError(Exception):
    """A message whose WS-Security signature is missing, malformed or does not verify."""


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Credentials:
    """The office's signing key and certificate, loaded once (loading and checking an RSA key costs ~60 ms)."""

    def __init__(self, key_pem: bytes, cert_pem: bytes) -> None:
        self.key = load_pem_private_key(key_pem, password=None)
        self.cert = x509.load_pem_x509_certificate(cert_pem)
        self.token = base64.b64encode(self.cert.public_bytes(Encoding.DER)).decode()


def sign(envelope: etree._Element, *, credentials: Credentials, now: datetime) -> bytes:
    """Add a wsse:Security header signing Body and Timestamp with the key; the serialised envelope."""
    header = envelope.find(f"{{{SOAP}}}Header")
    if header is None:
        header = etree.Element(f"{{{SOAP}}}Header")
        envelope.insert(0, header)
    body = envelope.find(f"{{{SOAP}}}Body")
    body_id, ts_id, token_id = (f"id-{uuid.uuid4().hex}" for _ in range(3))
    body.set(f"{{{WSU}}}Id", body_id)
    security = etree.SubElement(header, f"{{{WSSE}}}Security", nsmap={"wsse": WSSE, "wsu": WSU})
    security.set(f"{{{SOAP}}}mustUnderstand", "1")
    stamp = etree.SubElement(security, f"{{{WSU}}}Timestamp")
    stamp.set(f"{{{WSU}}}Id", ts_id)
    etree.SubElement(stamp, f"{{{WSU}}}Created").text = _iso(now)
    etree.SubElement(stamp, f"{{{WSU}}}Expires").text = _iso(now + TIMESTAMP_LIFETIME)
    token = etree.SubElement(security, f"{{{WSSE}}}BinarySecurityToken", EncodingType=BASE64, ValueType=X509_TOKEN)
    token.set(f"{{{WSU}}}Id", token_id)
    token.text = credentials.token
    key_info = etree.Element(f"{{{DS}}}KeyInfo", nsmap={"ds": DS})
    reference = etree.SubElement(etree.SubElement(key_info, f"{{{WSSE}}}SecurityTokenReference"), f"{{{WSSE}}}Reference")
    reference.set("URI", f"#{token_id}")
    reference.set("ValueType", X509_TOKEN)
    signer = XMLSigner(method=SignatureConstructionMethod.detached, signature_algorithm=SignatureMethod.RSA_SHA256,
                       digest_algorithm=DigestAlgorithm.SHA256,
                       c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    signature = signer.sign(envelope, key=credentials.key, reference_uri=[f"#{body_id}", f"#{ts_id}"], key_info=key_info)
    security.append(signature)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def verify(data: bytes, *, trusted: x509.Certificate | None = None) -> x509.Certificate:
    """The certificate that signed Body and Timestamp of this envelope; SignatureError if it did not.

    `trusted`: when given, the token's certificate must be issued by it (the caller also checks the
    TLS client certificate). The signed references must be exactly the Body and the Timestamp.
    """
    try:
        root = etree.fromstring(data, parser=SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise SignatureError(f"not XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise SignatureError("a DTD is not allowed in a SOAP message")
    token = root.find(f".//{{{WSSE}}}Security/{{{WSSE}}}BinarySecurityToken")
    body = root.find(f"{{{SOAP}}}Body")
    stamp = root.find(f".//{{{WSSE}}}Security/{{{WSU}}}Timestamp")
    if token is None or body is None or stamp is None or not token.text:
        raise SignatureError("no WS-Security header with timestamp and certificate")
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(token.text))
    except ValueError:
        raise SignatureError("the BinarySecurityToken is not an X.509 certificate") from None
    if trusted is not None:
        try:
            cert.verify_directly_issued_by(trusted)
        except (ValueError, TypeError, CryptoInvalidSignature) as exc:  # another issuer, or not its signature
            raise SignatureError(f"the signing certificate is not issued by the trusted CA ({type(exc).__name__})") from None
    try:
        results = XMLVerifier().verify(
            data, x509_cert=cert, expect_config=SignatureConfiguration(expect_references=2, require_x509=False,
                                                                       ignore_ambiguous_key_info=True))
    except (InvalidSignature, InvalidInput) as exc:
        raise SignatureError(f"signature does not verify: {exc}") from None
    signed = {r.signed_xml.get(f"{{{WSU}}}Id") for r in results}
    wanted = {body.get(f"{{{WSU}}}Id"), stamp.get(f"{{{WSU}}}Id")}
    if signed != wanted or None in wanted:
        raise SignatureError("the signature must cover exactly the SOAP Body and the Timestamp")
    return cert
