"""The team's JSON API under /api/ (OpenAPI at /api/openapi.json): the same reads and actions as the pages.

Authenticated by a member's API token (`Authorization: Bearer …`, made by `sbrflow team api-token CODE`)
or the session cookie of the pages (then POSTs carry `X-CSRF-Token`). No token: 401. A refused action: 409
with the reason in `detail`. Every rule is in the task layer, the same functions the CLI calls.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from sbrflow.domain.errors import NotFound, SbrflowError
from sbrflow.domain.matching import MatchReason
from sbrflow.tasks import client_card as cards
from sbrflow.tasks import matching, routing
from sbrflow.tasks.team import SignedIn
from sbrflow.web.team_auth import api_member

router = APIRouter(prefix="/api", tags=["team"])
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class Assignment(BaseModel):
    client_number: str
    period_label: str | None = None


@router.get("/me")
def me(member: SignedIn = Depends(api_member)) -> dict:
    """Who this token or session belongs to."""
    return {"code": member.code, "name": member.name, "admin": member.is_admin}


@router.get("/unmatched")
def unmatched(reason: MatchReason | None = None, member: SignedIn = Depends(api_member)) -> list[dict]:
    """The unmatched queue (the keys of `sbrflow returns unmatched --json`)."""
    return matching.unmatched_queue(reason)


@router.post("/unmatched/{return_id}/assign")
def assign(return_id: int, body: Assignment, member: SignedIn = Depends(api_member)) -> dict:
    """Assign a return to a client's case, as `sbrflow returns assign` does (admins only); refused → 409."""
    if not member.is_admin:
        raise HTTPException(403, f"{member.code} is not an admin; only admins manage the unmatched queue")
    try:
        return matching.assign_return(return_id, body.client_number, period_label=body.period_label,
                                      actor=member.code)
    except SbrflowError as exc:
        raise HTTPException(409, str(exc)) from None


@router.get("/clients/{client_number}")
def client(client_number: str, member: SignedIn = Depends(api_member)) -> dict:
    """The client card's data."""
    try:
        return cards.client_card(client_number, today=datetime.now(UTC).astimezone(AMSTERDAM).date())
    except cards.ClientNotFound as exc:
        raise HTTPException(404, str(exc)) from None


# ---------------------------------------------------------------- work and cases (routing's rules)

def _routing_call(call, *args, **kwargs) -> dict:
    try:
        return call(*args, **kwargs)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except SbrflowError as exc:
        raise HTTPException(409, str(exc)) from None


@router.get("/work")
def work(member: SignedIn = Depends(api_member)) -> list[dict]:
    """The member's open stages, most urgent first: the keys of `sbrflow work list --json`."""
    return _routing_call(routing.work_list, member.code)


@router.get("/cases/{case_id}")
def case(case_id: int, member: SignedIn = Depends(api_member)) -> dict:
    """One case: the keys of `sbrflow case show --json`."""
    return _routing_call(routing.show_case, case_id)


class SendBack(BaseModel):
    to_stage: str
    reason: str


class Reassign(BaseModel):
    to: str
    reason: str | None = None
    force: bool = False


@router.post("/cases/{case_id}/checkpoints/{position}/tick")
def tick(case_id: int, position: int, member: SignedIn = Depends(api_member)) -> dict:
    """Tick checkpoint POSITION (1-based) of the current stage; refused → 409 with the reason."""
    return _routing_call(routing.tick_checkpoint, case_id, position, member.code)


@router.post("/cases/{case_id}/checkpoints/{position}/untick")
def untick(case_id: int, position: int, member: SignedIn = Depends(api_member)) -> dict:
    return _routing_call(routing.untick_checkpoint, case_id, position, member.code)


@router.post("/cases/{case_id}/complete")
def complete(case_id: int, member: SignedIn = Depends(api_member)) -> dict:
    """Complete the current stage; refused (role, open mandatory checkpoints) → 409 with the reason."""
    return _routing_call(routing.complete_current_stage, case_id, member.code)


@router.post("/cases/{case_id}/send-back")
def send_back(case_id: int, body: SendBack, member: SignedIn = Depends(api_member)) -> dict:
    return _routing_call(routing.send_case_back, case_id, body.to_stage, member.code, body.reason)


@router.post("/cases/{case_id}/reassign")
def reassign(case_id: int, body: Reassign, member: SignedIn = Depends(api_member)) -> dict:
    return _routing_call(routing.reassign_stage, case_id, body.to, member.code, reason=body.reason,
                         force=body.force)
