"""Notes on a client or person: title, text, priority, pinned, shown on the client's cases; edits keep history.

Every save (the first one too) is a version row: `show_note` gives the whole history, oldest first.
Pinned notes come first, then the most recently changed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.models import ClientContact, CrmNote, CrmNoteVersion, TeamMember
from sbrflow.models.crm_people import NotePriority
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_owners import (
    CrmPeopleNotFound,
    CrmPeopleRefused,
    client_by_number,
    member,
    owner,
    owner_labels,
    text_field,
)

TITLE_LIMIT = 200
TEXT_LIMIT = 20_000
_PRIORITY_WORDS = {"low": NotePriority.LOW, "laag": NotePriority.LOW, "normal": NotePriority.NORMAL,
                   "normaal": NotePriority.NORMAL, "high": NotePriority.HIGH, "hoog": NotePriority.HIGH}
FIELDS = ("title", "text", "priority", "show_in_cases", "pinned")


def priority(value: str | NotePriority | None) -> NotePriority:
    """low, normal or high (Dutch laag, normaal, hoog); anything else is refused with the valid ones."""
    if value is None:
        return NotePriority.NORMAL
    found = _PRIORITY_WORDS.get(str(getattr(value, "value", value)).strip().lower())
    if found is None:
        raise CrmPeopleRefused(f"priority {value!r} is not valid; valid are: low, normal, high "
                               "(laag, normaal, hoog)")
    return found


def _version(note: CrmNote, by_id: int, at: datetime) -> CrmNoteVersion:
    return CrmNoteVersion(note_id=note.id, version=note.version, title=note.title, text=note.text,
                          priority=note.priority, show_in_cases=note.show_in_cases, pinned=note.pinned,
                          saved_by_id=by_id, saved_at=at)


def _codes(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(sa.select(TeamMember.id, TeamMember.code).where(TeamMember.id.in_(ids))).all()) \
        if ids else {}


def _as_dicts(session: Session, notes: list[CrmNote]) -> list[dict[str, Any]]:
    codes = _codes(session, {n.author_id for n in notes} | {n.updated_by_id for n in notes})
    labels = owner_labels(session, {n.client_id for n in notes if n.client_id},
                          {n.person_id for n in notes if n.person_id})
    result = []
    for n in notes:
        kind, oid = ("client", n.client_id) if n.client_id else ("person", n.person_id)
        number, name = labels.get((kind, oid), (None, None))
        result.append({
            "id": n.id, "about": {"kind": kind, "number": number, "name": name}, "title": n.title, "text": n.text,
            "priority": n.priority.value, "show_in_cases": n.show_in_cases, "pinned": n.pinned,
            "version": n.version, "author": codes.get(n.author_id), "created_at": n.created_at.isoformat(),
            "updated_by": codes.get(n.updated_by_id), "updated_at": n.updated_at.isoformat()})
    return result


def _ordered(query: sa.Select) -> sa.Select:
    return query.order_by(CrmNote.pinned.desc(), CrmNote.updated_at.desc(), CrmNote.id.desc())


def add_note(*, client: str | None = None, person: str | None = None, title: str, text: str,
             priority_: str | None = None, show_in_cases: bool = False, pinned: bool = False, by: str,
             now: datetime | None = None) -> dict[str, Any]:
    """A new note on a client (client number) or person (contact number), by team member `by`."""
    now = now or datetime.now(UTC)
    chosen = priority(priority_)
    title = text_field("title", title, TITLE_LIMIT)
    body = text_field("text", text, TEXT_LIMIT)
    with unit_of_work() as session:
        author = member(session, by)
        about = owner(session, client, person)
        note = CrmNote(client_id=about.client_id, person_id=about.person_id, title=title, text=body,
                       priority=chosen, show_in_cases=show_in_cases, pinned=pinned, version=1,
                       author_id=author.id, created_at=now, updated_by_id=author.id, updated_at=now)
        session.add(note)
        session.flush()
        session.add(_version(note, author.id, now))
        session.flush()
        return _as_dicts(session, [note])[0]


def _note(session: Session, note_id: int) -> CrmNote:
    note = session.get(CrmNote, note_id)
    if note is None:
        raise CrmPeopleNotFound(f"no note with id {note_id}")
    return note


def edit_note(note_id: int, *, by: str, title: str | None = None, text: str | None = None,
              priority_: str | None = None, show_in_cases: bool | None = None, pinned: bool | None = None,
              now: datetime | None = None) -> dict[str, Any]:
    """Change the given fields; the new state is saved as the next version (the old ones stay)."""
    now = now or datetime.now(UTC)
    wanted: dict[str, Any] = {}
    if title is not None:
        wanted["title"] = text_field("title", title, TITLE_LIMIT)
    if text is not None:
        wanted["text"] = text_field("text", text, TEXT_LIMIT)
    if priority_ is not None:
        wanted["priority"] = priority(priority_)
    if show_in_cases is not None:
        wanted["show_in_cases"] = show_in_cases
    if pinned is not None:
        wanted["pinned"] = pinned
    if not wanted:
        raise CrmPeopleRefused("nothing to change: give a new title, text, priority, in-cases or pinned")
    with unit_of_work() as session:
        editor = member(session, by)
        note = _note(session, note_id)
        changed = {k: v for k, v in wanted.items() if getattr(note, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(note, key, value)
            note.version += 1
            note.updated_by_id, note.updated_at = editor.id, now
            session.flush()
            session.add(_version(note, editor.id, now))
            session.flush()
        result = _as_dicts(session, [note])[0]
        result["changed"] = sorted(changed)
        return result


def show_note(note_id: int) -> dict[str, Any]:
    """The note and every version of it, oldest first."""
    with unit_of_work() as session:
        note = _note(session, note_id)
        result = _as_dicts(session, [note])[0]
        versions = session.scalars(sa.select(CrmNoteVersion).where(CrmNoteVersion.note_id == note_id)
                                   .order_by(CrmNoteVersion.version)).all()
        codes = _codes(session, {v.saved_by_id for v in versions})
        result["history"] = [{"version": v.version, "title": v.title, "text": v.text,
                              "priority": v.priority.value, "show_in_cases": v.show_in_cases, "pinned": v.pinned,
                              "saved_by": codes.get(v.saved_by_id), "saved_at": v.saved_at.isoformat()}
                             for v in versions]
        return result


def list_notes(*, client: str | None = None, person: str | None = None) -> list[dict[str, Any]]:
    """The notes of one client or person, pinned first, then the most recently changed."""
    with unit_of_work() as session:
        about = owner(session, client, person)
        column = CrmNote.client_id if about.kind == "client" else CrmNote.person_id
        notes = session.scalars(_ordered(sa.select(CrmNote).where(column == (about.client_id or about.person_id))))
        return _as_dicts(session, list(notes))


def notes_for_cases(client_number: str) -> list[dict[str, Any]]:
    """The notes to show on a client's cases: the client's and its contacts' notes marked "show in cases"."""
    with unit_of_work() as session:
        client = client_by_number(session, client_number)
        contacts = sa.select(ClientContact.person_id).where(ClientContact.client_id == client.id)
        notes = session.scalars(_ordered(sa.select(CrmNote).where(
            CrmNote.show_in_cases.is_(True),
            sa.or_(CrmNote.client_id == client.id, CrmNote.person_id.in_(contacts)))))
        return _as_dicts(session, list(notes))
