"""A throw-away PKI for the simulator and the tests: a CA, a server certificate, an office certificate.

Real Digipoort needs a PKIoverheid services certificate; here a test CA made with `cryptography`
stands in for PKIoverheid. Files are PEM; keys unencrypted (test material only).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class TestPki:
    """Paths of the PEM files of one test PKI."""

    folder: Path

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def server_cert(self) -> Path:
        return self.folder / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.folder / "server-key.pem"

    @property
    def client_cert(self) -> Path:
        return self.folder / "office.pem"

    @property
    def client_key(self) -> Path:
        return self.folder / "office-key.pem"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sbrflow test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _issue(subject: str, key, ca_key, ca_name: x509.Name, *, usage, san=None, ca: bool = False) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(ca_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
               .not_valid_after(now + timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                    critical=False)
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    if ca:
        builder = builder.add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                      content_commitment=False, key_encipherment=False,
                                                      data_encipherment=False, key_agreement=False,
                                                      encipher_only=False, decipher_only=False), critical=True)
    return builder.sign(ca_key, hashes.SHA256())


def make_test_pki(folder: Path, *, office_name: str = "Kantoor test services") -> TestPki:
    """Create (or reuse, when complete) a CA, a loopback server certificate and an office certificate."""
    pki = TestPki(Path(folder))
    files = (pki.ca_cert, pki.server_cert, pki.server_key, pki.client_cert, pki.client_key)
    if all(f.exists() for f in files):
        return pki
    pki.folder.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca_name = _name("sbrflow test CA (stands in for PKIoverheid)")
    ca = _issue("sbrflow test CA (stands in for PKIoverheid)", ca_key, ca_key, ca_name, usage=None, ca=True)
    server_key, client_key = _key(), _key()
    server = _issue("localhost", server_key, ca_key, ca_name, usage=[ExtendedKeyUsageOID.SERVER_AUTH],
                    san=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    client = _issue(office_name, client_key, ca_key, ca_name, usage=[ExtendedKeyUsageOID.CLIENT_AUTH])
    pem = serialization.Encoding.PEM
    pki.ca_cert.write_bytes(ca.public_bytes(pem))
    pki.server_cert.write_bytes(server.public_bytes(pem))
    pki.client_cert.write_bytes(client.public_bytes(pem))
    _write_key(pki.server_key, server_key)
    _write_key(pki.client_key, client_key)
    return pki


def make_foreign_client(folder: Path) -> tuple[Path, Path]:
    """A self-signed client certificate and key that no test CA issued (for refusal tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    key = _key()
    cert = _issue("intruder", key, key, _name("intruder"), usage=[ExtendedKeyUsageOID.CLIENT_AUTH])
    cert_path, key_path = folder / "intruder.pem", folder / "intruder-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key_path, key)
    return cert_path, key_path
