"""The structure sheets in the database: relations at clients, locations, addresses, shareholdings, documents.

`resolve_structure` checks every reference of the structure rows against the file and the database
(a row naming a client that is neither is an error at its cell, like on the basic sheets);
`sync_structure` upserts the valid rows on their natural keys, comparing first, so a re-import
writes nothing. Rows are only added or changed, never deleted by a sheet that leaves them out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, replace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.domain.enums import NON_CLIENT_STATUSES, AddressKind
from sbrflow.integrations.crm import Problem, Severity, WorkbookData
from sbrflow.integrations.crm.structure import Structure
from sbrflow.models import (
    Address,
    Client,
    ClientContact,
    ClientDocument,
    GeneralAddressee,
    Location,
    Person,
    PersonAlias,
    RelationLink,
    Shareholding,
)
from sbrflow.models.bulk import bulk_insert
from sbrflow.tasks.crm_apply import _update
from sbrflow.tasks.crm_store import chunks, id_map

STRUCTURE_KINDS = ("relations", "locations", "addresses", "general", "shareholdings", "documents")


def _location_codes(session: Session, data: WorkbookData) -> set[tuple[str, str]]:
    """(client number, location code) pairs in the file's Locaties sheet or already in sbrflow."""
    named = {r.client_number for r in data.structure.general if r.location_code}
    named |= {r.client_number for r in data.contacts if r.location_code and r.client_number}
    found = {(r.client_number, r.code) for r in data.structure.locations}
    for chunk in chunks(named):
        found |= {tuple(row) for row in session.execute(
            sa.select(Client.client_number, Location.code).join(Location, Location.client_id == Client.id)
            .where(Client.client_number.in_(chunk)))}
    return found


def _statuses(session: Session, numbers: set[str]) -> dict[str, object]:
    return {n: s for chunk in chunks(numbers)
            for n, s in session.execute(sa.select(Client.client_number, Client.status)
                                        .where(Client.client_number.in_(chunk)))}


def contact_ids(session: Session, numbers: set[str]) -> dict[str, int]:
    """Person id per contact number, an alias (a merged registration) counting for its head person."""
    found = id_map(session, Person.contact_number, numbers)
    left = numbers - set(found)
    for chunk in chunks(left):
        found.update(session.execute(sa.select(PersonAlias.contact_number, PersonAlias.person_id)
                                     .where(PersonAlias.contact_number.in_(chunk))).all())
    return found


def resolve_structure(session: Session, data: WorkbookData) -> WorkbookData:
    """Keep the structure rows whose clients, relations and persons exist (in the file or in sbrflow)."""
    s = data.structure
    in_file = {c.client_number: c.status for c in data.clients}
    named = {r.client_number for r in (*s.relations, *s.locations, *s.shareholdings, *s.documents)}
    named |= {r.relation_number for r in s.relations} | {r.holder_number for r in s.shareholdings}
    named |= {r.client_number for r in s.addresses if r.client_number} | {r.client_number for r in s.general}
    statuses = {**_statuses(session, named - set(in_file)), **in_file}
    persons = {c.contact_number for c in data.contacts} | set(contact_ids(
        session, {r.contact_number for r in s.addresses if r.contact_number}))
    problems: list[Problem] = []

    def fails(kind: str, row, field: str, value: str | None, message: str | None) -> bool:
        if message is None or value is None:
            return False
        problems.append(Problem(Severity.ERROR, row.sheet, row.row, data.layout.column(kind, field), value, message))
        return True

    def missing_client(number: str | None) -> str | None:
        if number is None or number in statuses:
            return None
        return f"Client {number} is neither a valid row of this file nor in sbrflow."

    def not_a_relation(number: str) -> str | None:
        if number not in statuses:
            return missing_client(number)
        if statuses[number] not in NON_CLIENT_STATUSES:
            return (f"{number} is not a relation: give it the status Relatie or Dienstverlener eigen organisatie "
                    "on Cliënten.")
        return None

    relations = tuple(r for r in s.relations
                      if not fails("relations", r, "client_number", r.client_number, missing_client(r.client_number))
                      and not fails("relations", r, "relation_number", r.relation_number,
                                    not_a_relation(r.relation_number)))
    locations = tuple(r for r in s.locations
                      if not fails("locations", r, "client_number", r.client_number, missing_client(r.client_number)))
    addresses = tuple(
        r for r in s.addresses
        if not fails("addresses", r, "client_number", r.client_number, missing_client(r.client_number))
        and not fails("addresses", r, "contact_number", r.contact_number,
                      None if r.contact_number in persons else
                      f"Contact {r.contact_number} is neither on Contacten nor in sbrflow."))
    shareholdings = tuple(
        r for r in s.shareholdings
        if not fails("shareholdings", r, "client_number", r.client_number, missing_client(r.client_number))
        and not fails("shareholdings", r, "holder_number", r.holder_number, missing_client(r.holder_number)))
    documents = tuple(r for r in s.documents
                      if not fails("documents", r, "client_number", r.client_number, missing_client(r.client_number)))
    places = _location_codes(session, data)

    def no_location(number: str | None, code: str | None) -> str | None:
        if code is None or (number, code) in places:
            return None
        return f"Client {number} has no location {code} (on Locaties or in sbrflow)."

    general = tuple(
        r for r in s.general
        if not fails("general", r, "client_number", r.client_number, missing_client(r.client_number))
        and not fails("general", r, "location_code", r.location_code, no_location(r.client_number, r.location_code)))
    for contact in data.contacts:  # the row stays; its location link is not made (all-or-nothing: nothing is)
        fails("contacts", contact, "location_code", contact.location_code,
              no_location(contact.client_number, contact.location_code))
    if not problems:
        return data
    structure = Structure(relations, locations, addresses, general, shareholdings, documents, s.row_counts)
    return replace(data, structure=structure, problems=(*data.problems, *problems))


