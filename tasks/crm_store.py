"""Compare the workbook's valid rows with the database and write only the differences, set-based.

`plan_changes` bulk-loads the existing rows by natural key (client_number, contact_number, team
code) in chunks of a few thousand keys — a handful of queries whatever the file's size — and
works out what to insert, update and delete. `apply` writes that plan with executemany statements.
A column the file does not have is left alone in the database: a sheet without `RSIN` does not
erase RSINs. Re-importing an unchanged file yields an empty plan: zero writes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from sbrflow.domain.enums import Frequency, Product, Role
from sbrflow.integrations.crm import PERSON_FIELDS, ClientRow, WorkbookData
from sbrflow.models import BankAccount, Client, ClientContact, Person, RoleAssignment, Subscription, TeamMember
from sbrflow.models.db import chunks  # also imported from here by the other crm_* tasks
from sbrflow.tasks.crm_duplicates import PossibleDuplicate, find_possible_duplicates

CLIENT_FIELDS = ("name", "kind", "status", "legal_form", "rsin", "bsn", "ob_number", "vat_id",
                 "payroll_tax_number", "kvk_number", "sbr_enabled", "ideal_enabled", "work_stop", "work_stop_reason",
                 "work_stop_since")
LINK_FIELDS = ("function", "is_primary", "portal_access", "share_percentage", "is_pseudo_ubo",
               "correspondence_at_client")
TEAM_FIELDS = ("name", "email", "active", "client_approver", "central_admin")
_SUBSCRIBED = {"vat_frequency": Product.VAT_RETURN, "payroll_frequency": Product.PAYROLL_RETURN}
_ROLE_COLUMNS = tuple((role, role.value) for role in Role)  # enum attribute access is slow in a 20,000-row loop


def id_map(session: Session, key: sa.Column, keys: Iterable[str]) -> dict[str, int]:
    """Natural key → id for the keys that exist, in one query per chunk."""
    model_id = key.table.c.id
    return {k: i for chunk in chunks(set(keys)) for k, i in session.execute(sa.select(key, model_id).where(key.in_(chunk)))}


@dataclass
class Plan:
    """What an import changes, keyed by natural keys (ids of new rows are only known after writing)."""

    counts: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in ("clients", "contacts", "team")})
    team_new: list[dict] = field(default_factory=list)
    team_changed: list[dict] = field(default_factory=list)
    clients_new: list[dict] = field(default_factory=list)
    clients_changed: list[dict] = field(default_factory=list)
    refs: list[tuple[str, str, str | None]] = field(default_factory=list)  # client, column, target client
    subs_new: list[dict] = field(default_factory=list)
    subs_changed: list[dict] = field(default_factory=list)
    subs_gone: list[int] = field(default_factory=list)
    roles_new: list[tuple[str, Role, str]] = field(default_factory=list)
    roles_changed: list[tuple[int, str]] = field(default_factory=list)
    roles_gone: list[int] = field(default_factory=list)
    ibans_new: list[tuple[str, str]] = field(default_factory=list)
    ibans_gone: list[int] = field(default_factory=list)
    persons_new: list[dict] = field(default_factory=list)
    persons_changed: list[dict] = field(default_factory=list)
    links_new: list[dict] = field(default_factory=list)
    links_changed: list[dict] = field(default_factory=list)
    status_log: list[tuple[str, object, object]] = field(default_factory=list)  # client, old, new status
    touched_clients: set[str] = field(default_factory=set)  # created or updated client numbers
    duplicates: list[PossibleDuplicate] = field(default_factory=list)

    @property
    def writes(self) -> int:
        """The number of rows the plan inserts, updates or deletes."""
        return sum(len(value) for name, value in vars(self).items()
                   if isinstance(value, list) and name != "duplicates")


def _changes(current: dict, wanted: dict) -> dict:
    return {name: value for name, value in wanted.items() if current.get(name) != value}


def plan_changes(session: Session, data: WorkbookData) -> Plan:
    """Work out the inserts, updates and deletes that make the database match the valid rows."""
    plan = Plan()
    _plan_team(session, data, plan)
    _plan_clients(session, data, plan)
    _plan_contacts(session, data, plan)
    return plan


def _present(data: WorkbookData, kind: str) -> set[str]:
    return set(data.layout.headers.get(kind, {}))


def _plan_team(session: Session, data: WorkbookData, plan: Plan) -> None:
    present = _present(data, "team") & set(TEAM_FIELDS) | {"name"}
    codes = [member.code for member in data.team]
    existing = {row.code: row._asdict() for chunk in chunks(codes) for row in session.execute(
        sa.select(TeamMember.id, TeamMember.code, *[getattr(TeamMember, f) for f in TEAM_FIELDS])
        .where(TeamMember.code.in_(chunk)))}
    for member in data.team:
        wanted = {name: getattr(member, name) for name in present}
        current = existing.get(member.code)
        if current is None:
            plan.team_new.append({"code": member.code, **wanted})
            plan.counts["team"]["created"] += 1
        elif changes := _changes(current, wanted):
            plan.team_changed.append({"id": current["id"], **changes})
            plan.counts["team"]["updated"] += 1
        else:
            plan.counts["team"]["unchanged"] += 1


def _client_values(client: ClientRow, present: set[str], heads: set[str]) -> dict:
    values = {name: getattr(client, name) for name in CLIENT_FIELDS if name in present}
    if "cluster_head" in present:
        # The head names itself (or is named by others in the file); it has no head of its own.
        own = client.cluster_head == client.client_number
        values["is_cluster_head"] = own or client.client_number in heads
        values["cluster_head"] = None if own else client.cluster_head
    if "billed_to" in present:
        values["billed_to"] = client.billed_to
    return values


def _plan_clients(session: Session, data: WorkbookData, plan: Plan) -> None:
    present = _present(data, "clients") | {"name", "kind", "status"}
    heads = {c.cluster_head for c in data.clients if c.cluster_head and c.cluster_head != c.client_number}
    numbers = [client.client_number for client in data.clients]
    head, billed = aliased(Client), aliased(Client)
    existing: dict[str, dict] = {}
    for chunk in chunks(numbers):
        rows = session.execute(
            sa.select(Client.id, Client.client_number, *[getattr(Client, f) for f in CLIENT_FIELDS],
                      Client.is_cluster_head, head.client_number.label("cluster_head"),
                      billed.client_number.label("billed_to"))
            .outerjoin(head, head.id == Client.cluster_head_id)
            .outerjoin(billed, billed.id == Client.billed_to_id)
            .where(Client.client_number.in_(chunk)))
        existing.update((row.client_number, row._asdict()) for row in rows)
    subs, roles, ibans = _client_children(session, numbers)
    for client in data.clients:
        number = client.client_number
        wanted = _client_values(client, present, heads)
        refs = {name: wanted.pop(name) for name in ("cluster_head", "billed_to") if name in wanted}
        current = existing.get(number)
        if current is None:
            plan.clients_new.append({"client_number": number, **wanted})
            plan.status_log.append((number, None, wanted["status"]))
            changed = True
        else:
            changes = _changes(current, wanted)
            if changes:
                plan.clients_changed.append({"id": current["id"], **changes})
            if "status" in changes:
                plan.status_log.append((number, current["status"], changes["status"]))
            changed = bool(changes)
        for name, target in refs.items():
            if (current or {}).get(name) != target:
                plan.refs.append((number, name, target))
                changed = True
        changed |= _plan_children(client, present, subs, roles, ibans, plan)
        status = "created" if current is None else "updated" if changed else "unchanged"
        plan.counts["clients"][status] += 1
        if changed:
            plan.touched_clients.add(number)


def _client_children(session: Session, numbers: Sequence[str]) -> tuple[dict, dict, dict]:
    """Existing VAT/payroll subscriptions, general role holders and IBANs of these clients."""
    subs: dict[tuple[str, Product], tuple[int, Frequency, int | None]] = {}
    roles: dict[tuple[str, Role], tuple[int, str]] = {}
    ibans: dict[str, dict[str, int]] = defaultdict(dict)  # client number → iban → id
    for chunk in chunks(numbers):
        number_in = Client.client_number.in_(chunk)
        for sid, number, product, frequency, start in session.execute(
            sa.select(Subscription.id, Client.client_number, Subscription.product, Subscription.frequency,
                      Subscription.quarter_start_month).join(Client, Client.id == Subscription.client_id)
            .where(number_in, Subscription.product.in_(list(_SUBSCRIBED.values())))):
            subs[(number, product)] = (sid, frequency, start)
        for rid, number, role, code in session.execute(
            sa.select(RoleAssignment.id, Client.client_number, RoleAssignment.role, TeamMember.code)
            .join(Client, Client.id == RoleAssignment.client_id)
            .join(TeamMember, TeamMember.id == RoleAssignment.team_member_id)
            .where(number_in, RoleAssignment.product.is_(None))):
            roles[(number, role)] = (rid, code)
        for bid, number, iban in session.execute(
            sa.select(BankAccount.id, Client.client_number, BankAccount.iban)
            .join(Client, Client.id == BankAccount.client_id).where(number_in)):
            ibans[number][iban] = bid
    return subs, roles, ibans


def _plan_children(client: ClientRow, present: set[str], subs: dict, roles: dict, ibans: dict, plan: Plan) -> bool:
    """Plan subscriptions, roles and IBANs of one client; True when anything changes."""
    number, changed = client.client_number, False
    for column, product in _SUBSCRIBED.items():
        if column not in present:
            continue
        frequency = client.vat_frequency if product is Product.VAT_RETURN else client.payroll_frequency
        start = (client.vat_quarter_start_month or 1) if frequency is Frequency.QUARTER else None
        current = subs.get((number, product))
        if frequency is None:
            if current is not None:
                plan.subs_gone.append(current[0])
                changed = True
        elif current is None:
            plan.subs_new.append({"client_number": number, "product": product, "frequency": frequency,
                                  "quarter_start_month": start})
            changed = True
        elif current[1:] != (frequency, start):
            plan.subs_changed.append({"id": current[0], "frequency": frequency, "quarter_start_month": start})
            changed = True
    for role, column in _ROLE_COLUMNS:
        if column not in present:
            continue
        code, current = client.roles.get(role), roles.get((number, role))
        if code is None:
            if current is not None:
                plan.roles_gone.append(current[0])
                changed = True
        elif current is None:
            plan.roles_new.append((number, role, code))
            changed = True
        elif current[1] != code:
            plan.roles_changed.append((current[0], code))
            changed = True
    if "ibans" in present:
        wanted = set(client.ibans)
        new = [(number, iban) for iban in client.ibans if iban not in ibans.get(number, {})]
        gone = [bid for iban, bid in ibans.get(number, {}).items() if iban not in wanted]
        plan.ibans_new += new
        plan.ibans_gone += gone
        changed |= bool(new or gone)
    return changed


def _plan_contacts(session: Session, data: WorkbookData, plan: Plan) -> None:
    present = _present(data, "contacts") | {"last_name"}
    person_fields = [name for name in PERSON_FIELDS if name in present]
    link_fields = [name for name in LINK_FIELDS if name in present]
    persons = {}
    for row in data.contacts:  # the rows of one contact number agree on these (checked on reading)
        if row.merged_from is None:  # a merged registration brings its links, not the head's details
            persons.setdefault(row.contact_number, row)
    existing: dict[str, dict] = {}
    links: dict[tuple[str, str], dict] = {}
    for chunk in chunks({row.contact_number for row in data.contacts}):
        existing.update((row.contact_number, row._asdict()) for row in session.execute(
            sa.select(Person.id, Person.contact_number, *[getattr(Person, f) for f in PERSON_FIELDS])
            .where(Person.contact_number.in_(chunk))))
        for row in session.execute(
            sa.select(ClientContact.id, Client.client_number, Person.contact_number,
                      *[getattr(ClientContact, f) for f in LINK_FIELDS])
            .join(Client, Client.id == ClientContact.client_id).join(Person, Person.id == ClientContact.person_id)
            .where(Person.contact_number.in_(chunk))):
            links[(row.client_number, row.contact_number)] = row._asdict()
    changed_persons: set[str] = set()
    for number, row in persons.items():
        wanted = {name: getattr(row, name) for name in person_fields}
        current = existing.get(number)
        if current is None:
            plan.persons_new.append({"contact_number": number, **wanted})
            changed_persons.add(number)
        elif changes := _changes(current, wanted):
            plan.persons_changed.append({"id": current["id"], **changes})
            changed_persons.add(number)
    planned: set[tuple[str, str]] = set()
    for row in data.contacts:
        person_new = row.contact_number not in existing
        status = "created" if person_new else "updated" if row.contact_number in changed_persons else "unchanged"
        if row.client_number is not None and (row.client_number, row.contact_number) in planned:
            pass  # a merged registration's link the head has already: the head's own row wins
        elif row.client_number is not None:
            planned.add((row.client_number, row.contact_number))
            wanted = {name: getattr(row, name) for name in link_fields}
            current = links.get((row.client_number, row.contact_number))
            if current is None:
                plan.links_new.append({"client_number": row.client_number, "contact_number": row.contact_number,
                                       **wanted})
                status = "created"
            elif changes := _changes(current, wanted):
                plan.links_changed.append({"id": current["id"], **changes})
                status = "updated" if status == "unchanged" else status
        plan.counts["contacts"][status] += 1
    plan.duplicates = find_possible_duplicates(session, [persons[n] for n in persons if n not in existing])
