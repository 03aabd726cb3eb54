"""The CRM's people in the JSON API under /api/crm/: notes, follow-ups, creating, merging and deleting persons.

Same authentication as web/team_api.py (API token or session cookie + X-CSRF-Token). The signed-in
member is the author / actor. Not found: 404; refused: 409 with the reason in `detail`; a probable
duplicate: 409 with `candidates` (never a BSN or date of birth). Every rule is in the task layer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sbrflow.domain.errors import NotFound, SbrflowError
from sbrflow.tasks import crm_followups, crm_notes, crm_persons
from sbrflow.tasks.team import SignedIn
from sbrflow.web.team_auth import api_member

router = APIRouter(prefix="/api/crm", tags=["crm"])
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _call(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except crm_persons.PossibleDuplicates as exc:
        return JSONResponse({"detail": str(exc), "candidates": exc.candidates}, status_code=409)
    except SbrflowError as exc:
        raise HTTPException(409, str(exc)) from None


# ---------------------------------------------------------------- notes

class NewNote(BaseModel):
    client_number: str | None = None
    contact_number: str | None = None
    title: str
    text: str
    priority: str = "normal"
    show_in_cases: bool = False
    pinned: bool = False


class NoteChange(BaseModel):
    title: str | None = None
    text: str | None = None
    priority: str | None = None
    show_in_cases: bool | None = None
    pinned: bool | None = None


@router.get("/notes")
def notes(client: str | None = None, person: str | None = None, member: SignedIn = Depends(api_member)) -> list:
    """The notes of ?client=NUMBER or ?person=CONTACT_NUMBER, pinned first."""
    return _call(crm_notes.list_notes, client=client, person=person)


@router.post("/notes", status_code=201)
def add_note(body: NewNote, member: SignedIn = Depends(api_member)) -> dict:
    return _call(crm_notes.add_note, client=body.client_number, person=body.contact_number, title=body.title,
                 text=body.text, priority_=body.priority, show_in_cases=body.show_in_cases, pinned=body.pinned,
                 by=member.code)


@router.get("/notes/{note_id}")
def note(note_id: int, member: SignedIn = Depends(api_member)) -> dict:
    """A note with its history (every version, oldest first)."""
    return _call(crm_notes.show_note, note_id)


@router.patch("/notes/{note_id}")
def edit_note(note_id: int, body: NoteChange, member: SignedIn = Depends(api_member)) -> dict:
    """Change the given fields; the earlier version stays in the history."""
    return _call(crm_notes.edit_note, note_id, by=member.code, title=body.title, text=body.text,
                 priority_=body.priority, show_in_cases=body.show_in_cases, pinned=body.pinned)


# ---------------------------------------------------------------- follow-ups

class NewFollowUp(BaseModel):
    client_number: str | None = None
    contact_number: str | None = None
    title: str
    due_on: str
    due_time: str | None = None
    assigned_to: str
    note: str | None = None


@router.get("/follow-ups")
def follow_ups(member_code: str | None = None, client: str | None = None, person: str | None = None,
               include_done: bool = False, member: SignedIn = Depends(api_member)) -> list:
    """Open follow-ups (or all) of ?member_code=, ?client= or ?person=, by date."""
    return _call(crm_followups.list_follow_ups, member_code=member_code, client=client, person=person,
                 include_done=include_done)


@router.get("/follow-ups/due")
def due(member: SignedIn = Depends(api_member)) -> list:
    """The signed-in member's open follow-ups dated today or earlier (what `work list` shows after the stages)."""
    return _call(crm_followups.follow_ups_due, member.code, datetime.now(UTC).astimezone(AMSTERDAM).date())


@router.post("/follow-ups", status_code=201)
def add_follow_up(body: NewFollowUp, member: SignedIn = Depends(api_member)) -> dict:
    return _call(crm_followups.add_follow_up, client=body.client_number, person=body.contact_number,
                 title=body.title, on=body.due_on, at=body.due_time, to=body.assigned_to, by=member.code,
                 note=body.note)


@router.post("/follow-ups/{follow_up_id}/done")
def follow_up_done(follow_up_id: int, member: SignedIn = Depends(api_member)) -> dict:
    return _call(crm_followups.mark_done, follow_up_id, by=member.code)


# ---------------------------------------------------------------- persons

class NewPerson(BaseModel):
    last_name: str | None = None
    first_name: str | None = None
    initials: str | None = None
    name_prefix: str | None = None
    email: str | None = None
    birth_date: str | None = None
    bsn: str | None = None
    phone: str | None = None
    client_number: str | None = None
    function: str | None = None
    force: bool = False
    use: str | None = None
    contact_number: str | None = None


class Merge(BaseModel):
    keep: str
    drop: str


class Deletion(BaseModel):
    reason: str


@router.post("/persons", status_code=201)
def add_person(body: NewPerson, member: SignedIn = Depends(api_member)):
    """Create a person (409 with `candidates` when they probably exist, unless `force`); `use` links one instead."""
    return _call(crm_persons.add_person, last_name=body.last_name, first_name=body.first_name,
                 initials=body.initials, name_prefix=body.name_prefix, email=body.email, birth_date=body.birth_date,
                 bsn=body.bsn, phone=body.phone, client=body.client_number, function=body.function, by=member.code,
                 force=body.force, use=body.use, contact_number=body.contact_number)


@router.post("/persons/merge")
def merge(body: Merge, member: SignedIn = Depends(api_member)) -> dict:
    """Merge person `drop` into `keep` (every link moves; `drop` becomes an alias)."""
    return _call(crm_persons.merge_persons, body.keep, body.drop, by=member.code)


@router.post("/persons/{contact_number}/delete")
def delete(contact_number: str, body: Deletion, member: SignedIn = Depends(api_member)) -> dict:
    """Delete a person (admins only; 409 while the only contact of an active client or a UBO)."""
    if not member.is_admin:
        raise HTTPException(403, f"{member.code} is not an admin; only admins delete persons")
    return _call(crm_persons.delete_person, contact_number, by=member.code, reason=body.reason)