def _upsert(session: Session, model: type, keys: tuple[str, ...], rows: list[dict], write: bool) -> tuple[Counter, int]:
    """Insert new rows, update changed ones (natural key `keys`); counts and the number of writes."""
    table = model.__table__
    existing: dict[tuple, dict] = {}
    firsts = {row[keys[0]] for row in rows if row[keys[0]] is not None}
    for chunk in chunks(firsts):
        for found in session.execute(sa.select(table).where(table.c[keys[0]].in_(chunk))):
            mapping = dict(found._mapping)
            existing[tuple(mapping[k] for k in keys)] = mapping
    counts: Counter = Counter()
    new, changed = [], []
    for row in rows:
        current = existing.get(tuple(row[k] for k in keys))
        if current is None:
            new.append(row)
            counts["created"] += 1
        elif changes := {k: v for k, v in row.items() if current.get(k) != v}:
            changed.append({"id": current["id"], **changes})
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    if write:
        bulk_insert(session, model, new)
        _update(session, model, changed)
    return counts, len(new) + len(changed)


def _address(owner: str, owner_id: int | None, kind, fields) -> dict:
    row = {"client_id": None, "person_id": None, "location_id": None, "kind": kind, **asdict(fields)}
    row[owner] = owner_id
    return row


def sync_structure(session: Session, data: WorkbookData, *, write: bool) -> tuple[dict[str, dict[str, int]], int]:
    """Upsert the structure rows (after the clients and persons are written); counts per sheet and writes."""
    s = data.structure
    numbers = {r.client_number for r in (*s.relations, *s.locations, *s.shareholdings, *s.documents)}
    numbers |= {r.relation_number for r in s.relations} | {r.holder_number for r in s.shareholdings}
    numbers |= {r.client_number for r in s.addresses if r.client_number} | {r.client_number for r in s.general}
    numbers |= {r.client_number for r in data.contacts if r.location_code and r.client_number}
    clients = id_map(session, Client.client_number, numbers)  # new clients of a dry run are not there: created
    persons = contact_ids(session, {r.contact_number for r in s.addresses if r.contact_number})
    counts: dict[str, Counter] = {}
    writes = 0

    def run(kind: str, model: type, keys: tuple[str, ...], rows: list[dict]) -> None:
        nonlocal writes
        known = [r for r in rows if None not in (r[k] for k in keys)]
        counted, written = _upsert(session, model, keys, known, write)
        counted["created"] += len(rows) - len(known)
        counts[kind] = counts.get(kind, Counter()) + counted
        writes += written

    run("relations", RelationLink, ("client_id", "relation_id", "relation_type"), [
        {"client_id": clients.get(r.client_number), "relation_id": clients.get(r.relation_number),
         "relation_type": r.relation_type} for r in s.relations])
    run("locations", Location, ("client_id", "code"), [
        {"client_id": clients.get(r.client_number), "code": r.code, "name": r.name} for r in s.locations])
    locations = {}
    for chunk in chunks({clients[r.client_number] for r in s.locations if r.client_number in clients}):
        locations.update({(cid, code): lid for lid, cid, code in session.execute(
            sa.select(Location.id, Location.client_id, Location.code).where(Location.client_id.in_(chunk)))})
    location_addresses = [
        _address("location_id", locations.get((clients.get(r.client_number), r.code)), AddressKind.VISITING,
                 r.address)
        for r in s.locations if r.address.street or r.address.postcode]
    if location_addresses:
        _, written = _upsert(session, Address, ("location_id", "kind"),
                             [r for r in location_addresses if r["location_id"] is not None], write)
        writes += written
    by_client = [_address("client_id", clients.get(r.client_number), r.kind, r.address)
                 for r in s.addresses if r.client_number]
    by_person = [_address("person_id", persons.get(r.contact_number), r.kind, r.address)
                 for r in s.addresses if r.contact_number]
    run("addresses", Address, ("client_id", "kind"), by_client)
    run("addresses", Address, ("person_id", "kind"), by_person)
    for chunk in chunks({clients[r.client_number] for r in (*s.general, *data.contacts)
                         if r.location_code and r.client_number in clients}):
        locations.update({(cid, code): lid for lid, cid, code in session.execute(
            sa.select(Location.id, Location.client_id, Location.code).where(Location.client_id.in_(chunk)))})
    run("general", GeneralAddressee, ("client_id", "name"), [
        {"client_id": clients.get(r.client_number), "name": r.name, "email": r.email,
         "location_id": locations.get((clients.get(r.client_number), r.location_code)) if r.location_code else None}
        for r in s.general])
    writes += _link_contact_locations(session, data, clients, locations, write)
    run("shareholdings", Shareholding, ("holder_id", "owned_id"), [
        {"holder_id": clients.get(r.holder_number), "owned_id": clients.get(r.client_number),
         "share_percentage": r.share_percentage} for r in s.shareholdings])
    run("documents", ClientDocument, ("client_id", "kind"), [
        {"client_id": clients.get(r.client_number), "kind": r.kind, "reference": r.reference, "dated": r.dated}
        for r in s.documents])
    result = {}
    for kind in STRUCTURE_KINDS:
        if kind not in s.row_counts:
            continue
        counted = counts.get(kind, Counter())
        result[kind] = {"created": counted["created"], "updated": counted["updated"],
                        "unchanged": counted["unchanged"], "rejected": s.row_counts[kind] - s.valid_count(kind)}
    return result, writes if write else 0


