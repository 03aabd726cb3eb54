"""A small CRM for search, the query manager, custom properties and risk: four clients, four persons, a team."""

from __future__ import annotations

import pytest

from sbrflow.domain.enums import (
    AddressKind,
    ClientKind,
    ClientStatus,
    Frequency,
    LegalForm,
    Product,
    Role,
)
from sbrflow.models import (
    Address,
    Client,
    ClientContact,
    Person,
    RoleAssignment,
    Subscription,
    TeamMember,
)
from sbrflow.models.db import unit_of_work
from sbrflow.tasks import team


def build_crm() -> None:
    with unit_of_work() as session:
        an = TeamMember(code="AN", name="Anna Admin")
        bo = TeamMember(code="BO", name="Bob de Boer")
        ci = TeamMember(code="CI", name="Cees")
        clients = {
            "1001": Client(client_number="1001", name="Bakkerij Müller B.V.", kind=ClientKind.COMPANY,
                           status=ClientStatus.CLIENT, legal_form=LegalForm.BV, bsn=None),
            "1002": Client(client_number="1002", name="Café Het Hoekje", kind=ClientKind.COMPANY,
                           status=ClientStatus.CLIENT, legal_form=LegalForm.GENERAL_PARTNERSHIP),
            "1003": Client(client_number="1003", name="Muller Transport B.V.", kind=ClientKind.COMPANY,
                           status=ClientStatus.CLIENT, legal_form=LegalForm.BV),
            "10010": Client(client_number="10010", name="Zeeman Bouw", kind=ClientKind.PERSON,
                            status=ClientStatus.PROSPECT, bsn="111222333"),
        }
        persons = {
            "P1": Person(contact_number="P1", first_name="José", name_prefix="de", last_name="Vries",
                         email="jose@muller.example", bsn="123456782"),
            "P2": Person(contact_number="P2", first_name="Anna", last_name="Jansen"),
            "P3": Person(contact_number="P3", first_name="Piet", last_name="Müller", email="piet@example.nl"),
            "P4": Person(contact_number="P4", first_name="Zoë", last_name="Zeeman", email="zoe@zeeman.example",
                         bsn="111222333"),
        }
        session.add_all([an, bo, ci, *clients.values(), *persons.values()])
        session.flush()
        for client, person, function, share, primary in (("1001", "P1", "DGA", 100, True),
                                                        ("1002", "P2", "DGA", 50, True),
                                                        ("1003", "P3", "directeur", None, True),
                                                        ("1003", "P1", "DGA", 30, False),
                                                        ("10010", "P4", None, None, True)):
            session.add(ClientContact(client_id=clients[client].id, person_id=persons[person].id, function=function,
                                      share_percentage=share, is_primary=primary))
        for client, product, frequency in (("1001", Product.VAT_RETURN, Frequency.MONTH),
                                           ("1001", Product.PAYROLL_RETURN, Frequency.QUARTER),
                                           ("1002", Product.VAT_RETURN, Frequency.QUARTER),
                                           ("1003", Product.PAYROLL_RETURN, Frequency.MONTH),
                                           ("1003", Product.VAT_RETURN, Frequency.MONTH)):
            session.add(Subscription(client_id=clients[client].id, product=product, frequency=frequency))
        session.add_all([
            Address(client_id=clients["1001"].id, kind=AddressKind.VISITING, city="'s-Hertogenbosch"),
            Address(client_id=clients["1002"].id, kind=AddressKind.VISITING, city="Utrecht"),
            Address(client_id=clients["1003"].id, kind=AddressKind.VISITING, city="Den Haag"),
            RoleAssignment(client_id=clients["1001"].id, role=Role.ADMINISTRATIE, team_member_id=an.id),
            RoleAssignment(client_id=clients["1002"].id, role=Role.ADMINISTRATIE, team_member_id=bo.id),
            RoleAssignment(client_id=clients["1003"].id, role=Role.ADMINISTRATIE, team_member_id=an.id),
            RoleAssignment(client_id=clients["1003"].id, role=Role.FISCAAL, team_member_id=bo.id),
        ])
    team.set_admin("AN")


@pytest.fixture
def crm(db):
    build_crm()
    return db
