"""The CRM query manager: filters (domain/crm_query.py) → one SELECT; rows, an .xlsx/.csv export, saved queries.

`clients`: one row per client matching every client filter, and — when there are person filters —
having one contact link (the same person) matching all of them. `persons`: one row per contact link
(person × client) matching every filter. Text comparisons ignore case and accents.
An export never holds a BSN (not even masked): its columns are domain.crm_query.columns_for.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from sbrflow.config.settings import get_settings
from sbrflow.domain import vocabulary
from sbrflow.domain.crm_query import (
    Condition,
    QueryError,
    columns_for,
    fold,
    parse_filters,
)
from sbrflow.domain.errors import NotFound
from sbrflow.models import (
    Address,
    Client,
    ClientContact,
    ClientRisk,
    CrmProperty,
    CrmPropertyValue,
    Person,
    RoleAssignment,
    SavedQuery,
    Subscription,
    TeamMember,
)
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_properties import definitions, member

SUBJECTS = ("clients", "persons")
_CHUNK = 5000  # ids per IN (...): below SQLite's bound-parameter limit


class _Sql:
    """Text comparisons without case and accents: `sbrflow_fold` (PostgreSQL: migration 0013; SQLite: Python's)."""

    def __init__(self, session: Session) -> None:
        if session.get_bind().dialect.name == "sqlite":
            raw = session.connection().connection.driver_connection
            raw.create_function("sbrflow_fold", 1, lambda v: None if v is None else fold(v), deterministic=True)

    def fold(self, column) -> sa.ColumnElement:
        return sa.func.sbrflow_fold(column)

    def text(self, column, op: str, value) -> sa.ColumnElement:
        folded = self.fold(column)
        if op == "=":
            return folded == fold(value)
        if op == "!=":
            return sa.or_(column.is_(None), folded != fold(value))
        if op == "~":
            pattern = "%" + fold(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            return folded.like(pattern, escape="\\")
        if op == "?":
            return sa.or_(column.is_(None), column == "")
        if op == "!?":
            return sa.and_(column.is_not(None), column != "")
        raise AssertionError(op)


def _start(day) -> datetime:
    return datetime.combine(day, time(), UTC)


def _dates(column, op: str, value) -> sa.ColumnElement:
    if op == "?":
        return column.is_(None)
    if op == "!?":
        return column.is_not(None)
    return column < value if op == "<" else column > value


def _custom(sql: _Sql, c: Condition, owner) -> sa.ColumnElement:
    """A condition on a custom property or indicator of the owner (client.id or person.id column)."""
    v = aliased(CrmPropertyValue)
    column = v.client_id if c.custom.target == "client" else v.person_id
    property_id = sa.select(CrmProperty.id).where(CrmProperty.name == c.custom.name).scalar_subquery()
    where = [column == owner, v.property_id == property_id]
    if c.op in ("?", "!=") and c.custom.kind == "indicator" or c.op == "?":
        return ~sa.exists().where(*where)
    if c.op == "!?" or c.custom.kind == "indicator":
        return sa.exists().where(*where)
    kind = c.custom.kind
    if kind == "number" and c.op in ("<", ">", "=", "!="):
        # Only this property's values are numbers: the CASE keeps PostgreSQL from casting another's text.
        number = sa.cast(sa.case((v.property_id == property_id, v.value), else_=None), sa.Numeric(18, 4))
        test = {"<": number < c.value, ">": number > c.value, "=": number == c.value}.get(c.op)
        if c.op == "!=":
            return ~sa.exists().where(*where, number == c.value)
        return sa.exists().where(*where, test)
    if kind == "date" and c.op in ("<", ">", "="):
        return sa.exists().where(*where, {"<": v.value < c.value, ">": v.value > c.value, "=": v.value == c.value}[c.op])
    if c.op == "!=":
        return ~sa.exists().where(*where, sql.text(v.value, "=", c.value))
    return sa.exists().where(*where, sql.text(v.value, c.op, c.value))


def _client_conditions(sql: _Sql, conditions: list[Condition], client) -> list[sa.ColumnElement]:
    out: list[sa.ColumnElement] = []
    by = defaultdict(list)
    for c in conditions:
        by[c.field].append(c)
    # product= and frequency= hold for the same subscription: "monthly VAT", not "VAT, and something monthly".
    products = [c.value for c in by.pop("product", []) if c.op == "="]
    frequencies = [c.value for c in by.get("frequency", []) if c.op == "="]
    negated_products = [c.value for c in conditions if c.field == "product" and c.op == "!="]
    for product in products or ([None] if frequencies else []):
        s = aliased(Subscription)
        where = [s.client_id == client.id] + ([s.product == product] if product else [])
        where += [s.frequency == f for f in frequencies]
        out.append(sa.exists().where(*where))
    for product in negated_products:
        s = aliased(Subscription)
        out.append(~sa.exists().where(s.client_id == client.id, s.product == product))
    for c in by.pop("frequency", []):
        if c.op == "!=":
            s = aliased(Subscription)
            where = [s.client_id == client.id, s.frequency == c.value] + ([s.product.in_(products)] if products else [])
            out.append(~sa.exists().where(*where))
    for items in by.values():
        for c in items:
            out.append(_client_condition(sql, c, client))
    return out


def _client_condition(sql: _Sql, c: Condition, client) -> sa.ColumnElement:
    field, op, value = c.field, c.op, c.value
    if field == "number":
        return sql.text(client.client_number, op, value)
    if field == "name":
        return sql.text(client.name, op, value)
    if field in ("status", "type", "legal_form"):
        column = {"status": client.status, "type": client.kind, "legal_form": client.legal_form}[field]
        if op == "?":
            return column.is_(None)
        if op == "!?":
            return column.is_not(None)
        return column == value if op == "=" else sa.or_(column.is_(None), column != value)
    if field == "holder" or field.startswith("role:"):
        ra, tm = aliased(RoleAssignment), aliased(TeamMember)
        where = [ra.client_id == client.id]
        if field.startswith("role:"):
            where += [ra.role == field[5:], ra.product.is_(None)]
        if op in ("?", "!?"):
            found = sa.exists().where(*where)
            return ~found if op == "?" else found
        found = sa.exists().where(*where, tm.id == ra.team_member_id, tm.code == value)
        return found if op == "=" else ~found
    if field == "city":
        a = aliased(Address)
        if op == "?":
            return ~sa.exists().where(a.client_id == client.id, a.city.is_not(None), a.city != "")
        if op == "!=":
            return ~sa.exists().where(a.client_id == client.id, sql.text(a.city, "=", value))
        return sa.exists().where(a.client_id == client.id, sql.text(a.city, op, value))
    if field == "risk":
        r = aliased(ClientRisk)
        if op in ("?", "!?"):
            found = sa.exists().where(r.client_id == client.id)
            return ~found if op == "?" else found
        found = sa.exists().where(r.client_id == client.id, r.risk_class == value)
        return found if op == "=" else ~found
    if field == "work_stop":
        return client.work_stop == value
    if field == "created":
        return client.created_at < _start(value) if op == "<" else client.created_at >= _start(value + timedelta(1))
    if c.custom is not None:
        return _custom(sql, c, client.id)
    raise AssertionError(field)


def _person_condition(sql: _Sql, c: Condition, link, person) -> sa.ColumnElement:
    field, op, value = c.field, c.op, c.value
    if field == "function":
        return sql.text(link.function, op, value)
    if field == "person_name":
        full = (sa.func.coalesce(person.first_name, "") + " " + sa.func.coalesce(person.name_prefix, "") + " "
                + person.last_name)
        if op == "=":
            return sa.or_(sql.text(person.last_name, "=", value), sql.text(full, "~", value))
        return sql.text(full, op, value)
    if field == "contact_number":
        return sql.text(person.contact_number, op, value)
    if field == "email":
        return sql.text(person.email, op, value)
    if field == "has_email":
        has = sa.and_(person.email.is_not(None), person.email != "")
        return has if value else sa.not_(has)
    if field == "ubo":
        threshold = get_settings().ubo_threshold
        is_ubo = sa.or_(link.is_pseudo_ubo, sa.and_(link.share_percentage.is_not(None),
                                                    link.share_percentage > threshold))
        return is_ubo if value else sa.not_(is_ubo)
    if field == "primary":
        return link.is_primary == value
    if field == "id_expires":
        return _dates(person.id_document_expires_on, op, value)
    if c.custom is not None:
        return _custom(sql, c, person.id)
    raise AssertionError(field)


def _sides(conditions: list[Condition]) -> tuple[list[Condition], list[Condition]]:
    return [c for c in conditions if c.side == "client"], [c for c in conditions if c.side == "person"]


def _select(session: Session, subject: str, conditions: list[Condition]) -> sa.Select:
    """The ids of what matches: client ids, or (contact link id) for persons."""
    sql = _Sql(session)
    client_side, person_side = _sides(conditions)
    if subject == "clients":
        where = _client_conditions(sql, client_side, Client)
        if person_side:
            cc, p = aliased(ClientContact), aliased(Person)
            where.append(sa.exists().where(cc.client_id == Client.id, p.id == cc.person_id,
                                           *[_person_condition(sql, c, cc, p) for c in person_side]))
        return sa.select(Client.id).where(*where)
    where = _client_conditions(sql, client_side, Client)
    where += [_person_condition(sql, c, ClientContact, Person) for c in person_side]
    return (sa.select(ClientContact.id).join(Client, Client.id == ClientContact.client_id)
            .join(Person, Person.id == ClientContact.person_id).where(*where))


def _subject(subject: str) -> str:
    if subject not in SUBJECTS:
        raise QueryError(f"{subject!r} is not what a query lists; valid: {', '.join(SUBJECTS)}")
    return subject


def _person_name(first, initials, prefix, last) -> str:
    return " ".join(part for part in (first or initials or "", prefix, last) if part)


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start:start + _CHUNK] for start in range(0, len(ids), _CHUNK)]