def _link_contact_locations(session: Session, data: WorkbookData, clients: dict, locations: dict, write: bool) -> int:
    """Tie contact links to the location the file names (only when the column is there; compared first)."""
    if "location_code" not in data.layout.headers.get("contacts", {}):
        return 0
    wanted = {}
    for row in data.contacts:
        if row.client_number in clients:
            wanted[(clients[row.client_number], row.contact_number)] = (
                locations.get((clients[row.client_number], row.location_code)) if row.location_code else None)
    if not wanted:
        return 0
    persons = contact_ids(session, {number for _, number in wanted})
    by_pair = {(cid, persons[number]): lid for (cid, number), lid in wanted.items() if number in persons}
    changed = []
    for chunk in chunks({cid for cid, _ in by_pair}):
        for link_id, cid, pid, current in session.execute(
            sa.select(ClientContact.id, ClientContact.client_id, ClientContact.person_id, ClientContact.location_id)
            .where(ClientContact.client_id.in_(chunk))):
            if (cid, pid) in by_pair and by_pair[(cid, pid)] != current:
                changed.append({"id": link_id, "location_id": by_pair[(cid, pid)]})
    if write:
        _update(session, ClientContact, changed)
    return len(changed)


def _address_text(a) -> str:
    number = " ".join(part for part in (a.house_number, a.house_number_addition) if part)
    return ", ".join(part for part in (" ".join(p for p in (a.street, number) if p), a.postcode, a.city) if part)


