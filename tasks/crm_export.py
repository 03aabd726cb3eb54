"""Export clients (with their contacts and the team) to the workbook format the import reads back unchanged."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from sbrflow.domain import vocabulary
from sbrflow.domain.enums import Frequency, Product
from sbrflow.domain.errors import InputError
from sbrflow.integrations.crm import PERSON_FIELDS, write_csv, write_workbook
from sbrflow.models import (
    BankAccount,
    Client,
    ClientContact,
    Location,
    Person,
    RoleAssignment,
    Subscription,
    TeamMember,
)
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_store import CLIENT_FIELDS, LINK_FIELDS, TEAM_FIELDS


class ExportError(InputError):
    """An export that cannot be made as asked (unknown filter word, unsupported file type)."""


def _word(parse, value: str | None):
    try:
        return None if value is None else parse(value)
    except ValueError as error:
        raise ExportError(str(error)) from None


def client_filter(*, status: str | None = None, product: str | None = None, frequency: str | None = None,
                  member: str | None = None, role: str | None = None) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for clients matching all filters (Dutch or English words)."""
    where: list[sa.ColumnElement[bool]] = []
    if status is not None:
        where.append(Client.status == _word(vocabulary.parse_client_status, status))
    chosen_product, chosen_frequency = _word(vocabulary.parse_product, product), _word(vocabulary.parse_frequency, frequency)
    if chosen_product is not None or frequency is not None:
        subscribed = [Subscription.client_id == Client.id]
        if chosen_product is not None:
            subscribed.append(Subscription.product == chosen_product)
        if frequency is not None:
            if chosen_frequency is None:
                raise ExportError(f"'{frequency}' is not a filing frequency; use month, quarter, year or four_weekly")
            subscribed.append(Subscription.frequency == chosen_frequency)
        where.append(sa.exists().where(*subscribed))
    if member is not None or role is not None:
        held = [RoleAssignment.client_id == Client.id]
        if member is not None:
            held += [TeamMember.id == RoleAssignment.team_member_id, TeamMember.code == member]
        if role is not None:
            held.append(RoleAssignment.role == _word(vocabulary.parse_role, role))
        where.append(sa.exists().where(*held))
    return where


def _clients(session: Session, where: list) -> tuple[list[dict], dict[int, str]]:
    head, billed = aliased(Client), aliased(Client)
    rows = session.execute(
        sa.select(Client.id, Client.client_number, *[getattr(Client, f) for f in CLIENT_FIELDS], Client.is_cluster_head,
                  head.client_number.label("head"), billed.client_number.label("billed_to"))
        .outerjoin(head, head.id == Client.cluster_head_id).outerjoin(billed, billed.id == Client.billed_to_id)
        .where(*where).order_by(Client.client_number))
    clients, numbers = [], {}
    for row in rows:
        values = row._asdict()
        # A head writes its own number in Clusterhoofd, which the import reads back as "is cluster head".
        values["cluster_head"] = values.pop("head") or (row.client_number if values.pop("is_cluster_head") else None)
        values.update(roles={}, ibans=())
        clients.append(values)
        numbers[row.id] = row.client_number
    return clients, numbers


def export_rows(session: Session, where: list) -> tuple[list[dict], list[dict], list[dict]]:
    """Clients matching `where`, their contact rows and every team member, as rows for the writer."""
    clients, numbers = _clients(session, where)
    by_id = {c["id"]: c for c in clients}
    chosen = sa.select(Client.id).where(*where)
    for client_id, product, frequency, start in session.execute(
        sa.select(Subscription.client_id, Subscription.product, Subscription.frequency,
                  Subscription.quarter_start_month).where(Subscription.client_id.in_(chosen))):
        if product is Product.VAT_RETURN:
            by_id[client_id].update(vat_frequency=frequency,
                                    vat_quarter_start_month=start if frequency is Frequency.QUARTER else None)
        elif product is Product.PAYROLL_RETURN:
            by_id[client_id]["payroll_frequency"] = frequency
    for client_id, role, code in session.execute(
        sa.select(RoleAssignment.client_id, RoleAssignment.role, TeamMember.code).join(TeamMember)
        .where(RoleAssignment.client_id.in_(chosen), RoleAssignment.product.is_(None))):
        by_id[client_id]["roles"][role] = code
    ibans: dict[int, list[str]] = defaultdict(list)
    for client_id, iban in session.execute(
        sa.select(BankAccount.client_id, BankAccount.iban).where(BankAccount.client_id.in_(chosen))
        .order_by(BankAccount.id)):
        ibans[client_id].append(iban)
    for client_id, accounts in ibans.items():
        by_id[client_id]["ibans"] = tuple(accounts)
    contacts = [
        {**row._asdict(), "client_number": numbers[row.client_id]}
        for row in session.execute(
            sa.select(ClientContact.client_id, Person.contact_number, *[getattr(Person, f) for f in PERSON_FIELDS],
                      *[getattr(ClientContact, f) for f in LINK_FIELDS], Location.code.label("location_code"))
            .join(Person, Person.id == ClientContact.person_id)
            .outerjoin(Location, Location.id == ClientContact.location_id)
            .where(ClientContact.client_id.in_(chosen)).order_by(Person.contact_number, ClientContact.client_id))
    ]
    team = [row._asdict() for row in session.execute(
        sa.select(TeamMember.code, *[getattr(TeamMember, f) for f in TEAM_FIELDS]).order_by(TeamMember.code))]
    return clients, contacts, team


