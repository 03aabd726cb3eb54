"""Status changes of clients: the acceptance path with permissions and a log, werkstop, documents, pseudo-UBO.

Each function is one unit of work: it opens one session, checks the domain rule, writes, commits.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.config.settings import get_settings
from sbrflow.domain import vocabulary
from sbrflow.domain.acceptance import INITIAL_STATUSES, AcceptanceError, Member, check_step, next_steps
from sbrflow.domain.enums import ClientStatus, DocumentKind
from sbrflow.domain.errors import NotFound, Refused, SbrflowError
from sbrflow.domain.readiness import DOCUMENT_WORDS, acceptance_problems, required_documents
from sbrflow.models import Client, ClientContact, ClientDocument, ClientStatusChange, Person, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.readiness import load_client_facts

IMPORT = "import"  # changed_by of the status changes the workbook import makes


class CrmNotFound(NotFound):
    """No client, contact or team member with that number or code."""


class AcceptanceIncomplete(Refused, ValueError):
    """The client cannot be accepted as Klant yet; the message lists what is missing."""

    def __init__(self, client_number: str, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(f"client {client_number} cannot become Klant yet; missing: " + "; ".join(missing))


def _client(session: Session, number: str) -> Client:
    client = session.scalar(sa.select(Client).where(Client.client_number == number))
    if client is None:
        raise CrmNotFound(f"no client with number {number!r}")
    return client


def _member(session: Session, code: str) -> TeamMember:
    member = session.scalar(sa.select(TeamMember).where(TeamMember.code == code))
    if member is None:
        raise CrmNotFound(f"no team member with code {code!r}")
    return member


def log_status(session: Session, client_id: int, old: ClientStatus | None, new: ClientStatus, by: str,
               note: str | None = None, at: datetime | None = None) -> None:
    """Add one entry to the status log."""
    session.add(ClientStatusChange(client_id=client_id, from_status=old, to_status=new, changed_by=by,
                                   changed_at=at or datetime.now(UTC), note=note))


def change_status(client_number: str, to: str, by: str, note: str | None = None,
                  today: date | None = None) -> dict[str, object]:
    """Take one step on the acceptance path; to Klant only when nothing is missing. Logged."""
    target = vocabulary.parse_client_status(to)
    today = today or date.today()
    with unit_of_work() as session:
        client = _client(session, client_number)
        row = _member(session, by)
        member = Member(row.code, row.active, row.client_approver, row.central_admin)
        current = client.status
        check_step(current, target, member)
        if target is ClientStatus.CLIENT:
            facts = load_client_facts(session, client_ids=[client.id], status=None, today=today)[client.id]
            problems = acceptance_problems(facts, today=today, ubo_threshold=get_settings().ubo_threshold)
            if problems:
                raise AcceptanceIncomplete(client_number, [f"{p.reason.value}: {p.message}" for p in problems])
        client.status = target
        log_status(session, client.id, current, target, row.code, note)
    return {"client_number": client_number, "from": current.value, "to": target.value, "by": by}


def register_client(client_number: str, name: str, kind: str, *, by: str, status: str = "prospect",
                    note: str | None = None) -> dict[str, object]:
    """A new registration made in sbrflow: it starts as Suspect, Prospect or Klantaanvraag (or is a relation)."""
    chosen = vocabulary.parse_client_status(status)
    if chosen not in INITIAL_STATUSES:
        allowed = ", ".join(vocabulary.label(s) for s in sorted(INITIAL_STATUSES))
        raise AcceptanceError(f"a new registration cannot start as {vocabulary.label(chosen)}; it starts as one of "
                              f"{allowed} and becomes Klant through the acceptance path")
    kind_value = vocabulary.parse_client_kind(kind)
    with unit_of_work() as session:
        member = _member(session, by)
        if session.scalar(sa.select(Client.id).where(Client.client_number == client_number)) is not None:
            raise SbrflowError(f"client number {client_number!r} is taken")
        client = Client(client_number=client_number, name=name, kind=kind_value, status=chosen)
        session.add(client)
        session.flush()
        log_status(session, client.id, None, chosen, member.code, note)
    return {"client_number": client_number, "status": chosen.value}


def status_report(client_number: str, today: date | None = None) -> dict[str, object]:
    """A client's status, the next steps, the log, documents present/missing, and what acceptance still needs."""
    today = today or date.today()
    with unit_of_work() as session:
        client = _client(session, client_number)
        facts = load_client_facts(session, client_ids=[client.id], status=None, today=today)[client.id]
        log = session.execute(
            sa.select(ClientStatusChange).where(ClientStatusChange.client_id == client.id)
            .order_by(ClientStatusChange.changed_at, ClientStatusChange.id)).scalars().all()
        documents = {d.kind: d for d in session.scalars(
            sa.select(ClientDocument).where(ClientDocument.client_id == client.id))}
        problems = acceptance_problems(facts, today=today, ubo_threshold=get_settings().ubo_threshold)
        return {
            "client_number": client.client_number, "name": client.name, "status": client.status.value,
            "status_label": vocabulary.label(client.status),
            "next_steps": [s.value for s in next_steps(client.status)],
            "work_stop": {"set": client.work_stop, "reason": client.work_stop_reason,
                          "since": client.work_stop_since.isoformat() if client.work_stop_since else None},
            "documents": [{"kind": kind.value, "present": kind in documents,
                           "reference": documents[kind].reference if kind in documents else None}
                          for kind in required_documents(facts)],
            "missing_for_client": [{"reason": p.reason.value, "message": p.message} for p in problems],
            "log": [{"at": e.changed_at.isoformat(), "by": e.changed_by,
                     "from": e.from_status.value if e.from_status else None, "to": e.to_status.value,
                     "note": e.note} for e in log],
        }


