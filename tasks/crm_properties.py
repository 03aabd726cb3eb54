"""Custom properties and indicators: an admin defines them; values are set and cleared per client or person.

An indicator (a tag such as "Lead" or "Oud-medewerker") is a property of kind `indicator`: it is set
or not. Each function is one unit of work. Values are also imported as extra workbook columns named
as the definition (`property_columns`, called by tasks/crm_import.py).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.domain.crm_query import PropertyDef, QueryError, fold, parse_custom_value
from sbrflow.domain.errors import NotFound, SbrflowError
from sbrflow.models import (
    Client,
    CrmProperty,
    CrmPropertyValue,
    Person,
    PersonAlias,
    TeamMember,
)
from sbrflow.models.crm_query import PROPERTY_KINDS, PROPERTY_TARGETS
from sbrflow.models.db import unit_of_work
from sbrflow.models.team import TeamAccount


class NotAdmin(SbrflowError, PermissionError):
    """The team member taking the step is no admin (defining properties is for admins)."""


def member(session: Session, code: str) -> TeamMember:
    """The active team member with this code, or NotFound."""
    row = session.scalar(sa.select(TeamMember).where(TeamMember.code == (code or "").upper()))
    if row is None:
        raise NotFound(f"no team member with code {code!r}")
    if not row.active:
        raise SbrflowError(f"team member {row.code} is not active")
    return row


def require_admin(session: Session, code: str) -> TeamMember:
    """The member, when they are an admin (team_account.is_admin); NotAdmin otherwise."""
    row = member(session, code)
    if not session.scalar(sa.select(TeamAccount.is_admin).where(TeamAccount.team_member_id == row.id)):
        raise NotAdmin(f"team member {row.code} is not an admin; only admins define properties and indicators "
                       "(sbrflow team admin CODE)")
    return row


def definitions(session: Session) -> list[PropertyDef]:
    """Every custom property and indicator, by name."""
    return [PropertyDef(p.name, p.target, p.kind, tuple(json.loads(p.choices or "[]")))
            for p in session.scalars(sa.select(CrmProperty).order_by(CrmProperty.name))]


def _definition(session: Session, name: str) -> CrmProperty:
    for row in session.scalars(sa.select(CrmProperty)):
        if fold(row.name) == fold(name):
            return row
    known = ", ".join(p.name for p in definitions(session)) or "none defined yet (crm define)"
    raise NotFound(f"no custom property or indicator named {name!r}; defined: {known}")


def define_property(name: str, *, kind: str, target: str, by: str, choices: Collection[str] = (),
                    now: datetime | None = None) -> dict:
    """Define a custom property (text, number, date, choice) or an indicator, for clients or for persons."""
    name = (name or "").strip()
    if not name or len(name) > 60 or name.startswith(("prop:", "role:")) or any(c in name for c in "=!~<>?"):
        raise QueryError(f"{name!r} cannot be a property name: 1–60 characters, none of = ! ~ < > ?")
    if kind not in PROPERTY_KINDS:
        raise QueryError(f"{kind!r} is not a property type; valid: {', '.join(PROPERTY_KINDS)}")
    if target not in PROPERTY_TARGETS:
        raise QueryError(f"{target!r} is not what a property belongs to; valid: {', '.join(PROPERTY_TARGETS)}")
    options = [c.strip() for c in choices if c.strip()]
    if kind == "choice" and not options:
        raise QueryError("a choice property needs its choices (--choices 'Bouw,Horeca,Zorg')")
    if kind != "choice" and options:
        raise QueryError(f"only a choice property has choices; {name} is {kind}")
    with unit_of_work() as session:
        admin = require_admin(session, by)
        if any(fold(p.name) == fold(name) for p in definitions(session)):
            raise SbrflowError(f"a property or indicator named {name!r} exists already")
        session.add(CrmProperty(name=name, kind=kind, target=target, choices=json.dumps(options) if options else None,
                                created_by=admin.code, created_at=now or datetime.now(UTC)))
    return {"name": name, "kind": kind, "target": target, "choices": options}


def list_properties() -> list[dict]:
    """The definitions, as plain values."""
    with unit_of_work() as session:
        return [{"name": p.name, "kind": p.kind, "target": p.target, "choices": list(p.choices)}
                for p in definitions(session)]


def _owner(session: Session, target: str, number: str) -> tuple[str, int]:
    if target == "client":
        found = session.scalar(sa.select(Client.id).where(Client.client_number == number))
        what = "client with number"
    else:
        found = session.scalar(sa.select(Person.id).where(Person.contact_number == number))
        what = "person with contact number"
    if found is None:
        raise NotFound(f"no {what} {number!r}")
    return ("client_id" if target == "client" else "person_id"), found


def set_value(number: str, name: str, value: str | None = None, *, by: str) -> dict:
    """Set a property's value (or an indicator) for the client or person NUMBER (per the definition's target)."""
    with unit_of_work() as session:
        member(session, by)
        row = _definition(session, name)
        definition = PropertyDef(row.name, row.target, row.kind, tuple(json.loads(row.choices or "[]")))
        if row.kind == "indicator":
            if value not in (None, ""):
                raise QueryError(f"{row.name} is an indicator: it is set or cleared, it takes no value")
            canonical = None
        else:
            canonical = parse_custom_value(definition, value or "")
        column, owner_id = _owner(session, row.target, number)
        write_value(session, row.id, column, owner_id, canonical)
    return {"number": number, "property": row.name, "kind": row.kind, "value": canonical}


def write_value(session: Session, property_id: int, column: str, owner_id: int, value: str | None) -> None:
    """Insert or update one value row."""
    owner = getattr(CrmPropertyValue, column)
    existing = session.scalar(sa.select(CrmPropertyValue).where(CrmPropertyValue.property_id == property_id,
                                                                owner == owner_id))
    if existing is None:
        session.add(CrmPropertyValue(property_id=property_id, value=value, **{column: owner_id}))
    elif existing.value != value:
        existing.value = value


def clear_value(number: str, name: str, *, by: str) -> dict:
    """Remove a property's value (or an indicator) from the client or person NUMBER."""
    with unit_of_work() as session:
        member(session, by)
        row = _definition(session, name)
        column, owner_id = _owner(session, row.target, number)
        removed = session.execute(sa.delete(CrmPropertyValue).where(
            CrmPropertyValue.property_id == row.id, getattr(CrmPropertyValue, column) == owner_id)).rowcount
    return {"number": number, "property": row.name, "cleared": bool(removed)}