def _client_rows(session: Session, ids: sa.Select) -> list[dict]:
    # The filters run once; the columns are then read per chunk of ids (re-running the filters per column cost 4×).
    chosen = sorted(session.scalars(ids))
    rows: dict[int, dict] = {}
    products = defaultdict(list)
    for chunk in _chunks(chosen):
        for r in session.execute(sa.select(Client.id, Client.client_number, Client.name, Client.status, Client.kind,
                                           Client.legal_form).where(Client.id.in_(chunk))):
            rows[r.id] = {"client_number": r.client_number, "name": r.name, "status": r.status.value,
                          "type": r.kind.value, "legal_form": r.legal_form.value if r.legal_form else None,
                          "city": None, "risk": None, "products": "", "indicators": ""}
        for client_id, city in session.execute(sa.select(Address.client_id, Address.city).where(
                Address.client_id.in_(chunk), Address.city.is_not(None)).order_by(Address.kind.desc())):
            rows[client_id]["city"] = city
        for client_id, risk in session.execute(sa.select(ClientRisk.client_id, ClientRisk.risk_class)
                                               .where(ClientRisk.client_id.in_(chunk))):
            rows[client_id]["risk"] = risk
        for client_id, product, frequency in session.execute(
                sa.select(Subscription.client_id, Subscription.product, Subscription.frequency)
                .where(Subscription.client_id.in_(chunk)).order_by(Subscription.product)):
            products[client_id].append(f"{product.value}/{frequency.value}")
    _add_properties(session, rows, "client", chosen)
    for client_id, row in rows.items():
        row["products"] = ", ".join(products[client_id])
    return sorted(rows.values(), key=lambda r: r["client_number"])


