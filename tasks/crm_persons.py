"""Creating, merging and deleting persons by hand: duplicate warnings, `--use`, merge into one, AVG delete.

- `add_person` warns (PossibleDuplicates, nothing written) when the new person probably exists: the
  rules of tasks/crm_duplicates.py (same e-mail; same name and date of birth; same BSN, compared in
  SQL and never shown). `force` creates anyway; `use` links the existing person to the client instead.
- `merge_persons` moves every reference to the dropped person to the kept one — every foreign key to
  person.id found in the metadata, so a table added later is not forgotten — fills the kept person's
  empty fields, and then runs the import's Hoofdcontactnummer merge (tasks/crm_merge.py): the dropped
  number becomes an alias. Recorded in the audit trail.
- `delete_person` (admins only) is refused while the person is the only contact of an active client
  or a UBO; otherwise the person and their personal data go, and a tombstone without personal data
  (contact number, who, when, why) stays in the audit trail.

New persons made here get a contact number of their own series, `S00001`, `S00002`, … (the office's
package numbers its own contacts; a number sbrflow made up in that series could later collide with a
different person in the next import). A merged (alias) or deleted number is never handed out again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.domain.enums import ClientStatus
from sbrflow.domain.errors import InvalidIdentifier
from sbrflow.domain.identifiers import normalize_bsn, normalize_email
from sbrflow.domain.wwft import effective_shares
from sbrflow.models import Address, Base, Client, ClientContact, Person, PersonAlias, Shareholding
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import AuditEvent
from sbrflow.tasks.crm_duplicates import person_candidates
from sbrflow.tasks.crm_owners import (
    CrmPeopleNotFound,
    CrmPeopleRefused,
    client_by_number,
    is_admin,
    member,
    person_by_number,
    person_name,
    text_field,
)

NUMBER_PREFIX = "S"
# A client that is one, or on its way to becoming one, must keep a contact.
ACTIVE_STATUSES = frozenset({ClientStatus.CLIENT, ClientStatus.CLIENT_REQUEST, ClientStatus.ACCEPTANCE_DRAFT,
                             ClientStatus.ACCEPTANCE_REVIEW, ClientStatus.ACCEPTANCE_ADMIN})
DELETED = "person.deleted"
# What the kept person takes from the dropped one where its own is empty (identification as one group).
_PERSON_FIELDS = ("initials", "first_name", "name_prefix", "email", "phone", "bsn", "date_of_birth")
_ID_FIELDS = ("id_document_type", "id_document_number", "id_document_expires_on", "id_verified_on",
              "id_verified_by", "id_verification_method")


class PossibleDuplicates(CrmPeopleRefused):
    """The new person probably exists already: nothing written; `candidates` lists who and on which rule."""

    def __init__(self, candidates: list[dict[str, Any]]) -> None:
        self.candidates = candidates
        listed = "; ".join(f"contact {c['contact_number']} {c['name']} (same {', same '.join(c['on'])})"
                           for c in candidates)
        super().__init__(f"this person probably exists already: {listed}. Link the existing one with "
                         "--use CONTACT_NUMBER, or create a new one anyway with --force")


def _audit(session: Session, *, actor: str, action: str, subject_id: int, now: datetime, from_: str | None = None,
           to: str | None = None, details: dict | None = None) -> None:
    session.add(AuditEvent(occurred_at=now, actor=actor, action=action, subject_type="person", subject_id=subject_id,
                           from_state=from_, to_state=to, details=details))


def _clients_of(session: Session, person_ids: list[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {pid: [] for pid in person_ids}
    for pid, number in session.execute(
            sa.select(ClientContact.person_id, Client.client_number).join(Client, Client.id == ClientContact.client_id)
            .where(ClientContact.person_id.in_(person_ids)).order_by(Client.client_number)):
        result[pid].append(number)
    return result


def _describe(session: Session, matches: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The candidates as the warning lists them: number, name, e-mail, clients, rules (no BSN, no birth date)."""
    persons = session.scalars(sa.select(Person).where(Person.contact_number.in_(matches))
                              .order_by(Person.contact_number)).all()
    clients = _clients_of(session, [p.id for p in persons])
    return [{"contact_number": p.contact_number, "name": person_name(p.first_name, p.initials, p.name_prefix,
                                                                     p.last_name),
             "email": p.email, "clients": clients[p.id], "on": matches[p.contact_number]} for p in persons]


def _taken_numbers(session: Session, like: str) -> set[str]:
    taken = set(session.scalars(sa.select(Person.contact_number).where(Person.contact_number.like(like))))
    taken |= set(session.scalars(sa.select(PersonAlias.contact_number).where(PersonAlias.contact_number.like(like))))
    taken |= set(session.scalars(sa.select(AuditEvent.from_state).where(
        AuditEvent.action == DELETED, AuditEvent.subject_type == "person", AuditEvent.from_state.like(like))))
    return taken