def structure_rows(session: Session, where: list) -> dict[str, list[dict]]:
    """The structure sheets' rows of the chosen clients (only the sheets that have rows)."""
    from sbrflow.models import Address, ClientDocument, GeneralAddressee, Location, RelationLink, Shareholding

    chosen = sa.select(Client.id).where(*where)
    other = aliased(Client)
    address_columns = [Address.street, Address.house_number, Address.house_number_addition, Address.postcode,
                       Address.city, Address.country]
    rows: dict[str, list[dict]] = {
        "relations": [r._asdict() for r in session.execute(
            sa.select(Client.client_number, other.client_number.label("relation_number"), RelationLink.relation_type)
            .join(RelationLink, RelationLink.client_id == Client.id).join(other, other.id == RelationLink.relation_id)
            .where(Client.id.in_(chosen)).order_by(Client.client_number, other.client_number))],
        "locations": [r._asdict() for r in session.execute(
            sa.select(Client.client_number, Location.code, Location.name, *address_columns)
            .join(Location, Location.client_id == Client.id).outerjoin(Address, Address.location_id == Location.id)
            .where(Client.id.in_(chosen)).order_by(Client.client_number, Location.code))],
        "addresses": [r._asdict() for r in session.execute(
            sa.select(Client.client_number, sa.null().label("contact_number"), Address.kind, *address_columns)
            .join(Address, Address.client_id == Client.id).where(Client.id.in_(chosen))
            .order_by(Client.client_number, Address.kind))]
        + [r._asdict() for r in session.execute(
            sa.select(sa.null().label("client_number"), Person.contact_number, Address.kind, *address_columns)
            .join(Address, Address.person_id == Person.id)
            .where(Person.id.in_(sa.select(ClientContact.person_id).where(ClientContact.client_id.in_(chosen))))
            .order_by(Person.contact_number, Address.kind))],
        "general": [r._asdict() for r in session.execute(
            sa.select(Client.client_number, GeneralAddressee.name, GeneralAddressee.email,
                      Location.code.label("location_code"))
            .join(GeneralAddressee, GeneralAddressee.client_id == Client.id)
            .outerjoin(Location, Location.id == GeneralAddressee.location_id)
            .where(Client.id.in_(chosen)).order_by(Client.client_number, GeneralAddressee.name))],
        "shareholdings": [r._asdict() for r in session.execute(
            sa.select(Client.client_number, other.client_number.label("holder_number"), Shareholding.share_percentage)
            .join(Shareholding, Shareholding.owned_id == Client.id).join(other, other.id == Shareholding.holder_id)
            .where(Client.id.in_(chosen)).order_by(Client.client_number, other.client_number))],
        "documents": [r._asdict() for r in session.execute(
            sa.select(Client.client_number, ClientDocument.kind, ClientDocument.reference, ClientDocument.dated)
            .join(ClientDocument, ClientDocument.client_id == Client.id).where(Client.id.in_(chosen))
            .order_by(Client.client_number, ClientDocument.kind))],
    }
    return {kind: found for kind, found in rows.items() if found}


def export_crm(path: str | Path, **filters: str | None) -> dict[str, object]:
    """Write the matching clients, their contacts and the team to PATH.xlsx or PATH.csv (three files)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ExportError(f"{path.name}: export to a .xlsx workbook or .csv files")
    where = client_filter(**filters)
    with unit_of_work() as session:
        clients, contacts, team = export_rows(session, where)
        structure = structure_rows(session, where)
    if suffix == ".xlsx":
        path.parent.mkdir(parents=True, exist_ok=True)
        files = [write_workbook(path, clients, contacts, team, structure=structure)]
    else:  # PATH.csv → PATH-clienten.csv, PATH-contacten.csv, PATH-medewerkers.csv (+ structure sheets)
        files = write_csv(path.parent, clients, contacts, team, prefix=f"{path.stem}-", structure=structure)
    return {"clients": len(clients), "contacts": len(contacts), "team": len(team), "files": [str(f) for f in files]}