def same_address(number: str) -> list[dict[str, object]]:
    """The others (clients, relations, persons, locations) at an address of this client or contact.

    Same address = same postcode, house number and addition (street spelling varies; the postcode does not).
    """
    from sbrflow.models.db import unit_of_work
    from sbrflow.tasks.crm_status import CrmNotFound

    with unit_of_work() as session:
        client_id = session.scalar(sa.select(Client.id).where(Client.client_number == number))
        person_id = None if client_id is not None else contact_ids(session, {number}).get(number)
        if client_id is None and person_id is None:
            raise CrmNotFound(f"no client or contact with number {number!r}")
        column, owner_id = (Address.client_id, client_id) if client_id is not None else (Address.person_id, person_id)
        own = column == owner_id
        others_only = sa.or_(column.is_(None), column != owner_id)  # NOT (NULL = x) would drop every other owner
        # A contact tied to a location is at the location's address too.
        own_locations = [] if person_id is None else list(session.scalars(
            sa.select(ClientContact.location_id).where(ClientContact.person_id == person_id,
                                                       ClientContact.location_id.is_not(None))))
        # A person whose post goes to a client's business address is at that address too.
        via_client = [] if person_id is None else list(session.scalars(
            sa.select(ClientContact.client_id).where(ClientContact.person_id == person_id,
                                                     ClientContact.correspondence_at_client)))
        mine = sa.or_(own, Address.location_id.in_(own_locations) if own_locations else sa.false(),
                      Address.client_id.in_(via_client) if via_client else sa.false())
        places = {(a.postcode, a.house_number, a.house_number_addition) for a in session.scalars(
            sa.select(Address).where(mine, Address.postcode.is_not(None), Address.house_number.is_not(None)))}
        rows: list[dict[str, object]] = []
        seen: set[tuple[str, str]] = set()
        for postcode, house, addition in sorted(places, key=str):
            others = session.execute(
                sa.select(Address, Client, Person, Location)
                .outerjoin(Client, Client.id == Address.client_id).outerjoin(Person, Person.id == Address.person_id)
                .outerjoin(Location, Location.id == Address.location_id)
                .where(Address.postcode == postcode, Address.house_number == house,
                       Address.house_number_addition.is_(None) if addition is None
                       else Address.house_number_addition == addition,
                       others_only))
            for address, client, person, location in others:
                if client is not None:
                    what = "relation" if client.status in NON_CLIENT_STATUSES else "client"
                    key, name = client.client_number, client.name
                elif person is not None:
                    what, key = "contact", person.contact_number
                    name = " ".join(p for p in (person.first_name, person.name_prefix, person.last_name) if p)
                else:
                    if location.id in own_locations:
                        continue
                    owner = session.get(Client, location.client_id)
                    what, key, name = "location", f"{owner.client_number}/{location.code}", location.name
                    # …and so are the contacts working there.
                    for worker in session.scalars(sa.select(Person).join(ClientContact).where(
                            ClientContact.location_id == location.id, Person.id != (person_id or 0))):
                        if ("contact", worker.contact_number) not in seen:
                            seen.add(("contact", worker.contact_number))
                            rows.append({"what": "contact", "number": worker.contact_number,
                                         "name": " ".join(p for p in (worker.first_name, worker.name_prefix,
                                                                      worker.last_name) if p),
                                         "kind": f"at location {location.code}", "address": _address_text(address)})
                if (what, key) in seen:
                    continue
                seen.add((what, key))
                rows.append({"what": what, "number": key, "name": name, "kind": address.kind.value,
                             "address": _address_text(address)})
    return sorted(rows, key=lambda r: (r["what"], r["number"]))


def check_cluster_depth(session: Session, data: WorkbookData) -> WorkbookData:
    """Refuse what would make a cluster deeper than one level together with the clusters already in sbrflow."""
    from sbrflow.integrations.crm.checks import nesting_message
    from sbrflow.integrations.crm.references import reject_failed

    in_file = {c.client_number: c for c in data.clients}
    named = {c.cluster_head for c in data.clients if c.cluster_head and c.cluster_head != c.client_number}
    head, member = sa.orm.aliased(Client), sa.orm.aliased(Client)
    outside = named - set(in_file)
    # Heads named in the file that sbrflow has in another cluster (and the file does not move out of it).
    heads_heads: dict[str, str] = {}
    for chunk in chunks(outside):
        heads_heads.update(session.execute(
            sa.select(member.client_number, head.client_number).join(head, head.id == member.cluster_head_id)
            .where(member.client_number.in_(chunk), head.id != member.id)).all())
    # Clients the file puts in a cluster that sbrflow has as the head of other clients (not in the file).
    moving = [c.client_number for c in data.clients if c.cluster_head and c.cluster_head != c.client_number]
    members_of: dict[str, str] = {}
    for chunk in chunks(moving):
        for head_number, member_number in session.execute(
            sa.select(head.client_number, member.client_number).join(member, member.cluster_head_id == head.id)
            .where(head.client_number.in_(chunk), member.id != head.id)):
            if member_number not in in_file:  # (a member in the file moves with it, or is checked there)
                members_of[head_number] = min(member_number, members_of.get(head_number, member_number))
    problems, failed = [], {}
    for client in data.clients:
        target = client.cluster_head
        if not target or target == client.client_number:
            continue
        message = None
        if target in heads_heads:
            message = nesting_message(client.client_number, target, heads_heads[target])
        elif client.client_number in members_of:
            message = (f"Client {client.client_number} heads a cluster in sbrflow (e.g. {members_of[client.client_number]}) "
                       f"and cannot also be in {target}'s cluster: a cluster is one level deep.")
        if message:
            problems.append(Problem(Severity.ERROR, client.sheet, client.row,
                                    data.layout.column("clients", "cluster_head"), target, message))
            failed[client.client_number] = f"is rejected ({client.sheet} row {client.row}); fix that row first"
    if not problems:
        return data
    kept = [c for c in data.clients if c.client_number not in failed]
    clients, contacts, cascaded = reject_failed(kept, data.contacts, failed, {}, data.layout)
    return replace(data, clients=tuple(clients), contacts=tuple(contacts),
                   problems=(*data.problems, *problems, *cascaded))
