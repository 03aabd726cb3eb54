"""Client approval use cases: make a request when a case reaches the client, show it, record the decision.

The web page, `sbrflow approvals …` and the demo all call these functions, so every rule (token,
expiry, single use, document binding, what a decision needs) is applied the same way everywhere.
Each function opens one unit of work and commits once. The token is returned only by the function
that makes it; it is never stored or logged (only its SHA-256 and a masked prefix).
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.config.settings import get_settings
from sbrflow.config.workflows import PRIMARY_CONTACT, WorkflowTemplate, load_templates
from sbrflow.domain.approval import (
    ACCEPTING,
    ApprovalError,
    Decision,
    LinkNotValid,
    LinkStatus,
    Presentation,
    RequestState,
    VoidReason,
    check_decision,
    expires_at,
    hash_token,
    mask_token,
    new_token,
)
from sbrflow.domain.case_states import CaseState
from sbrflow.domain.client_message import MessageFacts, placeholder_values
from sbrflow.domain.errors import InvalidIdentifier, NotFound, SbrflowError
from sbrflow.models import ApprovalRequest, Case, Client, ClientContact, Person, TaxReturnDocument
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import CaseDocument
from sbrflow.tasks import approval_transitions as transitions
from sbrflow.tasks.approval_lookup import (  # noqa: F401  (ApprovalPage, approval_*: re-exported for callers)
    ApprovalPage,
    approval_document,
    approval_page,
    as_utc,
    case_payment_reference,
    clock_or,
    current_document,
    judge_link,
    lookup_request,
)
from sbrflow.tasks.messages import queue_approval_message

log = logging.getLogger(__name__)
NO_RECIPIENT = "no_recipient"


class AlreadyDecided(ApprovalError):
    """The request was decided before (a second submit of the same form): says what and when."""

    def __init__(self, decision: Decision, decided_at: datetime) -> None:
        self.decision, self.decided_at = decision, decided_at
        super().__init__(f"this approval link was already used: {decision.value} at {decided_at:%Y-%m-%d %H:%M} UTC")


class NoRecipient(ApprovalError):
    """The case cannot go to the client: no contact with the template's function, or no valid e-mail."""


class CaseNotWithClient(ApprovalError):
    """An approval request is made only for a case in state with_client."""


def approval_url(token: str) -> str:
    """The link a client opens: SBRFLOW_PUBLIC_URL + /a/ + token."""
    return f"{get_settings().public_url}/a/{token}"


def _template(case: Case, templates: dict[str, WorkflowTemplate] | None = None) -> WorkflowTemplate:
    templates = templates if templates is not None else load_templates(get_settings().workflows_dir)
    if case.template_code not in templates:
        raise SbrflowError(f"case {case.id}: workflow template {case.template_code!r} is not in the templates folder")
    return templates[case.template_code]


def find_recipient(session: Session, client_id: int, recipient: str) -> tuple[Person | None, str]:
    """The contact the template names (a function such as DGA, or `primary`) with a valid e-mail.

    Returns (person, "") or (None, a sentence naming what is missing).
    """
    from sbrflow.domain.identifiers import normalize_email

    query = sa.select(Person).join(ClientContact, ClientContact.person_id == Person.id).where(
        ClientContact.client_id == client_id
    )
    if recipient.lower() == PRIMARY_CONTACT:
        who = "primary contact"
        query = query.where(ClientContact.is_primary.is_(True))
    else:
        who = f"contact with function {recipient!r}"
        query = query.where(sa.func.lower(ClientContact.function) == recipient.lower())
    people = session.scalars(query.order_by(Person.contact_number)).all()
    if not people:
        return None, f"{NO_RECIPIENT}: the client has no {who}"
    for person in people:
        try:
            normalize_email(person.email)
        except InvalidIdentifier:
            continue
        return person, ""
    return None, f"{NO_RECIPIENT}: the client's {who} has no valid e-mail address"


def _void_open(session: Session, case_ids: list[int], reason: VoidReason, now: datetime) -> int:
    if not case_ids:
        return 0
    result = session.execute(
        sa.update(ApprovalRequest)
        .where(ApprovalRequest.case_id.in_(case_ids), ApprovalRequest.state == RequestState.OPEN)
        .values(state=RequestState.VOID, voided_at=now, void_reason=reason, updated_at=now)
    )
    return result.rowcount or 0


def void_open_requests(session: Session, case_ids: list[int], reason: VoidReason, now: datetime) -> int:
    """Void the open requests of these cases (inside the caller's unit of work); how many."""
    return _void_open(session, list(case_ids), reason, now)


