"""The client's approval page /a/{token}: see the return, download it, and approve, reject or sign it.

Thin: every rule is in tasks/approval.py (the same functions `sbrflow approvals decide` calls).
Dutch on screen; a link that opens nothing says why, with 404/410, and nothing about the case.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from sbrflow.domain.approval import Decision, DecisionRefused, LinkNotValid, LinkStatus, Presentation, hash_token
from sbrflow.domain.enums import Product
from sbrflow.domain.vat_form import payroll_totals, suppletie_summary, vat_form
from sbrflow.tasks import approval as use_cases

router = APIRouter()
log = logging.getLogger("sbrflow.web.approval")
MAX_FORM_BYTES = 16 * 1024

INVALID = {
    LinkStatus.UNKNOWN: (404, "Deze link is niet geldig", "Controleer of u de volledige link uit de e-mail heeft gebruikt."),
    LinkStatus.EXPIRED: (410, "Deze link is verlopen", "De termijn om op deze aangifte te reageren is voorbij."),
    LinkStatus.USED: (410, "Deze link is al gebruikt", "Met deze link is al een beslissing doorgegeven."),
    LinkStatus.VOID: (410, "Deze link is vervangen", "Er is een nieuwere versie van deze aangifte of een nieuwe link."),
}
REFUSALS = {
    "reason": "Vul in wat er niet klopt: bij ‘Niet akkoord’ is een toelichting verplicht.",
    "name": "Typ uw volledige naam om te ondertekenen.",
    "consent": "Vink aan dat u de aangifte met uw getypte naam ondertekent.",
    "decision": "Deze keuze is voor deze aangifte niet mogelijk.",
}
DECISIONS = {"approve": Decision.APPROVED, "reject": Decision.REJECTED, "sign": Decision.SIGNED}
DONE = {
    Decision.APPROVED: "U heeft akkoord gegeven op de aangifte.",
    Decision.SIGNED: "U heeft de aangifte ondertekend.",
    Decision.REJECTED: "U heeft laten weten dat u niet akkoord bent. Uw kantoor neemt contact met u op.",
    Decision.INFORMED: "De aangifte is u ter informatie toegezonden.",
}


def _render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    settings = request.app.state.settings
    base = {"office_name": settings.office_name, "has_logo": settings.office_logo is not None}
    return request.app.state.templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _limited(request: Request) -> HTMLResponse | None:
    if request.app.state.lookup_limiter.allow(_client_address(request)):
        return None
    response = _render(request, "message.html", {
        "title": "Even geduld", "text": "U heeft deze pagina te vaak achter elkaar geopend.",
        "hint": "Probeer het over een minuut opnieuw."}, status=429)
    response.headers["Retry-After"] = "60"
    return response


def _invalid(request: Request, status: LinkStatus) -> HTMLResponse:
    code, title, text = INVALID[status]
    return _render(request, "message.html", {
        "title": title, "text": text, "hint": "Vraag uw kantoor om een nieuwe link."}, status=code)


def _page(request: Request, token: str, *, error: dict | None = None, form: dict | None = None,
          status: int = 200) -> HTMLResponse:
    try:
        page = use_cases.approval_page(token)
    except LinkNotValid as exc:
        return _invalid(request, exc.status)
    context = {
        "page": page, "token": token, "csrf": request.app.state.csrf.token(hash_token(token)),
        "error": error or {}, "form": form or {}, "Presentation": Presentation,
        "vat": None, "suppletie": None, "payroll": None,
    }
    totals = dict(page.totals)
    if page.product is Product.VAT_RETURN and page.document_kind == "correction":
        context["suppletie"] = suppletie_summary(totals)
    elif page.product is Product.VAT_RETURN:
        context["vat"] = vat_form(totals)
    elif page.product is Product.PAYROLL_RETURN:
        context["payroll"] = payroll_totals(totals)
    return _render(request, "approval.html", context, status=status)


@router.get("/a/{token}", response_class=HTMLResponse)
def show(request: Request, token: str) -> Response:
    """The return as the client knows it, with the buttons its presentation allows."""
    return _limited(request) or _page(request, token)


@router.get("/a/{token}/document")
def download(request: Request, token: str) -> Response:
    """The exact document, byte for byte (its SHA-256 is on the page)."""
    limited = _limited(request)
    if limited:
        return limited
    try:
        filename, data, sha256 = use_cases.approval_document(token)
    except LinkNotValid as exc:
        return _invalid(request, exc.status)
    return Response(data, media_type="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "X-Content-SHA256": sha256})


def _same_origin(request: Request) -> bool:
    """Refuse a form posted from another site (the CSRF token is the main defence; this is a second one)."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin")
    # With Referrer-Policy no-referrer, browsers send `Origin: null` even for our own form.
    if not origin or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


@router.post("/a/{token}", response_class=HTMLResponse)
async def decide(request: Request, token: str) -> Response:
    """Record Akkoord, Niet akkoord (with a reason) or Ondertekenen (typed name + consent)."""
    from starlette.concurrency import run_in_threadpool

    limited = _limited(request)
    if limited:
        return limited
    body = b""
    async for chunk in request.stream():  # read at most MAX_FORM_BYTES: the form is a few fields
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return Response("form too large", status_code=413)
    fields = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    if not _same_origin(request) or not request.app.state.csrf.valid(hash_token(token), fields.get("csrf")):
        return _render(request, "message.html", {
            "title": "Formulier niet geaccepteerd", "text": "Dit formulier is niet via de pagina van uw kantoor verstuurd.",
            "hint": "Open de link uit de e-mail opnieuw."}, status=403)
    decision = DECISIONS.get(fields.get("decision", ""))
    if decision is None:
        return await run_in_threadpool(_page, request, token, error={"decision": REFUSALS["decision"]}, status=422)
    try:
        result = await run_in_threadpool(
            use_cases.decide_approval, token, decision, reason=fields.get("reason"), name=fields.get("name"),
            consent=fields.get("consent") == "yes", via="web")
    except use_cases.AlreadyDecided as exc:
        return _render(request, "decided.html", {
            "text": DONE[exc.decision], "decided_at": exc.decided_at, "already": True})
    except DecisionRefused as exc:
        return await run_in_threadpool(
            _page, request, token, error={exc.field: REFUSALS.get(exc.field, str(exc))}, form=fields, status=422)
    except LinkNotValid as exc:
        return _invalid(request, exc.status)
    from datetime import datetime

    return _render(request, "decided.html", {
        "text": DONE[Decision(result["decision"])], "decided_at": datetime.fromisoformat(result["decided_at"]),
        "already": False})
