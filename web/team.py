"""The team's pages under /team: sign in and out, the unmatched returns, the client card (and, with routing,
Mijn werk and the case page).

Thin: every rule is in the task layer (tasks/team.py, tasks/matching.py, tasks/client_card.py), the same
functions the CLI calls. Dutch on screen; every action is a plain form POST with a CSRF token.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sbrflow.domain.errors import NotFound, SbrflowError
from sbrflow.domain.matching import MatchReason
from sbrflow.domain.team_auth import SignInFailure, SignInRefused
from sbrflow.tasks import client_card as cards
from sbrflow.tasks import crm_followups, crm_notes, matching, routing, team
from sbrflow.tasks import team_work as work_pages
from sbrflow.tasks.team import SignedIn
from sbrflow.web.approval import _same_origin
from sbrflow.web.team_auth import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    TEAM_CSP,
    csrf_for,
    form_allowed,
    new_pre_session,
    read_form,
    require_page_member,
    secure,
    session_token,
    set_session_cookie,
    signed_in,
    signin_csrf,
)

router = APIRouter(prefix="/team", include_in_schema=False)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

REASON_LABELS = {
    MatchReason.UNKNOWN_IDENTIFIER: "Onbekend nummer",
    MatchReason.AMBIGUOUS: "Meer klanten met dit nummer",
    MatchReason.CLIENT_NOT_ACTIVE: "Klant niet actief",
    MatchReason.NO_SUBSCRIPTION: "Product niet afgenomen",
    MatchReason.PERIOD_MISMATCH: "Tijdvak past niet",
    MatchReason.NO_CASE: "Geen werkproces",
    MatchReason.CASE_CLOSED: "Werkproces al afgerond",
}


def render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    """A team page: the office's base template, the member and the session's CSRF token, the team CSP."""
    settings = request.app.state.settings
    member = getattr(request.state, "member", None)
    base = {"office_name": settings.office_name, "has_logo": settings.office_logo is not None,
            "member": member, "csrf": csrf_for(request) if member else "", "reason_labels": REASON_LABELS,
            "path": request.url.path, "has_work": getattr(request.app.state, "team_has_work", False)}
    response = request.app.state.templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
    response.headers["Content-Security-Policy"] = TEAM_CSP
    return response


def refused_form(request: Request) -> HTMLResponse:
    return render(request, "message.html", {
        "title": "Formulier niet geaccepteerd", "text": "Dit formulier is niet via de teampagina's verstuurd.",
        "hint": "Open de pagina opnieuw en probeer het nog eens."}, status=403)


def _safe_next(target: str | None) -> str:
    """Only a path of the team pages (never another site) after signing in."""
    if target and target.startswith("/team") and not target.startswith("//") and "\\" not in target:
        return target
    return "/team"


# ---------------------------------------------------------------- sign in / out

def _signin_page(request: Request, *, error: str | None = None, email: str = "", status: int = 200,
                 next_path: str | None = None) -> HTMLResponse:
    pre = request.cookies.get(SIGNIN_COOKIE) or new_pre_session()
    response = render(request, "team_signin.html", {
        "error": error, "email": email, "signin_csrf": signin_csrf(request, pre),
        "next": _safe_next(next_path or request.query_params.get("next"))}, status=status)
    response.set_cookie(SIGNIN_COOKIE, pre, httponly=True, samesite="lax", secure=secure(request), path="/team")
    return response


@router.get("/aanmelden", response_class=HTMLResponse)
def signin_form(request: Request) -> Response:
    if signed_in(request) is not None:
        return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    return _signin_page(request)


def _locked_text(until: datetime | None) -> str:
    if until is None:
        return "Te veel mislukte pogingen. Uw account is tijdelijk geblokkeerd."
    local = until.astimezone(AMSTERDAM).strftime("%H:%M")
    return f"Te veel mislukte pogingen. Uw account is geblokkeerd tot {local} uur."


@router.post("/aanmelden", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    fields = await read_form(request)
    pre = request.cookies.get(SIGNIN_COOKIE, "")
    if not pre or not _same_origin(request) or not hmac.compare_digest(signin_csrf(request, pre),
                                                                       fields.get("csrf", "")):
        return refused_form(request)
    email, next_path = fields.get("email", "").strip(), fields.get("next")
    try:
        result = await run_in_threadpool(team.sign_in, email, fields.get("password", ""))
    except SignInRefused as exc:
        if exc.failure is SignInFailure.LOCKED:
            return _signin_page(request, error=_locked_text(exc.locked_until), email=email, status=429,
                                next_path=next_path)
        return _signin_page(request, error="Onjuist e-mailadres of wachtwoord.", email=email, status=401,
                            next_path=next_path)
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    set_session_cookie(request, response, result["token"])
    response.delete_cookie(SIGNIN_COOKIE, path="/team")
    return response


@router.post("/afmelden")
async def signout(request: Request) -> Response:
    fields = await read_form(request)
    if signed_in(request) is not None and not form_allowed(request, fields):
        return refused_form(request)
    await run_in_threadpool(team.sign_out, session_token(request))
    response = RedirectResponse("/team/aanmelden", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("", include_in_schema=False)
@router.get("/", include_in_schema=False)
def home(request: Request, member: SignedIn = Depends(require_page_member)) -> Response:
    return RedirectResponse(request.app.state.team_home, status_code=303)


# ---------------------------------------------------------------- unmatched returns

def _unmatched_page(request: Request, member: SignedIn, *, reason: str | None, done: str | None = None,
                    error: dict | None = None, status: int = 200) -> HTMLResponse:
    chosen = reason if reason in {r.value for r in MatchReason} else None
    rows = matching.unmatched_queue(chosen)
    return render(request, "team_unmatched.html", {
        "rows": rows, "reason": chosen, "reasons": list(MatchReason), "done": done, "error": error or {}},
        status=status)


@router.get("/niet-gekoppeld", response_class=HTMLResponse)
def unmatched(request: Request, reden: str | None = None, gedaan: str | None = None,
              member: SignedIn = Depends(require_page_member)) -> Response:
    """The unmatched queue, with reason and sentence; filter by reason; admins assign returns."""
    return _unmatched_page(request, member, reason=reden, done=gedaan)


@router.post("/niet-gekoppeld/{return_id}/toewijzen", response_class=HTMLResponse)
async def assign(request: Request, return_id: int, member: SignedIn = Depends(require_page_member)) -> Response:
    fields = await read_form(request)
    if not form_allowed(request, fields):
        return refused_form(request)
    reason = fields.get("reden") or None
    if not member.is_admin:
        return await run_in_threadpool(_unmatched_page, request, member, reason=reason, status=403, error={
            "id": return_id, "text": "Alleen een beheerder (admin) kan aangiften toewijzen."})
    client_number, period = fields.get("client", "").strip(), fields.get("period", "").strip() or None
    if not client_number:
        return await run_in_threadpool(_unmatched_page, request, member, reason=reason, status=422, error={
            "id": return_id, "text": "Vul het cliëntnummer in."})
    try:
        result = await run_in_threadpool(matching.assign_return, return_id, client_number, period_label=period,
                                         actor=member.code)
    except SbrflowError as exc:
        return await run_in_threadpool(_unmatched_page, request, member, reason=reason, status=409, error={
            "id": return_id, "text": str(exc)})
    target = f"/team/niet-gekoppeld?gedaan={result['document_id']}"
    if reason:
        target += f"&reden={quote(reason)}"
    return RedirectResponse(target, status_code=303)


# ---------------------------------------------------------------- clients

@router.get("/klanten", response_class=HTMLResponse)
def clients(request: Request, q: str = "", member: SignedIn = Depends(require_page_member)) -> Response:
    return render(request, "team_clients.html", {"q": q, "rows": cards.find_clients(q) if q else None})


@router.get("/klanten/{client_number}", response_class=HTMLResponse)
def client(request: Request, client_number: str, member: SignedIn = Depends(require_page_member)) -> Response:
    """The read-only client card."""
    try:
        card = cards.client_card(client_number, today=datetime.now(UTC).astimezone(AMSTERDAM).date())
    except cards.ClientNotFound:
        return render(request, "message.html", {
            "title": "Klant niet gevonden", "text": f"Er is geen klant met cliëntnummer {client_number}.",
            "hint": "Zoek de klant op naam of nummer."}, status=404)
    return render(request, "team_client.html", {"card": card, "notes": crm_notes.list_notes(client=client_number)})


# ---------------------------------------------------------------- Mijn werk, the team view

@router.get("/werk", response_class=HTMLResponse)
def work(request: Request, product: str = "", periode: str = "", staat: str = "", pagina: int = 1,
         member: SignedIn = Depends(require_page_member)) -> Response:
    """The member's open stages, most urgent first (routing's work list), with filters; PAGE_SIZE a page."""
    data = work_pages.my_work(member.code, product=product or None, period_label=periode or None,
                              state=staat if staat in work_pages.WORK_STATES else None, today=_today())
    pages = max(1, -(-len(data["rows"]) // PAGE_SIZE))
    pagina = min(max(1, pagina), pages)
    shown = data["rows"][(pagina - 1) * PAGE_SIZE:pagina * PAGE_SIZE]
    query = urlencode({k: v for k, v in (("product", product), ("periode", periode), ("staat", staat)) if v})
    return render(request, "team_work.html", {
        "work": data, "shown": shown, "page": pagina, "pages": pages, "first": (pagina - 1) * PAGE_SIZE + 1,
        "query": query, "product": product, "periode": periode, "staat": staat, "states": work_pages.WORK_STATES,
        "follow_ups": crm_followups.follow_ups_due(member.code, _today())})


PAGE_SIZE = 100


@router.post("/signaleringen/{follow_up_id}/afgehandeld")
async def follow_up_done(request: Request, follow_up_id: int,
                         member: SignedIn = Depends(require_page_member)) -> Response:
    """Mark a follow-up done from Mijn werk (any member may); back to Mijn werk."""
    fields = await read_form(request)
    if not form_allowed(request, fields):
        return refused_form(request)
    try:
        await run_in_threadpool(crm_followups.mark_done, follow_up_id, by=member.code)
    except SbrflowError as exc:
        return render(request, "message.html", {"title": "Signalering niet afgehandeld", "text": str(exc),
                                                "hint": "Open Mijn werk opnieuw."},
                      status=404 if isinstance(exc, NotFound) else 409)
    return RedirectResponse("/team/werk?gedaan=signalering#signaleringen", status_code=303)


@router.get("/team", response_class=HTMLResponse)
def team_view(request: Request, member: SignedIn = Depends(require_page_member)) -> Response:
    """Admins: open stages per member and stage."""
    if not member.is_admin:
        return render(request, "message.html", {
            "title": "Alleen voor beheerders", "text": "Het teamoverzicht is alleen voor beheerders (admin).",
            "hint": "Vraag een beheerder om toegang."}, status=403)
    rows = work_pages.team_overview()
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["code"] or ""] = totals.get(row["code"] or "", 0) + row["count"]
    return render(request, "team_overview.html", {"rows": rows, "totals": totals})


def _today():
    return datetime.now(UTC).astimezone(AMSTERDAM).date()


# ---------------------------------------------------------------- the case page

def _case_page(request: Request, case_id: int, *, error: str | None = None, done: str | None = None,
               status: int = 200) -> HTMLResponse:
    from sbrflow.domain.enums import Product
    from sbrflow.domain.vat_form import payroll_totals, suppletie_summary, vat_form

    try:
        case = work_pages.case_page(case_id)
    except NotFound:
        return render(request, "message.html", {
            "title": "Werkproces niet gevonden", "text": f"Er is geen werkproces {case_id}.",
            "hint": "Kies een werkproces uit Mijn werk."}, status=404)
    context = {"case": case, "error": error, "done": done, "vat": None, "suppletie": None, "payroll": None,
               "notes": crm_notes.notes_for_cases(case["client_number"])}
    if case["totals"] is not None:
        if case["product"] == Product.VAT_RETURN and case["document_kind"] == "correction":
            context["suppletie"] = suppletie_summary(case["totals"])
        elif case["product"] == Product.VAT_RETURN:
            context["vat"] = vat_form(case["totals"])
        elif case["product"] == Product.PAYROLL_RETURN:
            context["payroll"] = payroll_totals(case["totals"])
    current = next((s for s in case["stages"] if s["code"] == case["current_stage"]), None)
    context["current"] = current
    context["earlier"] = [s for s in case["stages"][:case["stages"].index(current)]] if current else []
    return render(request, "team_case.html", context, status=status)


@router.get("/zaken/{case_id}", response_class=HTMLResponse)
def case_view(request: Request, case_id: int, gedaan: str | None = None,
              member: SignedIn = Depends(require_page_member)) -> Response:
    return _case_page(request, case_id, done=DONE_TEXT.get(gedaan or ""))


DONE_TEXT = {
    "afgevinkt": "Controlepunt afgevinkt.", "uitgevinkt": "Controlepunt weer open gezet.",
    "afgerond": "Fase afgerond.", "teruggestuurd": "Teruggestuurd naar een eerdere fase.",
    "toegewezen": "Fase toegewezen.",
}


async def _case_action(request: Request, case_id: int, member: SignedIn, done: str, call) -> Response:
    """Run one routing action from a form; refused → the case page with the reason (409)."""
    fields = await read_form(request)
    wants_json = "application/json" in request.headers.get("accept", "")
    if not form_allowed(request, fields):
        if wants_json:
            return JSONResponse({"detail": "form refused (CSRF)"}, status_code=403)
        return refused_form(request)
    try:
        result = await run_in_threadpool(call, fields)
    except NotFound as exc:
        if wants_json:
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return await run_in_threadpool(_case_page, request, case_id, error=str(exc), status=404)
    except SbrflowError as exc:
        if wants_json:
            return JSONResponse({"detail": str(exc)}, status_code=409)
        return await run_in_threadpool(_case_page, request, case_id, error=str(exc), status=409)
    if wants_json:
        return JSONResponse(await run_in_threadpool(_checkpoint_fragment, request, case_id, result, done))
    if result.get("state") != "in_progress" or done == "afgerond":
        # The stage moved on: back to the work list when the case is no longer this member's.
        return RedirectResponse(f"/team/zaken/{case_id}?gedaan={done}", status_code=303)
    return RedirectResponse(f"/team/zaken/{case_id}?gedaan={done}#fase-{result.get('current_stage')}",
                            status_code=303)


def _checkpoint_fragment(request: Request, case_id: int, result: dict, done: str) -> dict:
    """The re-rendered checkpoint list of the current stage (for the page's small script)."""
    case = work_pages.case_page(case_id)
    current = next((s for s in case["stages"] if s["code"] == case["current_stage"]), None)
    template = request.app.state.templates.get_template("_checkpoints.html")
    html = template.render(case=case, stage=current, current=current, csrf=csrf_for(request), editable=True)
    return {"html": html, "message": DONE_TEXT[done], "state": result.get("state"),
            "current_stage": result.get("current_stage")}


@router.post("/zaken/{case_id}/controlepunten/{position}/afvinken")
async def tick(request: Request, case_id: int, position: int,
               member: SignedIn = Depends(require_page_member)) -> Response:
    return await _case_action(request, case_id, member, "afgevinkt",
                              lambda f: routing.tick_checkpoint(case_id, position, member.code))


@router.post("/zaken/{case_id}/controlepunten/{position}/uitvinken")
async def untick(request: Request, case_id: int, position: int,
                 member: SignedIn = Depends(require_page_member)) -> Response:
    return await _case_action(request, case_id, member, "uitgevinkt",
                              lambda f: routing.untick_checkpoint(case_id, position, member.code))


@router.post("/zaken/{case_id}/afronden")
async def complete(request: Request, case_id: int, member: SignedIn = Depends(require_page_member)) -> Response:
    return await _case_action(request, case_id, member, "afgerond",
                              lambda f: routing.complete_current_stage(case_id, member.code))


@router.post("/zaken/{case_id}/terugsturen")
async def send_back(request: Request, case_id: int, member: SignedIn = Depends(require_page_member)) -> Response:
    return await _case_action(request, case_id, member, "teruggestuurd", lambda f: routing.send_case_back(
        case_id, f.get("to_stage", ""), member.code, f.get("reason", "")))


@router.post("/zaken/{case_id}/toewijzen")
async def reassign(request: Request, case_id: int, member: SignedIn = Depends(require_page_member)) -> Response:
    return await _case_action(request, case_id, member, "toegewezen", lambda f: routing.reassign_stage(
        case_id, f.get("to", "").strip(), member.code, reason=f.get("reason") or None, force=f.get("force") == "yes"))