def _add_properties(session: Session, rows: dict, side: str, owners: list[int], key=lambda k: k) -> None:
    column = CrmPropertyValue.client_id if side == "client" else CrmPropertyValue.person_id
    found: dict = defaultdict(dict)
    for chunk in _chunks(sorted(set(owners))):
        for owner, name, kind, value in session.execute(
                sa.select(column, CrmProperty.name, CrmProperty.kind, CrmPropertyValue.value)
                .join(CrmProperty, CrmProperty.id == CrmPropertyValue.property_id).where(column.in_(chunk))
                .order_by(CrmProperty.name)):
            found[owner][name] = (kind, value)
    for row_key, row in rows.items():
        values = found.get(key(row_key), {})
        row["indicators"] = ", ".join(n for n, (k, _) in values.items() if k == "indicator")
        row.update({f"prop:{n}": v for n, (k, v) in values.items() if k != "indicator"})


def _person_rows(session: Session, ids: sa.Select) -> list[dict]:
    rows, person_of = {}, {}
    for r in session.execute(
            sa.select(ClientContact.id, ClientContact.person_id, ClientContact.function, ClientContact.is_primary,
                      Person.contact_number, Person.first_name, Person.initials, Person.name_prefix,
                      Person.last_name, Person.email, Client.client_number, Client.name)
            .join(Person, Person.id == ClientContact.person_id).join(Client, Client.id == ClientContact.client_id)
            .where(ClientContact.id.in_(ids.scalar_subquery()))):
        person_of[r.id] = r.person_id
        rows[r.id] = {"contact_number": r.contact_number,
                      "person_name": _person_name(r.first_name, r.initials, r.name_prefix, r.last_name),
                      "email": r.email, "function": r.function, "client_number": r.client_number,
                      "client_name": r.name, "primary": r.is_primary, "indicators": ""}
    if rows:
        _add_properties(session, rows, "person", list(person_of.values()), key=person_of.get)
    return sorted(rows.values(), key=lambda r: (r["client_number"], r["contact_number"]))


