"""Who is asking: the team's signed session cookie, API tokens, CSRF for team forms.

The cookie holds a random session token plus an HMAC of it (the key of the CSRF signer): a forged or
altered cookie is refused without a database query, and sign-out, a new password or a member made
inactive ends the session server-side (only the token's SHA-256 is stored). Team forms carry a CSRF
token bound to the session (HMAC of its hash); the sign-in form's is bound to a random pre-session cookie.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs, quote

from fastapi import HTTPException, Request
from fastapi.responses import Response

from sbrflow.domain.team_auth import token_hash
from sbrflow.tasks.team import SignedIn, session_member, token_member
from sbrflow.web.approval import _same_origin

SESSION_COOKIE = "sbrflow_team"
SIGNIN_COOKIE = "sbrflow_signin"
MAX_FORM_BYTES = 16 * 1024
# Team pages may run this site's own script (checkpoints ticked without a reload); nothing else changes.
TEAM_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _mac(request: Request, purpose: str, value: str) -> str:
    return request.app.state.csrf.token(f"{purpose}:{value}")


def cookie_value(request: Request, token: str) -> str:
    return f"{token}.{_mac(request, 'team-session', token)}"


def session_token(request: Request) -> str | None:
    """The session token of a well-signed cookie, else None."""
    raw = request.cookies.get(SESSION_COOKIE) or ""
    token, _, mac = raw.rpartition(".")
    if not token or not hmac.compare_digest(mac, _mac(request, "team-session", token)):
        return None
    return token


def secure(request: Request) -> bool:
    """Cookies get `Secure` when the page is served over HTTPS (directly or by the office's public URL)."""
    return request.url.scheme == "https" or request.app.state.settings.public_url.startswith("https://")


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, cookie_value(request, token), httponly=True, samesite="lax",
                        secure=secure(request), path="/",
                        max_age=request.app.state.settings.team_session_hours * 3600)


def signed_in(request: Request) -> SignedIn | None:
    """The member of this request's session cookie (looked up once per request)."""
    if not hasattr(request.state, "member"):
        request.state.member = session_member(session_token(request))
    return request.state.member


def csrf_for(request: Request) -> str:
    """The CSRF token of this session's forms."""
    token = session_token(request)
    return _mac(request, "team-form", token_hash(token)) if token else ""


def signin_csrf(request: Request, pre: str) -> str:
    return _mac(request, "team-signin", pre)


def new_pre_session() -> str:
    return secrets.token_urlsafe(24)


async def read_form(request: Request) -> dict[str, str]:
    body = await request.body()
    return {k: v[-1] for k, v in parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace")).items()}


def form_allowed(request: Request, fields: dict[str, str]) -> bool:
    """A team form from our own pages: same origin and the session's CSRF token."""
    expected = csrf_for(request)
    return _same_origin(request) and bool(expected) and hmac.compare_digest(expected, fields.get("csrf", ""))


def require_page_member(request: Request) -> SignedIn:
    """FastAPI dependency of the team pages: the signed-in member, else a redirect to the sign-in page."""
    member = signed_in(request)
    if member is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, headers={"Location": f"/team/aanmelden?next={quote(target, safe='')}"})
    return member


def api_member(request: Request) -> SignedIn:
    """FastAPI dependency of /api/: an API token (`Authorization: Bearer …`) or a session cookie, else 401.

    A POST with the session cookie needs the session's CSRF token in the `X-CSRF-Token` header
    (a browser sends cookies to any site's forms; a script with a bearer token sends no cookie).
    """
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        member = token_member(header[7:].strip())
        if member is None:
            raise HTTPException(401, "invalid or revoked API token", headers={"WWW-Authenticate": "Bearer"})
        return member
    member = signed_in(request)
    if member is None:
        raise HTTPException(401, "sign in or send Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"})
    if request.method not in ("GET", "HEAD") and not (
            _same_origin(request) and hmac.compare_digest(csrf_for(request), request.headers.get("x-csrf-token", ""))):
        raise HTTPException(403, "a request with the session cookie needs the X-CSRF-Token header")
    return member
