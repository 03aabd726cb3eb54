"""Team members signing in: the lock-out rule, the password rule, token hashing. Pure (no clock, no I/O).

    sign in with e-mail + password
      ├─ no such active member, or no password set  → refused (`invalid`, same words as a wrong password)
      ├─ locked_until > now                          → refused (`locked`), the password is not even checked
      ├─ wrong password                              → failed_attempts + 1; at `max_attempts` the account
      │                                                is locked for `lock_minutes` and the count starts again
      └─ right password                              → failed_attempts = 0, a new session

Passwords are hashed with argon2id (tasks/team.py); sessions and API tokens are random tokens of which
only the SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sbrflow.domain.errors import Refused

MIN_PASSWORD_LENGTH = 12


class SignInFailure(StrEnum):
    """Why a sign-in was refused (the page shows `invalid` and `locked` differently, nothing more)."""

    INVALID = "invalid"  # unknown e-mail, wrong password, inactive member, no password set
    LOCKED = "locked"  # too many failed attempts; try again later


class TeamAuthError(Refused):
    """A team account problem the user can act on (a weak password, an unknown member code)."""


class SignInRefused(TeamAuthError):
    """A refused sign-in; `failure` says which kind, the message never says whether the e-mail exists."""

    def __init__(self, failure: SignInFailure, locked_until: datetime | None = None) -> None:
        self.failure, self.locked_until = failure, locked_until
        super().__init__("too many failed attempts; try again later" if failure is SignInFailure.LOCKED
                         else "wrong e-mail address or password")


@dataclass(frozen=True, slots=True)
class LockState:
    """An account's failed attempts and lock."""

    failed_attempts: int = 0
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def after_failure(state: LockState, now: datetime, *, max_attempts: int, lock_minutes: int) -> LockState:
    """One more failed attempt: lock the account when it reaches max_attempts (and start counting again)."""
    failed = state.failed_attempts + 1
    if failed >= max_attempts:
        return LockState(0, now + timedelta(minutes=lock_minutes))
    return LockState(failed, state.locked_until)


def check_password_rule(password: str) -> None:
    """At least MIN_PASSWORD_LENGTH characters, not only spaces."""
    if len(password) < MIN_PASSWORD_LENGTH or not password.strip():
        raise TeamAuthError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def token_hash(token: str) -> str:
    """What is stored of a session or API token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()