def set_work_stop(client_number: str, *, reason: str | None, since: date | None = None,
                  lift: bool = False) -> dict[str, object]:
    """Set (with a reason and date) or lift the werkstop of a client."""
    if not lift and not reason:
        raise SbrflowError("a werkstop needs a reason (--reason)")
    with unit_of_work() as session:
        client = _client(session, client_number)
        if lift:
            client.work_stop, client.work_stop_reason, client.work_stop_since = False, None, None
        else:
            client.work_stop, client.work_stop_reason = True, reason
            client.work_stop_since = since or date.today()
        return {"client_number": client_number, "work_stop": client.work_stop, "reason": client.work_stop_reason,
                "since": client.work_stop_since.isoformat() if client.work_stop_since else None}


def register_document(client_number: str, kind: str, *, reference: str | None = None, file: Path | None = None,
                      dated: date | None = None) -> dict[str, object]:
    """Register an acceptance document: a file (stored under var/documents, content-addressed) or a reference."""
    chosen = vocabulary.parse_document_kind(kind)
    if (reference is None) == (file is None):
        raise SbrflowError("give either --file or --reference for the document")
    sha = None
    if file is not None:
        data = Path(file).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        relative = Path("documents") / "clients" / sha[:2] / sha
        target = Path(get_settings().var_dir) / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_suffix(f".{os.getpid()}.part")
            shutil.copyfile(file, temporary)
            os.replace(temporary, target)
        reference = relative.as_posix()
    with unit_of_work() as session:
        client = _client(session, client_number)
        document = session.scalar(sa.select(ClientDocument).where(ClientDocument.client_id == client.id,
                                                                   ClientDocument.kind == chosen))
        if document is None:
            session.add(ClientDocument(client_id=client.id, kind=chosen, reference=reference, sha256=sha, dated=dated))
        else:
            document.reference, document.sha256, document.dated = reference, sha, dated
    return {"client_number": client_number, "kind": chosen.value, "reference": reference, "sha256": sha,
            "what": DOCUMENT_WORDS[chosen]}


def set_pseudo_ubo(client_number: str, contact_number: str, on: bool = True) -> dict[str, object]:
    """Mark (or unmark) a contact as pseudo-UBO of a client: the senior manager when no UBO can be found."""
    with unit_of_work() as session:
        client = _client(session, client_number)
        link = session.scalar(sa.select(ClientContact).join(Person).where(
            ClientContact.client_id == client.id, Person.contact_number == contact_number))
        if link is None:
            raise CrmNotFound(f"contact {contact_number!r} is not linked to client {client_number!r}")
        link.is_pseudo_ubo = on
    return {"client_number": client_number, "contact_number": contact_number, "pseudo_ubo": on}


def document_kinds() -> list[DocumentKind]:
    """The kinds of client document sbrflow registers."""
    return list(DocumentKind)
