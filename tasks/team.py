"""Team members' accounts: passwords, sign-in with lock-out, sessions, API tokens.

The web pages, the JSON API and `sbrflow team …` call these functions; each opens one unit of work and
commits once. Only hashes are stored: argon2id for passwords, SHA-256 for session and API tokens. A token
is returned only by the function that makes it and is never logged.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa

from sbrflow.config.settings import get_settings
from sbrflow.domain.errors import NotFound
from sbrflow.domain.team_auth import (
    LockState,
    SignInFailure,
    SignInRefused,
    TeamAuthError,
    after_failure,
    check_password_rule,
    token_hash,
)
from sbrflow.models import TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.models.team import ApiToken, TeamAccount, TeamSession


class UnknownMember(TeamAuthError, NotFound):
    """No team member with this code (the CLI exits 2 naming it)."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is acting on a web request or API call."""

    member_id: int
    code: str
    name: str
    is_admin: bool
    session_id: int | None = None  # None when authenticated by an API token


@lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's current recommended parameters


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_hex(16))


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _member(session, code: str) -> TeamMember:
    member = session.scalars(sa.select(TeamMember).where(TeamMember.code == code)).one_or_none()
    if member is None:
        raise UnknownMember(f"no team member with code {code}")
    return member


def _account(session, member_id: int) -> TeamAccount:
    account = session.scalars(sa.select(TeamAccount).where(TeamAccount.team_member_id == member_id)).one_or_none()
    if account is None:
        account = TeamAccount(team_member_id=member_id, is_admin=False, failed_attempts=0)
        session.add(account)
    return account


def set_password(code: str, password: str, *, now: datetime | None = None) -> dict:
    """Set a member's password (argon2id); unlocks the account and ends the member's open sessions."""
    check_password_rule(password)
    now = _now(now)
    with unit_of_work() as session:
        member = _member(session, code)
        account = _account(session, member.id)
        account.password_hash = _hasher().hash(password)
        account.password_set_at, account.failed_attempts, account.locked_until = now, 0, None
        ended = session.execute(
            sa.update(TeamSession).where(TeamSession.team_member_id == member.id, TeamSession.ended_at.is_(None))
            .values(ended_at=now)).rowcount
        return {"code": member.code, "sessions_ended": ended}


def set_admin(code: str, admin: bool = True) -> dict:
    """Mark a member as admin (may reassign any stage and manage the unmatched queue), or not."""
    with unit_of_work() as session:
        member = _member(session, code)
        _account(session, member.id).is_admin = admin
        return {"code": member.code, "admin": admin}


def sign_in(email: str, password: str, *, now: datetime | None = None) -> dict:
    """Check e-mail + password; on success start a session and return its token (the cookie's content).

    Raises SignInRefused (invalid or locked). A failed attempt is counted (committed) before the refusal.
    """
    now = _now(now)
    settings = get_settings()
    refusal: SignInRefused | None = None
    with unit_of_work() as session:
        rows = session.execute(
            sa.select(TeamMember, TeamAccount).join(TeamAccount, TeamAccount.team_member_id == TeamMember.id)
            .where(sa.func.lower(TeamMember.email) == (email or "").strip().lower())
        ).all()
        if len(rows) != 1 or not rows[0][0].active or not rows[0][1].password_hash:
            _verify(_dummy_hash(), password)  # the same work as for a real account: the time says nothing
            raise SignInRefused(SignInFailure.INVALID)
        member, account = rows[0]
        state = LockState(account.failed_attempts, _aware(account.locked_until))
        if state.locked(now):
            raise SignInRefused(SignInFailure.LOCKED, state.locked_until)
        if not _verify(account.password_hash, password):
            state = after_failure(state, now, max_attempts=settings.team_lockout_attempts,
                                  lock_minutes=settings.team_lockout_minutes)
            account.failed_attempts, account.locked_until = state.failed_attempts, state.locked_until
            refusal = SignInRefused(SignInFailure.LOCKED if state.locked(now) else SignInFailure.INVALID,
                                    state.locked_until)
        else:
            if _hasher().check_needs_rehash(account.password_hash):
                account.password_hash = _hasher().hash(password)
            account.failed_attempts, account.locked_until, account.last_sign_in_at = 0, None, now
            token = secrets.token_urlsafe(32)
            session.add(TeamSession(token_sha256=token_hash(token), team_member_id=member.id, created_at=now,
                                    expires_at=now + timedelta(hours=settings.team_session_hours)))
            result = {"token": token, "code": member.code, "name": member.name, "admin": account.is_admin}
    if refusal is not None:
        raise refusal
    return result


def _verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def session_member(token: str | None, *, now: datetime | None = None) -> SignedIn | None:
    """The active member of a session token that has not ended or expired; None otherwise."""
    if not token:
        return None
    now = _now(now)
    with unit_of_work() as session:
        row = session.execute(
            sa.select(TeamSession.id, TeamSession.expires_at, TeamMember.id, TeamMember.code, TeamMember.name,
                      TeamAccount.is_admin)
            .join(TeamMember, TeamMember.id == TeamSession.team_member_id)
            .outerjoin(TeamAccount, TeamAccount.team_member_id == TeamMember.id)
            .where(TeamSession.token_sha256 == token_hash(token), TeamSession.ended_at.is_(None),
                   TeamMember.active.is_(True))
        ).first()
    if row is None or _aware(row[1]) <= now:
        return None
    return SignedIn(row[2], row[3], row[4], bool(row[5]), session_id=row[0])


def sign_out(token: str | None, *, now: datetime | None = None) -> bool:
    """End the session of this token; True when there was one to end."""
    if not token:
        return False
    with unit_of_work() as session:
        return session.execute(
            sa.update(TeamSession).where(TeamSession.token_sha256 == token_hash(token), TeamSession.ended_at.is_(None))
            .values(ended_at=_now(now))).rowcount > 0


def make_api_token(code: str, *, now: datetime | None = None) -> dict:
    """A new API token for a member (earlier ones are revoked); the token is in the result, only its hash stored."""
    now = _now(now)
    token = "sbr_" + secrets.token_urlsafe(32)
    with unit_of_work() as session:
        member = _member(session, code)
        if not member.active:
            raise TeamAuthError(f"team member {code} is not active")
        revoked = session.execute(
            sa.update(ApiToken).where(ApiToken.team_member_id == member.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)).rowcount
        session.add(ApiToken(token_sha256=token_hash(token), team_member_id=member.id, created_at=now))
        return {"code": member.code, "token": token, "revoked": revoked}


def token_member(token: str | None, *, now: datetime | None = None) -> SignedIn | None:
    """The active member of an API token that is not revoked; None otherwise (records when it was last used)."""
    if not token:
        return None
    now = _now(now)
    with unit_of_work() as session:
        row = session.execute(
            sa.select(ApiToken, TeamMember.id, TeamMember.code, TeamMember.name, TeamAccount.is_admin)
            .join(TeamMember, TeamMember.id == ApiToken.team_member_id)
            .outerjoin(TeamAccount, TeamAccount.team_member_id == TeamMember.id)
            .where(ApiToken.token_sha256 == token_hash(token), ApiToken.revoked_at.is_(None),
                   TeamMember.active.is_(True))
        ).first()
        if row is None:
            return None
        api_token, member_id, code, name, admin = row
        last = _aware(api_token.last_used_at)
        if last is None or now - last > timedelta(minutes=5):  # not a write on every call
            api_token.last_used_at = now
        return SignedIn(member_id, code, name, bool(admin))