def _make_request(session: Session, case: Case, now: datetime, via: str,
                  templates: dict[str, WorkflowTemplate] | None = None) -> dict:
    """Make the request for a case with_client (voiding an open one); the token only in the result."""
    if case.state is not CaseState.WITH_CLIENT:
        raise CaseNotWithClient(f"case {case.id} is {case.state.value}, not with_client: there is nothing to approve")
    template = _template(case, templates)
    document = current_document(session, case.id)
    if document is None:
        raise ApprovalError(f"case {case.id} has no current return document to put to the client")
    client = session.get(Client, case.client_id)
    person, problem = find_recipient(session, case.client_id, template.sbr.recipient)
    if person is None:
        transitions.block_for_client(session, case, NO_RECIPIENT, problem, now, actor=_system(via))
        return {"case_id": case.id, "blocked": NO_RECIPIENT, "reason": problem}
    transitions.clear_block(session, case, NO_RECIPIENT)
    _void_open(session, [case.id], VoidReason.REPLACED, now)
    session.flush()
    token = new_token()
    url = approval_url(token)
    presentation = Presentation(template.sbr.presentation)
    facts = MessageFacts(
        client_name=client.name, period_label=case.period_label, product=case.product.value,
        deadline=case.deadline_effective, amount_due=document.amount_due,
        payment_reference=case_payment_reference(case, client),
        approval_url=url if presentation is not Presentation.INFORMATION else None,
    )
    request = ApprovalRequest(
        case_id=case.id, token_sha256=hash_token(token), document_id=document.id, document_sha256=document.sha256,
        presentation=presentation, recipient_person_id=person.id, recipient_email=person.email.strip().lower(),
        message=template.sbr.render_message(**placeholder_values(facts)), state=RequestState.OPEN,
        requested_at=now, expires_at=expires_at(now, get_settings().approval_valid_days),
    )
    session.add(request)
    session.flush()
    # The client's mail goes into the outbox in this same transaction (messages, issue 13).
    queue_approval_message(session, request, url if presentation is not Presentation.INFORMATION else None)
    if presentation is Presentation.INFORMATION:
        # Nothing to decide: the message informs the client, and the case moves on at once.
        _record(request, Decision.INFORMED, now=now, via=via)
        transitions.client_approved(session, case, now, actor=_system(via), details=_evidence(request))
    log.info("approval request %s for case %s (%s), token %s", request.id, case.id, presentation.value,
             mask_token(token))
    return {
        "request_id": request.id, "case_id": case.id, "presentation": presentation.value,
        "state": request.state.value, "recipient": request.recipient_email, "url": url, "token": token,
        "message": request.message, "expires_at": request.expires_at.isoformat(),
    }


def request_approval(case_id: int, *, now: datetime | None = None, via: str = "system") -> dict:
    """Make a new approval request for one case with the client, voiding the earlier one; the link in the result."""
    now = clock_or(now)
    with unit_of_work() as session:
        case = session.get(Case, case_id, with_for_update=True)
        if case is None:
            raise NotFound(f"case {case_id} not found")
        return _make_request(session, case, now, via)


def request_pending_approvals(*, now: datetime | None = None) -> dict:
    """Make requests for every case with the client that has none open or decided for its current document."""
    now = clock_or(now)
    with unit_of_work() as session:
        covered = sa.select(ApprovalRequest.id).where(
            ApprovalRequest.case_id == Case.id, ApprovalRequest.state != RequestState.VOID,
            ApprovalRequest.document_sha256 == TaxReturnDocument.sha256,
        )
        case_ids = session.scalars(
            sa.select(Case.id)
            .join(CaseDocument, sa.and_(CaseDocument.case_id == Case.id, CaseDocument.is_current.is_(True)))
            .join(TaxReturnDocument, TaxReturnDocument.id == CaseDocument.document_id)
            .where(Case.state == CaseState.WITH_CLIENT, ~covered.exists())
            .order_by(Case.id)
        ).all()
        made = blocked = informed = 0
        no_recipient: list[int] = []  # the run's artifact names their clients
        templates = load_templates(get_settings().workflows_dir)  # once per run, not per case
        for case_id in case_ids:
            result = _make_request(session, session.get(Case, case_id), now, "system", templates)
            if "blocked" in result:
                blocked += 1
                no_recipient.append(case_id)
            elif result["presentation"] == Presentation.INFORMATION.value:
                informed += 1
            else:
                made += 1
        return {"requested": made, "informed": informed, "blocked_no_recipient": blocked,
                "no_recipient_cases": no_recipient}


def _system(via: str) -> str:
    from sbrflow.tasks.audit import system_actor

    return system_actor() if via == "system" else f"{via}:approval"


def _evidence(request: ApprovalRequest) -> dict:
    """What the audit trail says was decided: the request, the decision and the exact document."""
    return {"approval_request_id": request.id, "decision": request.decision.value,
            "document_sha256": request.decided_sha256, "presentation": request.presentation.value,
            **({"signed_name": request.signed_name} if request.signed_name else {})}


