"""Hoofdcontactnummer: one human registered under several contact numbers is merged into the head person.

Packages that register a contact per company export the same person under several numbers. A row with
`Hoofdcontactnummer` X on contact number Y (or a row of a Y merged before) becomes a row of X: its client
links, functions and portal access go to X; X's own details stay X's. In the database Y's remaining links
and addresses move to X, Y is removed, and Y stays as an alias of X, so importing the same file again
changes nothing (AuditCase: "Koppelen aan hoofd(contact)persoon").
"""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.integrations.crm import Problem, Severity, WorkbookData
from sbrflow.models import Address, ClientContact, CrmPropertyValue, Person, PersonAlias
from sbrflow.tasks.crm_store import chunks, id_map


def _aliases(session: Session, numbers: set[str]) -> dict[str, str]:
    """alias contact number → the head's contact number."""
    return {alias: head for chunk in chunks(numbers) for alias, head in session.execute(
        sa.select(PersonAlias.contact_number, Person.contact_number).join(Person, Person.id == PersonAlias.person_id)
        .where(PersonAlias.contact_number.in_(chunk)))}


def resolve_head_contacts(session: Session, data: WorkbookData) -> tuple[WorkbookData, dict[str, str]]:
    """Rewrite merged registrations' rows as rows of their head; the merges (number → head) to write after."""
    rows = data.contacts
    named = {r.head_contact_number for r in rows if r.head_contact_number}
    aliases = _aliases(session, {r.contact_number for r in rows} | named)
    merges: dict[str, str] = {}
    for r in rows:
        head = r.head_contact_number if r.head_contact_number not in (None, r.contact_number) else None
        target = head or aliases.get(r.contact_number)
        if target is not None:
            merges.setdefault(r.contact_number, target)
    if not merges:
        return data, {}
    own = {r.contact_number for r in rows if r.contact_number not in merges}
    in_db = set(id_map(session, Person.contact_number, set(merges.values())))
    column = data.layout.column("contacts", "head_contact_number")
    problems, failed = [], set()
    for r in rows:
        target = merges.get(r.contact_number)
        if target is None:
            continue
        message = None
        stated = r.head_contact_number if r.head_contact_number not in (None, r.contact_number) else target
        if stated != target:
            message = (f"Contact {r.contact_number} is merged into {target} on another row (or before); "
                       "a registration has one head person.")
        elif target in merges or target in aliases:
            further = merges.get(target) or aliases.get(target)
            message = f"Contact {target} is itself merged into {further}; name {further} as the head contact."
        elif target not in own and target not in in_db:
            message = f"Head contact {target} is neither a contact on this sheet nor in sbrflow."
        if message:
            problems.append(Problem(Severity.ERROR, r.sheet, r.row, column, stated, message))
            failed.add(r.contact_number)
    kept = [r for r in rows if r.contact_number not in failed]
    rewritten = [r for r in kept if r.contact_number not in merges] + [
        replace(r, contact_number=merges[r.contact_number], merged_from=r.contact_number, head_contact_number=None)
        for r in kept if r.contact_number in merges]
    merges = {number: head for number, head in merges.items() if number not in failed}
    return replace(data, contacts=tuple(rewritten), problems=(*data.problems, *problems)), merges


def merge_persons(session: Session, merges: dict[str, str], *, write: bool) -> int:
    """Move each merged person's links and addresses to the head, delete it, keep its number as an alias."""
    if not merges:
        return 0
    persons = id_map(session, Person.contact_number, set(merges) | set(merges.values()))
    known = set(_aliases(session, set(merges)))
    writes = 0
    for number, head in sorted(merges.items()):
        old, new = persons.get(number), persons.get(head)
        if number in known and old is None:
            continue  # merged before: nothing left to do
        writes += 1
        if not write:
            continue
        if old is not None:
            held = sa.select(ClientContact.client_id).where(ClientContact.person_id == new).scalar_subquery()
            session.execute(sa.update(ClientContact).where(ClientContact.person_id == old,
                                                           ClientContact.client_id.not_in(held))
                            .values(person_id=new))
            kinds = sa.select(Address.kind).where(Address.person_id == new).scalar_subquery()
            session.execute(sa.update(Address).where(Address.person_id == old, Address.kind.not_in(kinds))
                            .values(person_id=new))
            session.execute(sa.update(PersonAlias).where(PersonAlias.person_id == old).values(person_id=new))
            # Custom property values and indicators (crm_property_value) the head has not got itself.
            taken = sa.select(CrmPropertyValue.property_id).where(CrmPropertyValue.person_id == new).scalar_subquery()
            session.execute(sa.update(CrmPropertyValue).where(CrmPropertyValue.person_id == old,
                                                              CrmPropertyValue.property_id.not_in(taken))
                            .values(person_id=new))
            session.execute(sa.delete(Person).where(Person.id == old))  # its duplicate links and addresses go too
        if number not in known:
            session.add(PersonAlias(contact_number=number, person_id=new))
    session.flush()
    return writes
