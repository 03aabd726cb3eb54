"""Write an import plan set-based: executemany (COPY on PostgreSQL) per table, heads before the clients naming them."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.models import (
    BankAccount,
    Client,
    ClientContact,
    ClientStatusChange,
    Person,
    RoleAssignment,
    Subscription,
    TeamMember,
)
from sbrflow.models.bulk import bulk_insert, grouped
from sbrflow.tasks.crm_store import Plan, chunks, id_map


def apply(session: Session, plan: Plan) -> set[int]:
    """Write the plan (team, clients, their links, persons, contact links); the ids of changed clients."""
    now = datetime.now(UTC)  # bulk UPDATEs by primary key do not run onupdate hooks: set it here
    bulk_insert(session, TeamMember, plan.team_new)
    _update(session, TeamMember, [{**row, "updated_at": now} for row in plan.team_changed])
    numbers = set(plan.touched_clients) | {t for _, _, t in plan.refs if t} | {s["client_number"] for s in plan.subs_new}
    numbers |= {n for n, _, _ in plan.roles_new} | {n for n, _ in plan.ibans_new}
    numbers |= {link["client_number"] for link in plan.links_new}
    clients = id_map(session, Client.client_number, numbers)  # the ones that exist already
    late_refs = _insert_clients(session, plan, clients)
    _update(session, Client, [{**row, "updated_at": now} for row in plan.clients_changed])
    # The import's status changes go into the same log as the acceptance steps, by `import`.
    bulk_insert(session, ClientStatusChange, [
        {"client_id": clients[number], "from_status": old, "to_status": new, "changed_by": "import",
         "changed_at": now, "note": None} for number, old, new in plan.status_log])
    codes = {code for _, _, code in plan.roles_new} | {code for _, code in plan.roles_changed}
    members = id_map(session, TeamMember.code, codes)
    ref_rows: dict[str, dict] = {}
    own: dict[str, list[int]] = defaultdict(list)  # clients billed to (or headed by) themselves
    for number, name, target in late_refs:
        if target == number:
            own[name].append(clients[number])
        else:
            ref_rows.setdefault(number, {"id": clients[number]})[f"{name}_id"] = clients[target] if target else None
    _update(session, Client, list(ref_rows.values()))
    table = Client.__table__
    for name, ids in own.items():  # one statement per chunk instead of an UPDATE per row
        for chunk in chunks(ids):
            session.execute(table.update().where(table.c.id.in_(chunk)).values({f"{name}_id": table.c.id}))
    bulk_insert(session, Subscription, [{**{k: v for k, v in row.items() if k != "client_number"},
                                     "client_id": clients[row["client_number"]]} for row in plan.subs_new])
    _update(session, Subscription, plan.subs_changed)
    _delete(session, Subscription, plan.subs_gone)
    bulk_insert(session, RoleAssignment, [{"client_id": clients[n], "role": role, "team_member_id": members[code],
                                       "product": None} for n, role, code in plan.roles_new])
    _update(session, RoleAssignment, [{"id": rid, "team_member_id": members[code]} for rid, code in plan.roles_changed])
    _delete(session, RoleAssignment, plan.roles_gone)
    bulk_insert(session, BankAccount, [{"client_id": clients[n], "iban": iban} for n, iban in plan.ibans_new])
    _delete(session, BankAccount, plan.ibans_gone)
    bulk_insert(session, Person, plan.persons_new)
    _update(session, Person, [{**row, "updated_at": now} for row in plan.persons_changed])
    persons = id_map(session, Person.contact_number, {link["contact_number"] for link in plan.links_new})
    bulk_insert(session, ClientContact, [
        {**{k: v for k, v in link.items() if k not in ("client_number", "contact_number")},
         "client_id": clients[link["client_number"]], "person_id": persons[link["contact_number"]]}
        for link in plan.links_new])
    _update(session, ClientContact, plan.links_changed)
    return {clients[number] for number in plan.touched_clients}


def _insert_clients(session: Session, plan: Plan, clients: dict[str, int]) -> list[tuple[str, str, str | None]]:
    """Insert new clients in waves, heads before the clients that name them, so that cluster head and
    billed-to go in with the INSERT (an UPDATE per row costs a round trip on PostgreSQL). Returns the
    references still to set by UPDATE: of existing clients, a client billed to itself, cycles."""
    refs: dict[str, dict[str, str | None]] = {}
    for number, name, target in plan.refs:
        refs.setdefault(number, {})[name] = target
    remaining = {row["client_number"]: row for row in plan.clients_new}
    done: set[tuple[str, str]] = set()
    while remaining:
        # A reference to itself does not wait: it is set by one UPDATE afterwards.
        ready = [n for n in remaining if all(t is None or t == n or t in clients for t in refs.get(n, {}).values())]
        ready = ready or list(remaining)  # only cycles left: insert them without, update after
        rows = []
        for number in ready:
            row = {**remaining.pop(number), "cluster_head_id": None, "billed_to_id": None}
            for name, target in refs.get(number, {}).items():
                if target is None or (target in clients and target != number):
                    row[f"{name}_id"] = clients.get(target)
                    done.add((number, name))
            rows.append(row)
        bulk_insert(session, Client, rows)
        clients.update(id_map(session, Client.client_number, ready))
    return [(number, name, target) for number, name, target in plan.refs if (number, name) not in done]


def _update(session: Session, model: type, rows: list[dict]) -> None:
    """UPDATE … WHERE id = :id, executemany per set of changed columns."""
    table = model.__table__
    for keys, group in grouped(rows):
        names = [key for key in keys if key != "id"]
        statement = table.update().where(table.c.id == sa.bindparam("row_id")).values(
            {name: sa.bindparam(f"new_{name}", type_=table.c[name].type) for name in names})
        session.execute(statement, [{"row_id": row["id"], **{f"new_{n}": row[n] for n in names}} for row in group])


def _delete(session: Session, model: type, ids: list[int]) -> None:
    for chunk in chunks(ids):
        session.execute(sa.delete(model).where(model.id.in_(chunk)))
