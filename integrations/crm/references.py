"""References between sheets: a contact's client, cluster head, billed to, the role columns' member codes.

A reference may point to a row of this file or to something already in sbrflow; what the file
cannot resolve is handed to the importer as `Reference`s. A row that points to a rejected client
or member is rejected too, repeatedly, so a chain of clusters falls as a whole.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, MutableMapping

from sbrflow.domain.enums import Role
from sbrflow.integrations.crm.records import (
    ClientRow,
    ContactRow,
    Layout,
    Problem,
    Reference,
    Severity,
    TeamMemberRow,
)

_CLIENT_REFS = ("cluster_head", "billed_to")


def client_references(clients: Iterable[ClientRow], contacts: Iterable[ContactRow], layout: Layout,
                      known: Collection[str] = ()) -> list[Reference]:
    """Every cell in a row that names a client (cluster head, billed to, a contact's client) not in `known`."""
    # Headers looked up once, not per cell: 50,000 rows name a client up to three times each.
    headers = {name: layout.column("clients", name) for name in _CLIENT_REFS}
    refs = [
        Reference(client.sheet, client.row, headers[name], value)
        for client in clients
        for name in _CLIENT_REFS
        if (value := getattr(client, name)) is not None and value not in known
    ]
    header = layout.column("contacts", "client_number")
    refs += [
        Reference(contact.sheet, contact.row, header, contact.client_number)
        for contact in contacts
        if contact.client_number is not None and contact.client_number not in known
    ]
    return refs


def member_references(clients: Iterable[ClientRow], layout: Layout, known: Collection[str] = ()) -> list[Reference]:
    """Every role cell that names a team member not in `known`."""
    headers = {role: layout.column("clients", role.value) for role in Role}
    return [
        Reference(client.sheet, client.row, headers[role], code)
        for client in clients
        for role, code in client.roles.items()
        if code not in known
    ]


def _why(client: ClientRow, failed_clients: Mapping[str, str], failed_members: Mapping[str, str],
         layout: Layout) -> tuple[str, str, str] | None:
    """(column, value, message) of the first reference of this client that failed, if any."""
    for name in _CLIENT_REFS:
        value = getattr(client, name)
        if value is not None and value in failed_clients and value != client.client_number:
            return layout.column("clients", name), value, f"Client {value} {failed_clients[value]}."
    for role, code in client.roles.items():
        if code in failed_members:
            return layout.column("clients", role.value), code, f"Team member {code} {failed_members[code]}."
    return None


def reject_failed(
    clients: Iterable[ClientRow],
    contacts: Iterable[ContactRow],
    failed_clients: MutableMapping[str, str],
    failed_members: Mapping[str, str],
    layout: Layout,
) -> tuple[list[ClientRow], list[ContactRow], list[Problem]]:
    """Reject rows that refer to a failed client or member (value → why it failed), until none is left."""
    remaining, problems = list(clients), []
    while True:
        kept = []
        for client in remaining:
            why = _why(client, failed_clients, failed_members, layout)
            if why is None:
                kept.append(client)
                continue
            column, value, message = why
            problems.append(Problem(Severity.ERROR, client.sheet, client.row, column, value, message))
            failed_clients.setdefault(
                client.client_number, f"is rejected ({client.sheet} row {client.row}); fix that row first"
            )
        if len(kept) == len(remaining):
            break
        remaining = kept
    column = layout.column("contacts", "client_number")
    kept_contacts = []
    for contact in contacts:
        number = contact.client_number
        if number is not None and number in failed_clients:
            problems.append(Problem(
                Severity.ERROR, contact.sheet, contact.row, column, number, f"Client {number} {failed_clients[number]}."
            ))
        else:
            kept_contacts.append(contact)
    return remaining, kept_contacts, problems


def inactive_member_warnings(
    clients: Iterable[ClientRow], team: Iterable[TeamMemberRow], layout: Layout
) -> list[Problem]:
    """Warn when a role is held by a team member marked as no longer active."""
    inactive = {member.code for member in team if not member.active}
    return [
        Problem(
            Severity.WARNING, client.sheet, client.row, layout.column("clients", role.value), code,
            f"Team member {code} is not active; give the {role.value} role to an active member.",
        )
        for client in clients
        for role, code in client.roles.items()
        if code in inactive
    ]