def values_of(session: Session, *, client_ids: Collection[int] = (), person_ids: Collection[int] = ()
              ) -> dict[tuple[str, int], dict[str, str | None]]:
    """(`client`|`person`, id) → {property name: value} (an indicator's value is None)."""
    result: dict[tuple[str, int], dict[str, str | None]] = defaultdict(dict)
    for side, column, ids in (("client", CrmPropertyValue.client_id, client_ids),
                              ("person", CrmPropertyValue.person_id, person_ids)):
        ids = sorted(set(ids))
        for start in range(0, len(ids), 5000):
            for owner, prop, value in session.execute(
                sa.select(column, CrmProperty.name, CrmPropertyValue.value)
                .join(CrmProperty, CrmProperty.id == CrmPropertyValue.property_id)
                .where(column.in_(ids[start:start + 5000]))
            ):
                result[(side, owner)][prop] = value
    return result


def property_columns(session: Session, source) -> tuple[list, list[tuple[int, str, str, str | None]], set[tuple]]:
    """Extra workbook columns named as a definition: (problems, values to write, (sheet, header) read).

    Values are (property id, `client`|`person`, number, canonical value); an indicator column holds yes/no.
    Read from the clients sheet (by client number) and the contacts sheet (by contact number).
    """
    from sbrflow.domain import vocabulary
    from sbrflow.integrations.crm import Problem, Severity
    from sbrflow.integrations.crm.reader import load_sheets

    defs = {fold(p.name): p for p in session.scalars(sa.select(CrmProperty))}
    if not defs:
        return [], [], set()
    sheets, _ = load_sheets(source)
    problems, values, read = [], [], set()
    for sheet in sheets:
        target = {"clients": "client", "contacts": "person"}.get(sheet.spec.kind)
        if target is None or sheet.frame.empty:
            continue
        headers = [str(h).strip() for h in sheet.frame.iloc[0]]
        key_field = "client_number" if target == "client" else "contact_number"
        key_at = next((i for i, h in enumerate(headers)
                       if (col := sheet.spec.by_key.get(vocabulary.word_key(h))) and col.field == key_field), None)
        wanted = [(i, defs[fold(h)]) for i, h in enumerate(headers)
                  if fold(h) in defs and defs[fold(h)].target == target and sheet.spec.by_key.get(vocabulary.word_key(h)) is None]
        if key_at is None or not wanted:
            continue
        for position, definition in wanted:
            read.add((sheet.name, headers[position]))
            spec = PropertyDef(definition.name, definition.target, definition.kind,
                               tuple(json.loads(definition.choices or "[]")))
            for row_number, (key, cell) in enumerate(zip(sheet.frame.iloc[1:, key_at], sheet.frame.iloc[1:, position],
                                                        strict=True), start=2):
                key, cell = str(key).strip(), str(cell).strip()
                if not key or not cell:
                    continue
                try:
                    if definition.kind == "indicator":
                        if not vocabulary.parse_bool(cell):
                            continue
                        canonical = None
                    else:
                        canonical = parse_custom_value(spec, cell)
                except (QueryError, vocabulary.UnknownWord) as exc:
                    problems.append(Problem(Severity.ERROR, sheet.name, row_number, headers[position], cell, str(exc)))
                    continue
                values.append((definition.id, target, key, canonical))
    return problems, values, read


def write_property_columns(session: Session, values: list[tuple[int, str, str, str | None]]) -> int:
    """Write the imported values (after the clients and persons themselves); the number of rows written."""
    if not values:
        return 0
    numbers = {"client": {v[2] for v in values if v[1] == "client"}, "person": {v[2] for v in values if v[1] == "person"}}
    ids = {"client": dict(session.execute(sa.select(Client.client_number, Client.id)
                                          .where(Client.client_number.in_(numbers["client"]))).all()),
           "person": dict(session.execute(sa.select(PersonAlias.contact_number, PersonAlias.person_id)  # merged
                                          .where(PersonAlias.contact_number.in_(numbers["person"]))).all())
           | dict(session.execute(sa.select(Person.contact_number, Person.id)
                                  .where(Person.contact_number.in_(numbers["person"]))).all())}
    written = 0
    for property_id, target, number, value in values:
        owner_id = ids[target].get(number)
        if owner_id is not None:
            write_value(session, property_id, "client_id" if target == "client" else "person_id", owner_id, value)
            written += 1
    return written
