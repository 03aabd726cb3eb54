"""The CRM working tools in the team's JSON API under /api/crm/…: search, queries, properties, risk.

Same authentication as web/team_api.py (API token or session cookie). The acting member is the signed-in
one (never a `by` in the body). Bad filters or values: 422 with the message; not found: 404; refused: 409
(defining a property is for admins: 403).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from sbrflow.domain.crm_query import QueryError
from sbrflow.domain.errors import NotFound, SbrflowError
from sbrflow.tasks import crm_properties, crm_query, crm_risk, crm_search
from sbrflow.tasks.team import SignedIn
from sbrflow.web.team_auth import api_member

router = APIRouter(prefix="/api/crm", tags=["crm"])


def _call(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except crm_properties.NotAdmin as exc:
        raise HTTPException(403, str(exc)) from None
    except QueryError as exc:
        raise HTTPException(422, str(exc)) from None
    except SbrflowError as exc:
        raise HTTPException(409, str(exc)) from None


class Query(BaseModel):
    where: list[str] = Field(default_factory=list)
    subject: str = "clients"


class SaveQuery(Query):
    name: str
    shared: bool = False


class Definition(BaseModel):
    name: str
    type: str
    target: str = "client"
    choices: list[str] = Field(default_factory=list)


class Value(BaseModel):
    value: str | None = None


class Risk(BaseModel):
    risk_class: str
    motivation: str


@router.get("/search")
def search(q: str, limit: int = 20, member: SignedIn = Depends(api_member)) -> list[dict]:
    """The hits of `sbrflow crm search Q --json`."""
    return crm_search.search(q, limit=max(1, min(limit, 200)))


@router.post("/query")
def query(body: Query, member: SignedIn = Depends(api_member)) -> dict:
    """Run filters (`crm query --where … --json`): {subject, filters, count, columns, headers, rows}."""
    return _call(crm_query.run_query, body.where, subject=body.subject)


@router.get("/queries")
def queries(member: SignedIn = Depends(api_member)) -> list[dict]:
    """The member's saved queries and the shared ones."""
    return _call(crm_query.list_saved, by=member.code)


@router.post("/queries")
def save(body: SaveQuery, member: SignedIn = Depends(api_member)) -> dict:
    """Save (or replace) one of the member's queries; private unless shared."""
    return _call(crm_query.save_query, body.name, body.where, by=member.code, subject=body.subject,
                 shared=body.shared)


@router.get("/queries/{name}/run")
def run(name: str, member: SignedIn = Depends(api_member)) -> dict:
    """Run a saved query the member may see (their own, or a shared one)."""
    return _call(crm_query.run_saved, name, by=member.code)


@router.get("/properties")
def properties(member: SignedIn = Depends(api_member)) -> list[dict]:
    return crm_properties.list_properties()


@router.post("/properties")
def define(body: Definition, member: SignedIn = Depends(api_member)) -> dict:
    """Define a custom property or indicator (admins only: 403)."""
    return _call(crm_properties.define_property, body.name, kind=body.type, target=body.target, by=member.code,
                 choices=body.choices)


@router.put("/values/{number}/{name}")
def set_value(number: str, name: str, body: Value, member: SignedIn = Depends(api_member)) -> dict:
    """Set a property's value or an indicator on the client or person NUMBER."""
    return _call(crm_properties.set_value, number, name, body.value, by=member.code)


@router.delete("/values/{number}/{name}")
def clear_value(number: str, name: str, member: SignedIn = Depends(api_member)) -> dict:
    return _call(crm_properties.clear_value, number, name, by=member.code)


@router.post("/clients/{client_number}/risk")
def set_risk(client_number: str, body: Risk, member: SignedIn = Depends(api_member)) -> dict:
    """Classify the client's Wwft risk (low, high, unacceptable) with a motivation."""
    return _call(crm_risk.set_risk, client_number, body.risk_class, motivation=body.motivation, by=member.code)


@router.get("/clients/{client_number}/risk")
def risk_history(client_number: str, member: SignedIn = Depends(api_member)) -> dict:
    """The keys of `sbrflow crm risk-history CLIENT --json`."""
    return _call(crm_risk.risk_history, client_number)