def run_query(filters: list[str], *, subject: str = "clients") -> dict:
    """Every row matching all filters, with the columns an export writes."""
    subject = _subject(subject)
    with unit_of_work() as session:
        custom = definitions(session)
        conditions = parse_filters(filters, custom)
        ids = _select(session, subject, conditions)
        rows = _client_rows(session, ids) if subject == "clients" else _person_rows(session, ids)
        columns = columns_for(subject, custom)
    return {"subject": subject, "filters": list(filters), "count": len(rows),
            "columns": [key for key, _ in columns], "headers": [header for _, header in columns], "rows": rows}


def export_rows(result: dict, path: str | Path) -> Path:
    """Write a query's rows to PATH.xlsx (openpyxl, write-only) or PATH.csv (';', UTF-8 with BOM); no BSN."""
    from sbrflow.integrations.crm.cells import formula_safe

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise QueryError(f"{path.name}: export to a .xlsx or a .csv file")
    keys, headers = result["columns"], result["headers"]

    def cells(row: dict) -> list:
        values = []
        for key in keys:
            value = row.get(key)
            values.append("" if value is None else vocabulary.bool_label(value) if isinstance(value, bool) else value)
        return values

    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(headers)
            writer.writerows([formula_safe(v) for v in cells(row)] for row in result["rows"])
        return path
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Selectie" if result["subject"] == "clients" else "Personen")
    sheet.append(headers)
    for row in result["rows"]:
        out = cells(row)
        for i, value in enumerate(out):
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, even when it starts with '=': never a live formula
                out[i] = cell
        sheet.append(out)
    temporary = path.with_suffix(".part.xlsx")
    book.save(temporary)
    temporary.replace(path)
    return path


def export_query(filters: list[str], path: str | Path, *, subject: str = "clients") -> dict:
    """Run the query and write its rows to PATH (.xlsx or .csv)."""
    result = run_query(filters, subject=subject)
    export_rows(result, path)
    return result | {"file": str(path)}


# ---------------------------------------------------------------- saved queries (per member; private unless shared)

def save_query(name: str, filters: list[str], *, by: str, subject: str = "clients", shared: bool = False,
               now: datetime | None = None) -> dict:
    """Save (or replace) the member's query NAME; the filters are checked first."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise QueryError("a saved query needs a name of 1–100 characters")
    if not filters:
        raise QueryError("a saved query needs at least one filter (--where)")
    subject = _subject(subject)
    with unit_of_work() as session:
        parse_filters(filters, definitions(session))
        owner = member(session, by)
        row = session.scalar(sa.select(SavedQuery).where(SavedQuery.owner_id == owner.id, SavedQuery.name == name))
        if row is None:
            row = SavedQuery(owner_id=owner.id, name=name)
            session.add(row)
        row.filters, row.subject, row.shared = json.dumps(list(filters)), subject, shared
        row.saved_at = now or datetime.now(UTC)
    return {"name": name, "owner": owner.code, "shared": shared, "subject": subject, "filters": list(filters)}


def _visible(session: Session, owner_id: int):
    return sa.or_(SavedQuery.owner_id == owner_id, SavedQuery.shared.is_(True))


def saved_query(name: str, *, by: str) -> dict:
    """The query NAME the member may run: their own first, else one another member shared."""
    with unit_of_work() as session:
        who = member(session, by)
        rows = session.execute(
            sa.select(SavedQuery, TeamMember.code).join(TeamMember, TeamMember.id == SavedQuery.owner_id)
            .where(SavedQuery.name == name, _visible(session, who.id))
            .order_by((SavedQuery.owner_id != who.id), TeamMember.code)).all()
        if not rows:
            mine = [q["name"] for q in _list(session, who.id)]
            raise NotFound(f"no saved query {name!r} that {who.code} may run; available: "
                           + (", ".join(mine) or "none"))
        row, owner = rows[0]
        return {"name": row.name, "owner": owner, "shared": row.shared, "subject": row.subject,
                "filters": json.loads(row.filters)}


def _list(session: Session, member_id: int) -> list[dict]:
    return [{"name": q.name, "owner": code, "shared": q.shared, "subject": q.subject, "filters": json.loads(q.filters)}
            for q, code in session.execute(
                sa.select(SavedQuery, TeamMember.code).join(TeamMember, TeamMember.id == SavedQuery.owner_id)
                .where(_visible(session, member_id)).order_by(SavedQuery.name, TeamMember.code))]


def list_saved(*, by: str) -> list[dict]:
    """The member's own queries and those others shared."""
    with unit_of_work() as session:
        return _list(session, member(session, by).id)


def run_saved(name: str, *, by: str, export: str | Path | None = None) -> dict:
    """Run (and optionally export) a saved query the member may see."""
    query = saved_query(name, by=by)
    if export is not None:
        return export_query(query["filters"], export, subject=query["subject"]) | {"saved": query}
    return run_query(query["filters"], subject=query["subject"]) | {"saved": query}