def next_contact_number(session: Session) -> str:
    """The next number of sbrflow's own series (`S00001`): never a person's, an alias' or a deleted one's."""
    used = [int(n[len(NUMBER_PREFIX):]) for n in _taken_numbers(session, NUMBER_PREFIX + "%")
            if n[len(NUMBER_PREFIX):].isdigit()]
    return f"{NUMBER_PREFIX}{max(used, default=0) + 1:05d}"


def _link(session: Session, client: Client, person: Person, function: str | None) -> bool:
    """Link person to client with a function; the client's first contact becomes its primary one."""
    existing = session.scalar(sa.select(ClientContact).where(ClientContact.client_id == client.id,
                                                             ClientContact.person_id == person.id))
    if existing is not None:
        raise CrmPeopleRefused(f"contact {person.contact_number} is linked to client {client.client_number} "
                               f"already (function {existing.function or '-'})")
    has_primary = session.scalar(sa.select(sa.func.count()).select_from(ClientContact).where(
        ClientContact.client_id == client.id, ClientContact.is_primary.is_(True)))
    session.add(ClientContact(client_id=client.id, person_id=person.id, function=function,
                              is_primary=not has_primary))
    return not has_primary


def add_person(*, last_name: str | None = None, first_name: str | None = None, initials: str | None = None,
               name_prefix: str | None = None, email: str | None = None, birth_date: str | date | None = None,
               bsn: str | None = None, phone: str | None = None, client: str | None = None,
               function: str | None = None, by: str, force: bool = False, use: str | None = None,
               contact_number: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Create a person (and link them to `client` with `function`), unless they probably exist already.

    Raises PossibleDuplicates with the candidates unless `force`. `use`: link that existing person
    (contact number, or a number merged into one) to `client` instead of creating anyone.
    """
    now = now or datetime.now(UTC)
    function = text_field("function", function, 60, required=False)
    if function and not client:
        raise CrmPeopleRefused("--function is the person's function at a client: name the client with --client")
    if use:
        if not client:
            raise CrmPeopleRefused("--use links the existing person to a client: name the client with --client")
        with unit_of_work() as session:
            actor = member(session, by)
            person = person_by_number(session, use)
            target = client_by_number(session, client)
            primary = _link(session, target, person, function)
            session.flush()
            _audit(session, actor=actor.code, action="person.linked", subject_id=person.id, now=now,
                   to=target.client_number, details={"contact_number": person.contact_number,
                                                     "client_number": target.client_number, "function": function})
            return {"outcome": "linked", "contact_number": person.contact_number, "client_number": target.client_number,
                    "function": function, "is_primary": primary}
    last = text_field("last name", last_name, 100)
    fields = {"first_name": text_field("first name", first_name, 100, required=False),
              "initials": text_field("initials", initials, 20, required=False),
              "name_prefix": text_field("name prefix", name_prefix, 20, required=False),
              "phone": text_field("phone", phone, 40, required=False)}
    try:
        fields["email"] = normalize_email(email) if email and email.strip() else None
        fields["bsn"] = normalize_bsn(bsn) if bsn and str(bsn).strip() else None  # the message masks it
    except InvalidIdentifier as exc:
        raise CrmPeopleRefused(str(exc)) from None
    if birth_date and not isinstance(birth_date, date):
        try:
            birth_date = date.fromisoformat(str(birth_date).strip())
        except ValueError:
            raise CrmPeopleRefused(f"birth date {birth_date!r} is not a date; write it as YYYY-MM-DD, "
                                   "e.g. 1980-05-01") from None
    fields["date_of_birth"] = birth_date or None
    for attempt in range(3):
        try:
            with unit_of_work() as session:
                actor = member(session, by)
                target = client_by_number(session, client) if client else None
                matches = person_candidates(session, last_name=last, **{k: fields[k] for k in (
                    "name_prefix", "first_name", "initials", "email", "date_of_birth", "bsn")})
                candidates = _describe(session, matches)
                if candidates and not force:
                    raise PossibleDuplicates(candidates)
                if contact_number:
                    number = text_field("contact number", contact_number, 32)
                    if session.scalar(sa.select(Person.id).where(Person.contact_number == number)) or session.scalar(
                            sa.select(PersonAlias.id).where(PersonAlias.contact_number == number)):
                        raise CrmPeopleRefused(f"contact number {number} is taken; leave it out to get a new one")
                else:
                    number = next_contact_number(session)
                person = Person(contact_number=number, last_name=last, **fields)
                session.add(person)
                session.flush()
                primary = _link(session, target, person, function) if target else False
                session.flush()
                _audit(session, actor=actor.code, action="person.created", subject_id=person.id, now=now, to=number,
                       details={"contact_number": number, "client_number": target.client_number if target else None,
                                "forced_past": [c["contact_number"] for c in candidates] or None})
                return {"outcome": "created", "contact_number": number,
                        "client_number": target.client_number if target else None, "function": function,
                        "is_primary": primary, "candidates": candidates}
        except sa.exc.IntegrityError:
            # Another creation took the same new S-number between our read and our insert: take the next one.
            if contact_number or attempt == 2:
                raise CrmPeopleRefused("the contact number was taken by another creation at the same moment; "
                                       "run the command again") from None
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- merge

def person_references() -> list[sa.Column]:
    """Every column of every table that refers to person.id, read from the metadata."""
    person = Base.metadata.tables["person"]
    return [fk.parent for table in Base.metadata.sorted_tables for fk in table.foreign_keys
            if fk.column.table is person]


def _unique_sets(column: sa.Column) -> list[list[sa.Column]]:
    """The unique constraints and unique indexes of the column's table that include the column."""
    table = column.table
    sets = [list(c.columns) for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    sets += [list(i.columns) for i in table.indexes if i.unique]
    return [s for s in sets if column in s]


def _move(session: Session, column: sa.Column, old: int, new: int) -> None:
    """Point `column` from old to new, except rows that would collide with one of new's (they go with old)."""
    table = column.table
    condition = column == old
    for columns in _unique_sets(column):
        other = table.alias("held")
        same = [other.c[column.name] == new] + [other.c[c.name] == c for c in columns if c is not column]
        condition = condition & ~sa.exists(sa.select(sa.literal(1)).select_from(other).where(*same))
    session.execute(sa.update(table).where(condition).values({column.name: new}))


def _count(session: Session, column: sa.Column, person_id: int) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(column.table).where(column == person_id)) or 0


def _merge_links(session: Session, keep: int, drop: int) -> None:
    """Where both are linked to one client, the kept link takes the dropped one's function, flags and share."""
    dropped = {c.client_id: c for c in session.scalars(sa.select(ClientContact).where(ClientContact.person_id == drop))}
    for kept in session.scalars(sa.select(ClientContact).where(ClientContact.person_id == keep,
                                                               ClientContact.client_id.in_(dropped))):
        other = dropped[kept.client_id]
        for flag in ("is_primary", "portal_access", "is_pseudo_ubo", "correspondence_at_client"):
            setattr(kept, flag, getattr(kept, flag) or getattr(other, flag))
        for value in ("function", "share_percentage", "location_id"):
            if getattr(kept, value) is None:
                setattr(kept, value, getattr(other, value))
    session.flush()


def merge_persons(keep: str, drop: str, *, by: str, now: datetime | None = None) -> dict[str, Any]:
    """Merge person DROP into person KEEP: every link moves, DROP's number becomes an alias of KEEP."""
    from sbrflow.tasks import crm_merge

    now = now or datetime.now(UTC)
    with unit_of_work() as session:
        actor = member(session, by)
        kept = person_by_number(session, keep)
        dropped = session.scalar(sa.select(Person).where(Person.contact_number == (drop or "").strip()))
        if dropped is None:
            head = session.scalar(sa.select(Person.contact_number).join(PersonAlias, PersonAlias.person_id == Person.id)
                                  .where(PersonAlias.contact_number == (drop or "").strip()))
            if head is not None:
                raise CrmPeopleRefused(f"contact {drop} was merged into {head} already")
            raise CrmPeopleNotFound(f"no contact with number {drop!r}")
        if dropped.id == kept.id:
            raise CrmPeopleRefused(f"contacts {keep} and {drop} are the same person; name two different ones")
        if kept.bsn and dropped.bsn and kept.bsn != dropped.bsn:
            raise CrmPeopleRefused(f"contacts {kept.contact_number} and {dropped.contact_number} have different "
                                   "BSNs, so they are not the same person; correct the wrong BSN first")
        references = person_references()
        before = {c: _count(session, c, kept.id) for c in references}
        kept_own: list[str] = []
        for field in _PERSON_FIELDS:
            mine, theirs = getattr(kept, field), getattr(dropped, field)
            if mine is None and theirs is not None:
                setattr(kept, field, theirs)
            elif theirs is not None and mine != theirs:
                kept_own.append(field)
        if all(getattr(kept, f) is None for f in _ID_FIELDS):
            for field in _ID_FIELDS:
                setattr(kept, field, getattr(dropped, field))
        elif any(getattr(dropped, f) is not None for f in _ID_FIELDS):
            kept_own.append("identification")
        session.flush()
        kept_id, kept_number, dropped_id, dropped_number = kept.id, kept.contact_number, dropped.id, dropped.contact_number
        _merge_links(session, kept_id, dropped_id)
        done_by_import_merge = {ClientContact.__table__.c.person_id, Address.__table__.c.person_id,
                                PersonAlias.__table__.c.person_id}
        for column in references:
            if column not in done_by_import_merge:
                _move(session, column, dropped_id, kept_id)
        session.flush()
        session.expunge(dropped)
        crm_merge.merge_persons(session, {dropped_number: kept_number}, write=True)
        session.expire_all()
        moved = {f"{c.table.name}.{c.name}": _count(session, c, kept_id) - before[c] for c in references}
        moved = {k: v for k, v in moved.items() if v}
        _audit(session, actor=actor.code, action="person.merged", subject_id=kept_id, now=now,
               from_=dropped_number, to=kept_number,
               details={"kept": kept_number, "dropped": dropped_number, "moved": moved or None,
                        "kept_own": kept_own or None})
        return {"kept": kept_number, "dropped": dropped_number, "alias": dropped_number, "moved": moved,
                "kept_own": kept_own}


# ---------------------------------------------------------------- delete (AVG)

def _why_kept(session: Session, person: Person) -> list[str]:
    """Why the person may not be deleted: the active clients they are the only contact of, and UBO roles."""
    from sbrflow.config.settings import get_settings

    reasons = []
    links = session.execute(
        sa.select(Client.id, Client.client_number, Client.name, Client.status, ClientContact.share_percentage,
                  ClientContact.is_pseudo_ubo)
        .join(ClientContact, ClientContact.client_id == Client.id).where(ClientContact.person_id == person.id)
        .order_by(Client.client_number)).all()
    counts = dict(session.execute(
        sa.select(ClientContact.client_id, sa.func.count()).where(ClientContact.client_id.in_([r.id for r in links]))
        .group_by(ClientContact.client_id)).all()) if links else {}
    for row in links:
        if row.status in ACTIVE_STATUSES and counts.get(row.id) == 1:
            reasons.append(f"the only contact of active client {row.client_number} ({row.name}): link another "
                           "contact to that client first")
    threshold = get_settings().ubo_threshold
    direct = [(person.contact_number, row.id, row.share_percentage) for row in links if row.share_percentage]
    ubo_of: set[int] = {row.id for row in links if row.is_pseudo_ubo}
    if direct:
        holdings = [tuple(r) for r in session.execute(
            sa.select(Shareholding.holder_id, Shareholding.owned_id, Shareholding.share_percentage))]
        for company, shares in effective_shares(direct, holdings).items():
            if shares.get(person.contact_number, Decimal(0)) > threshold:
                ubo_of.add(company)
    if ubo_of:
        for number, name, _status, pseudo in session.execute(
                sa.select(Client.client_number, Client.name, Client.status,
                          sa.exists().where(ClientContact.client_id == Client.id,
                                            ClientContact.person_id == person.id,
                                            ClientContact.is_pseudo_ubo.is_(True)))
                .where(Client.id.in_(ubo_of), Client.status != ClientStatus.FORMER_CLIENT)
                .order_by(Client.client_number)):
            reasons.append(f"{'pseudo-UBO' if pseudo else 'a UBO'} of client {number} ({name}): record another "
                           "UBO or remove the share first")
    return reasons


def delete_person(number: str, *, by: str, reason: str, now: datetime | None = None) -> dict[str, Any]:
    """Delete a person with their personal data (admins only); a tombstone stays in the audit trail.

    The tombstone holds the contact number, who, when and why — no name, e-mail, BSN or date of birth.
    """
    now = now or datetime.now(UTC)
    why = text_field("reason", reason, 500)
    with unit_of_work() as session:
        actor = member(session, by)
        if not is_admin(session, actor.id):
            raise CrmPeopleRefused(f"{actor.code} is not an admin; only admins delete persons")
        person = session.scalar(sa.select(Person).where(Person.contact_number == (number or "").strip()))
        if person is None:
            raise CrmPeopleNotFound(f"no contact with number {number!r}")
        blocking = _why_kept(session, person)
        if blocking:
            raise CrmPeopleRefused(f"contact {person.contact_number} is not deleted: they are "
                                   + "; and ".join(blocking))
        aliases = sorted(session.scalars(sa.select(PersonAlias.contact_number)
                                         .where(PersonAlias.person_id == person.id)))
        person_id, contact = person.id, person.contact_number
        session.expunge(person)
        # Links, addresses, aliases, notes and follow-ups go with the person (ON DELETE CASCADE); sent
        # messages and approval requests keep their history without the person (SET NULL).
        session.execute(sa.delete(Person).where(Person.id == person_id))
        _audit(session, actor=actor.code, action=DELETED, subject_id=person_id, now=now, from_=contact,
               details={"contact_number": contact, "aliases": aliases or None, "reason": why})
        return {"deleted": contact, "aliases": aliases, "by": actor.code, "at": now.isoformat(), "reason": why}