def _record(request: ApprovalRequest, decision: Decision, *, now: datetime, via: str,
            reason: str | None = None, signed_name: str | None = None, consent: bool = False) -> None:
    request.state = RequestState.DECIDED
    request.decision = decision
    request.decided_at = now
    request.decided_sha256 = request.document_sha256
    request.reason, request.signed_name, request.consent = reason, signed_name, consent
    request.decided_via = via


def decide_approval(token: str, decision: Decision | str, *, reason: str | None = None, name: str | None = None,
                    consent: bool = False, now: datetime | None = None, via: str = "web") -> dict:
    """Record the client's decision and move the case: approved/signed → approved, rejected → its last stage."""
    now = clock_or(now)
    with unit_of_work() as session:
        found = lookup_request(session, token, lock=True)
        if found is not None and found.request.state is RequestState.DECIDED:
            raise AlreadyDecided(found.request.decision, as_utc(found.request.decided_at))
        status = judge_link(found, now)
        if status is not LinkStatus.VALID:
            raise LinkNotValid(status)
        request = found.request
        checked = check_decision(request.presentation, decision, reason=reason, name=name, consent=consent)
        _record(request, checked.decision, now=now, via=via, reason=checked.reason,
                signed_name=checked.signed_name, consent=consent if checked.decision is Decision.SIGNED else False)
        case = found.case
        actor = f"client:request-{request.id}"
        if checked.decision in ACCEPTING:
            transitions.client_approved(session, case, now, actor=actor, details=_evidence(request))
        else:
            transitions.client_rejected(session, case, checked.reason, now, actor=actor, details=_evidence(request))
        log.info("approval request %s decided: %s via %s", request.id, checked.decision.value, via)
        return {"request_id": request.id, "case_id": case.id, "decision": checked.decision.value,
                "case_state": case.state.value, "current_stage": case.current_stage,
                "decided_at": now.isoformat(), "document_sha256": request.decided_sha256}


def request_state(request: ApprovalRequest, now: datetime) -> str:
    """open, expired, decided or void, as lists show it."""
    if request.state is RequestState.OPEN and as_utc(request.expires_at) <= now:
        return "expired"
    return request.state.value


def list_approvals(state: str | None = None, *, now: datetime | None = None, limit: int = 1000) -> list[dict]:
    """Approval requests, newest first; state open | expired | decided | void filters them."""
    now = clock_or(now)
    query = (
        sa.select(ApprovalRequest, Case, Client)
        .join(Case, Case.id == ApprovalRequest.case_id).join(Client, Client.id == Case.client_id)
        .order_by(ApprovalRequest.requested_at.desc(), ApprovalRequest.id.desc()).limit(limit)
    )
    if state == "open":
        query = query.where(ApprovalRequest.state == RequestState.OPEN, ApprovalRequest.expires_at > now)
    elif state == "expired":
        query = query.where(ApprovalRequest.state == RequestState.OPEN, ApprovalRequest.expires_at <= now)
    elif state in ("decided", "void"):
        query = query.where(ApprovalRequest.state == RequestState(state))
    elif state is not None:
        raise ApprovalError(f"unknown state {state!r}; use open, expired, decided or void")
    with unit_of_work() as session:
        return [
            {
                "id": r.id, "case_id": c.id, "client_number": cl.client_number, "client_name": cl.name,
                "product": c.product.value, "period_label": c.period_label, "presentation": r.presentation.value,
                "state": request_state(r, now), "recipient": r.recipient_email,
                "requested_at": as_utc(r.requested_at).isoformat(), "expires_at": as_utc(r.expires_at).isoformat(),
                "decision": r.decision.value if r.decision else None,
                "decided_at": as_utc(r.decided_at).isoformat() if r.decided_at else None,
                "reason": r.reason, "signed_name": r.signed_name, "document_sha256": r.document_sha256,
                "case_state": c.state.value,
            }
            for r, c, cl in session.execute(query).all()
        ]


def approved_hashes(session: Session, case_ids: list[int]) -> dict[int, str]:
    """The document SHA-256 each case's client last approved or signed (cases without a decision are left out)."""
    if not case_ids:
        return {}
    rows = session.execute(
        sa.select(ApprovalRequest.case_id, ApprovalRequest.decided_sha256)
        .where(ApprovalRequest.case_id.in_(case_ids), ApprovalRequest.state == RequestState.DECIDED,
               ApprovalRequest.decision.in_((Decision.APPROVED, Decision.SIGNED, Decision.INFORMED)))
        .order_by(ApprovalRequest.decided_at, ApprovalRequest.id)).all()
    return {case_id: sha for case_id, sha in rows if sha}  # the latest decision wins

