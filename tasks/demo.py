"""Units of work for the demo office: load it idempotently and summarise the CRM."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from prefect import task

from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, LegalForm, Product, Role
from sbrflow.models import (
    BankAccount,
    Client,
    ClientContact,
    Person,
    RoleAssignment,
    Subscription,
    TeamMember,
)
from sbrflow.models.db import unit_of_work

TEAM = [
    ("AB", "Anna de Boer", "anna@kantoor.example"),
    ("JV", "Jan Visser", "jan@kantoor.example"),
    ("SM", "Sanne Meijer", "sanne@kantoor.example"),
    ("PK", "Pieter Kok", "pieter@kantoor.example"),
]

# client_number, kind, name, status, legal form, rsin/bsn, ob, payroll, cluster head, billed to
CLIENTS = [
    ("1001", ClientKind.COMPANY, "Jansen Holding B.V.", ClientStatus.CLIENT, LegalForm.BV,
     "001000044", "001000044B37", None, None, None),
    ("1002", ClientKind.COMPANY, "Jansen Bouw B.V.", ClientStatus.CLIENT, LegalForm.BV,
     "111222333", "111222333B01", "111222333L01", "1001", "1001"),
    ("1003", ClientKind.COMPANY, "Jansen Installatie B.V.", ClientStatus.CLIENT, LegalForm.BV,
     "123456782", "123456782B01", "123456782L01", "1001", "1001"),
    ("1004", ClientKind.PERSON, "P. Jansen", ClientStatus.CLIENT, LegalForm.NATURAL_PERSON,
     "192837461", None, None, "1001", "1001"),
    ("1005", ClientKind.COMPANY, "Bakkerij De Korenaar", ClientStatus.CLIENT,
     LegalForm.SOLE_PROPRIETORSHIP, "010203047", "010203047B01", None, None, None),
    ("1006", ClientKind.COMPANY, "Hovenier Groen V.O.F.", ClientStatus.PROSPECT,
     LegalForm.GENERAL_PARTNERSHIP, "204813578", None, None, None, None),
]

# client_number, product, frequency, quarter start month
SUBSCRIPTIONS = [
    ("1001", Product.VAT_RETURN, Frequency.QUARTER, 1),
    ("1002", Product.VAT_RETURN, Frequency.MONTH, None),
    ("1002", Product.PAYROLL_RETURN, Frequency.MONTH, None),
    ("1003", Product.VAT_RETURN, Frequency.QUARTER, 2),
    ("1003", Product.PAYROLL_RETURN, Frequency.FOUR_WEEKLY, None),
    ("1004", Product.INCOME_TAX, Frequency.YEAR, None),
    ("1005", Product.VAT_RETURN, Frequency.YEAR, None),
]

# contact_number, initials, first, prefix, last, email, [(client_number, function, primary, share)]
PERSONS = [
    ("C001", "P.", "Piet", None, "Jansen", "piet@jansen.example",
     [("1001", "DGA", True, Decimal("100")), ("1002", "directeur", True, None),
      ("1003", "directeur", True, None)]),
    ("C002", "M.", "Marieke", "van der", "Berg", "administratie@jansen.example",
     [("1002", "administratie", False, None)]),
    ("C003", "K.", "Kees", "de", "Wit", "kees@korenaar.example", [("1005", "eigenaar", True, None)]),
]

ROLES = {Role.RELATIEBEHEERDER: "AB", Role.ACCOUNTANT: "JV", Role.FISCAAL: "SM",
         Role.ADMINISTRATIE: "PK", Role.SALARIS: "SM", Role.SECRETARIAAT: "AB"}


def _upsert(session, model, key: dict, values: dict):
    """Find a row by its natural key and set its values; create it if missing."""
    row = session.scalars(sa.select(model).filter_by(**key)).one_or_none()
    if row is None:
        row = model(**key)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row


@task(name="load-demo-office")
def load_demo_office() -> dict[str, int]:
    """Load (or refresh) the demo office: a holding with work companies, a DGA, team and roles."""
    with unit_of_work() as session:
        members = {code: _upsert(session, TeamMember, {"code": code}, {"name": name, "email": email})
                   for code, name, email in TEAM}
        clients: dict[str, Client] = {}
        for number, kind, name, status, form, fiscal, ob, lh, _head, _billed in CLIENTS:
            values = {"kind": kind, "name": name, "status": status, "legal_form": form,
                      "ob_number": ob, "payroll_tax_number": lh, "sbr_enabled": status is ClientStatus.CLIENT,
                      "ideal_enabled": status is ClientStatus.CLIENT, "is_cluster_head": number == "1001"}
            values["bsn" if kind is ClientKind.PERSON else "rsin"] = fiscal
            clients[number] = _upsert(session, Client, {"client_number": number}, values)
        session.flush()
        for number, *_rest, head, billed in CLIENTS:
            clients[number].cluster_head = clients.get(head)
            clients[number].billed_to = clients.get(billed)
        _upsert(session, BankAccount, {"client_id": clients["1001"].id, "iban": "NL91ABNA0417164300"}, {})
        for number, product, frequency, start in SUBSCRIPTIONS:
            _upsert(session, Subscription, {"client_id": clients[number].id, "product": product},
                    {"frequency": frequency, "quarter_start_month": start, "active_from": date(2025, 1, 1)})
        for client in clients.values():
            for role, code in ROLES.items():
                _upsert(session, RoleAssignment, {"client_id": client.id, "role": role, "product": None},
                        {"team_member_id": members[code].id})
        for number, initials, first, prefix, last, email, links in PERSONS:
            person = _upsert(session, Person, {"contact_number": number},
                             {"initials": initials, "first_name": first, "name_prefix": prefix,
                              "last_name": last, "email": email})
            session.flush()
            for client_number, function, primary, share in links:
                _upsert(session, ClientContact, {"client_id": clients[client_number].id, "person_id": person.id},
                        {"function": function, "is_primary": primary, "share_percentage": share})
    return {"team_members": len(TEAM), "clients": len(CLIENTS), "persons": len(PERSONS)}


@task(name="summarise-office")
def summarise_office() -> dict[str, int]:
    """Count what the office holds: clients by status, contacts, roles and subscriptions."""
    with unit_of_work() as session:
        count = lambda stmt: session.scalar(sa.select(sa.func.count()).select_from(stmt))  # noqa: E731
        return {
            "clients": count(Client),
            "active_clients": session.scalar(
                sa.select(sa.func.count()).where(Client.status == ClientStatus.CLIENT)
            ),
            "persons": count(Person),
            "contact_links": count(ClientContact),
            "team_members": count(TeamMember),
            "role_assignments": count(RoleAssignment),
            "subscriptions": count(Subscription),
        }
