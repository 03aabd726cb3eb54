"""Look-ups shared by notes, follow-ups and the person commands: a team member, a client or person, names.

A contact number that was merged into another person (PersonAlias) finds that person.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.domain.errors import NotFound, SbrflowError
from sbrflow.models import Client, Person, PersonAlias, TeamMember
from sbrflow.models.team import TeamAccount


class CrmPeopleNotFound(NotFound):
    """No client, contact, team member, note or follow-up with that number, code or id (the CLI exits 2)."""


class CrmPeopleRefused(SbrflowError, ValueError):
    """A request that cannot be done as asked; the message says what to fix (the CLI exits 1)."""


@dataclass(frozen=True, slots=True)
class Owner:
    """What a note or follow-up is about: one client or one person."""

    client_id: int | None
    person_id: int | None
    kind: str  # "client" or "person"
    number: str  # client number or (head) contact number
    name: str


def person_name(first: str | None, initials: str | None, prefix: str | None, last: str | None) -> str:
    """`Jan de Vries`: the first name (or initials), the prefix and the last name."""
    return " ".join(part for part in (first or initials, prefix, last) if part)


def member(session: Session, code: str, *, active: bool = True) -> TeamMember:
    """The team member with this code; an inactive one is refused when `active`."""
    found = session.scalar(sa.select(TeamMember).where(TeamMember.code == (code or "").strip()))
    if found is None:
        raise CrmPeopleNotFound(f"no team member with code {code!r}")
    if active and not found.active:
        raise CrmPeopleRefused(f"team member {found.code} is not active")
    return found


def is_admin(session: Session, member_id: int) -> bool:
    """team_account.is_admin of the member (no account: not an admin)."""
    return bool(session.scalar(sa.select(TeamAccount.is_admin).where(TeamAccount.team_member_id == member_id)))


def person_by_number(session: Session, number: str) -> Person:
    """The person with this contact number, or the head person a merged number now belongs to."""
    number = (number or "").strip()
    person = session.scalar(sa.select(Person).where(Person.contact_number == number))
    if person is None:
        person = session.scalar(sa.select(Person).join(PersonAlias, PersonAlias.person_id == Person.id)
                                .where(PersonAlias.contact_number == number))
    if person is None:
        raise CrmPeopleNotFound(f"no contact with number {number!r}")
    return person


def client_by_number(session: Session, number: str) -> Client:
    client = session.scalar(sa.select(Client).where(Client.client_number == (number or "").strip()))
    if client is None:
        raise CrmPeopleNotFound(f"no client with number {number!r}")
    return client


def owner(session: Session, client: str | None, person: str | None) -> Owner:
    """Exactly one of a client number and a contact number, looked up."""
    if bool(client) == bool(person):
        raise CrmPeopleRefused("name exactly one of a client (client number) and a person (contact number)")
    if client:
        c = client_by_number(session, client)
        return Owner(c.id, None, "client", c.client_number, c.name)
    p = person_by_number(session, person or "")
    return Owner(None, p.id, "person", p.contact_number,
                 person_name(p.first_name, p.initials, p.name_prefix, p.last_name))


def owner_labels(session: Session, client_ids: set[int], person_ids: set[int]) -> dict[tuple[str, int], tuple]:
    """(kind, id) → (number, name) for the clients and persons of a list of notes or follow-ups."""
    labels: dict[tuple[str, int], tuple] = {}
    for chunk in _chunks(client_ids):
        for cid, number, name in session.execute(
                sa.select(Client.id, Client.client_number, Client.name).where(Client.id.in_(chunk))):
            labels[("client", cid)] = (number, name)
    for chunk in _chunks(person_ids):
        for pid, number, first, initials, prefix, last in session.execute(
                sa.select(Person.id, Person.contact_number, Person.first_name, Person.initials, Person.name_prefix,
                          Person.last_name).where(Person.id.in_(chunk))):
            labels[("person", pid)] = (number, person_name(first, initials, prefix, last))
    return labels


def _chunks(ids: set[int], size: int = 5000) -> list[list[int]]:
    """Ids in chunks below SQLite's bound-parameter limit."""
    ordered = sorted(ids)
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def text_field(name: str, value: str | None, limit: int, *, required: bool = True) -> str | None:
    """A trimmed text; empty refused when required; longer than `limit` refused, naming the field."""
    text = (value or "").strip()
    if not text:
        if required:
            raise CrmPeopleRefused(f"{name} is empty; give a {name}")
        return None
    if len(text) > limit:
        raise CrmPeopleRefused(f"{name} is {len(text)} characters long; at most {limit} are allowed")
    return text
