"""Fixtures of the messages tests: a real SMTP server on loopback (aiosmtpd), a test certificate,
and a small office with one case."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, Product, Role
from sbrflow.integrations.mail import SmtpSettings
from sbrflow.integrations.mail.server import LocalSmtpServer
from sbrflow.models import Case, Client, ClientContact, Person, RoleAssignment, TeamMember
from sbrflow.models.db import unit_of_work


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost (cert file, key file), made with cryptography."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def server_tls(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def smtp_server() -> Iterator[LocalSmtpServer]:
    with LocalSmtpServer() as server:
        yield server


def settings_for(server: LocalSmtpServer, **kwargs) -> SmtpSettings:
    return SmtpSettings(host=server.host, port=server.port, timeout=5, **kwargs)


@dataclass
class Office:
    case_id: int
    client_id: int
    manager_id: int  # the relatiebeheerder
    person_id: int


@pytest.fixture
def office(db) -> Office:
    """One client (1001) with a contact, a relatiebeheerder (AB) and a VAT case with the client."""
    with unit_of_work() as session:
        manager = TeamMember(code="AB", name="Anna de Boer", email="anna@kantoor.example")
        client = Client(client_number="1001", kind=ClientKind.COMPANY, name="Jansen Holding B.V.",
                        status=ClientStatus.CLIENT)
        person = Person(contact_number="C001", first_name="Piet", last_name="Jansen", email="piet@jansen.example")
        session.add_all([manager, client, person])
        session.flush()
        session.add(ClientContact(client_id=client.id, person_id=person.id, is_primary=True))
        session.add(RoleAssignment(client_id=client.id, role=Role.RELATIEBEHEERDER, team_member_id=manager.id))
        case = Case(client_id=client.id, product=Product.VAT_RETURN, period_label="2026-Q3",
                    period_start=dt.date(2026, 7, 1), period_end=dt.date(2026, 9, 30), frequency=Frequency.QUARTER,
                    template_code="vat_return", template_version=1, state=CaseState.WITH_CLIENT,
                    deadline=dt.date(2026, 10, 31), deadline_effective=dt.date(2026, 11, 2))
        session.add(case)
        session.flush()
        return Office(case.id, client.id, manager.id, person.id)


SAMPLE = Path(__file__).resolve().parents[1] / "integrations" / "samples" / "sbr" / "VB-01_bd-rpt-ob-aangifte-2021.xbrl"


@pytest.fixture
def case_with_client(office) -> Office:
    """The office's case with its return attached as the current document (ready for an approval request)."""
    import hashlib

    from sbrflow.domain.enums import Tax
    from sbrflow.models.matching import CaseDocument
    from sbrflow.models.returns import DocumentStatus, SourceKind, SourcePackage, TaxReturnDocument

    data = SAMPLE.read_bytes()
    now = dt.datetime(2026, 10, 20, 9, tzinfo=dt.UTC)
    with unit_of_work() as session:
        source = SourcePackage(name="sim", kind=SourceKind.HTTP, url="http://127.0.0.1:1")
        session.add(source)
        session.flush()
        sha = hashlib.sha256(data).hexdigest()
        doc = TaxReturnDocument(source_package_id=source.id, source_reference="ref-1", received_at=now, sha256=sha,
                                size=len(data), content=data, status=DocumentStatus.RECEIVED, tax=Tax.OB,
                                kind="return", fiscal_id="001000044B37", period_start=dt.date(2026, 7, 1),
                                period_end=dt.date(2026, 9, 30), amount_due=3240)
        session.add(doc)
        session.flush()
        session.add(CaseDocument(case_id=office.case_id, document_id=doc.id, is_current=True, attached_at=now))
    return office
