"""Follow-ups (signaleringen): a reminder on a client or person, for a team member, due on a date.

Open until done. From its date on (and after, until done) it is in the member's work list:
`follow_ups_due(member, today)` is what `sbrflow work list` and Mijn werk show after the stages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from sbrflow.models import FollowUp, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_owners import CrmPeopleNotFound, CrmPeopleRefused, member, owner, owner_labels, text_field

TITLE_LIMIT = 200
NOTE_LIMIT = 5_000


def parse_day(value: str | date, what: str = "date") -> date:
    """YYYY-MM-DD (or a date); anything else is refused naming the field and the form."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise CrmPeopleRefused(f"{what} {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-01") from None


def parse_time(value: str | time | None) -> time | None:
    """HH:MM (or a time, or nothing)."""
    if value is None or isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise CrmPeopleRefused(f"time {value!r} is not a time of day; write it as HH:MM, e.g. 09:30") from None


_ASSIGNED, _CREATOR, _DONER = (aliased(TeamMember, name=n) for n in ("assigned", "creator", "doner"))
# The follow-ups with the members' codes (small tables) in one statement; the clients' and persons' numbers and
# names after it, by id (joined in, PostgreSQL's planner hashes all 75,000 persons: 2× slower, see bench/).
_READ = (
    sa.select(FollowUp.id, FollowUp.title, FollowUp.note, FollowUp.client_id, FollowUp.person_id, FollowUp.due_on,
              FollowUp.due_time, FollowUp.created_at, FollowUp.done_at, _ASSIGNED.code.label("assigned_to"),
              _CREATOR.code.label("created_by"), _DONER.code.label("done_by"))
    .select_from(FollowUp)
    .join(_ASSIGNED, _ASSIGNED.id == FollowUp.assigned_to_id).join(_CREATOR, _CREATOR.id == FollowUp.created_by_id)
    .outerjoin(_DONER, _DONER.id == FollowUp.done_by_id)
)


def _as_dict(r: sa.Row, labels: dict, today: date | None = None) -> dict[str, Any]:
    kind, oid = ("client", r.client_id) if r.client_id is not None else ("person", r.person_id)
    number, name = labels.get((kind, oid), (None, None))
    item = {"kind": "follow_up", "follow_up_id": r.id, "title": r.title, "note": r.note,
            "about": {"kind": kind, "number": number, "name": name},
            "due_on": r.due_on.isoformat(), "due_time": r.due_time.strftime("%H:%M") if r.due_time else None,
            "assigned_to": r.assigned_to, "created_by": r.created_by, "created_at": r.created_at.isoformat(),
            "open": r.done_at is None, "done_at": r.done_at.isoformat() if r.done_at else None, "done_by": r.done_by}
    if today is not None:
        item["days_overdue"] = (today - r.due_on).days
    return item


def _read(session: Session, *where: Any, today: date | None = None) -> list[dict[str, Any]]:
    query = _READ.where(*where).order_by(FollowUp.due_on, FollowUp.due_time.is_(None), FollowUp.due_time, FollowUp.id)
    rows = session.execute(query).all()
    labels = owner_labels(session, {r.client_id for r in rows if r.client_id is not None},
                          {r.person_id for r in rows if r.person_id is not None})
    return [_as_dict(r, labels, today) for r in rows]


def add_follow_up(*, client: str | None = None, person: str | None = None, title: str, on: str | date,
                  at: str | time | None = None, to: str, by: str, note: str | None = None,
                  now: datetime | None = None) -> dict[str, Any]:
    """A new open follow-up on a client or person, for member `to`, due on `on` (optionally at `at`)."""
    now = now or datetime.now(UTC)
    title = text_field("title", title, TITLE_LIMIT)
    body = text_field("note", note, NOTE_LIMIT, required=False)
    due_on, due_time = parse_day(on), parse_time(at)
    with unit_of_work() as session:
        creator = member(session, by)
        assignee = member(session, to)
        about = owner(session, client, person)
        row = FollowUp(client_id=about.client_id, person_id=about.person_id, title=title, note=body, due_on=due_on,
                       due_time=due_time, assigned_to_id=assignee.id, created_by_id=creator.id, created_at=now)
        session.add(row)
        session.flush()
        return _read(session, FollowUp.id == row.id)[0]


def mark_done(follow_up_id: int, *, by: str, now: datetime | None = None) -> dict[str, Any]:
    """Mark the follow-up done (by any active member); done twice is refused, saying by whom and when."""
    now = now or datetime.now(UTC)
    with unit_of_work() as session:
        who = member(session, by)
        row = session.get(FollowUp, follow_up_id, with_for_update=True)
        if row is None:
            raise CrmPeopleNotFound(f"no follow-up with id {follow_up_id}")
        if row.done_at is not None:
            done = _read(session, FollowUp.id == row.id)[0]
            raise CrmPeopleRefused(f"follow-up {follow_up_id} is done already (by {done['done_by']} "
                                   f"at {done['done_at'][:16]})")
        row.done_at, row.done_by_id = now, who.id
        session.flush()
        return _read(session, FollowUp.id == row.id)[0]


def follow_ups_due(member_code: str, today: date) -> list[dict[str, Any]]:
    """The member's open follow-ups due on or before `today` (the work list's), oldest date first."""
    with unit_of_work() as session:
        who = member(session, member_code, active=False)
        return _read(session, FollowUp.assigned_to_id == who.id, FollowUp.done_at.is_(None), FollowUp.due_on <= today,
                     today=today)


def list_follow_ups(*, member_code: str | None = None, client: str | None = None, person: str | None = None,
                    include_done: bool = False) -> list[dict[str, Any]]:
    """Follow-ups of a member and/or a client or person (open ones, or all), by date."""
    if not (member_code or client or person):
        raise CrmPeopleRefused("name a member (--member), a client (--client) or a person (--person)")
    with unit_of_work() as session:
        where = []
        if member_code:
            where.append(FollowUp.assigned_to_id == member(session, member_code, active=False).id)
        if client or person:
            about = owner(session, client, person)
            where.append(FollowUp.client_id == about.client_id if about.client_id
                         else FollowUp.person_id == about.person_id)
        if not include_done:
            where.append(FollowUp.done_at.is_(None))
        return _read(session, *where)
