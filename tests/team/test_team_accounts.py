"""Team accounts: passwords (argon2), sign-in with lock-out, sessions, API tokens — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sbrflow.domain.team_auth import LockState, SignInFailure, SignInRefused, TeamAuthError, after_failure
from sbrflow.models.db import unit_of_work
from sbrflow.models.team import ApiToken, TeamAccount, TeamSession
from sbrflow.tasks import team

PASSWORD = "correct horse battery"  # tests/team/conftest.py gives every member this one
NOW = datetime(2021, 11, 10, 9, 0, tzinfo=UTC)


def test_lock_state_locks_at_the_maximum_and_counts_again_from_zero():
    state = LockState()
    for _ in range(4):
        state = after_failure(state, NOW, max_attempts=5, lock_minutes=15)
    assert state == LockState(4, None) and not state.locked(NOW)
    state = after_failure(state, NOW, max_attempts=5, lock_minutes=15)
    assert state.locked(NOW) and state.locked_until == NOW + timedelta(minutes=15)
    assert not state.locked(NOW + timedelta(minutes=15))


def test_a_password_is_stored_only_as_an_argon2_hash(team_office):
    with unit_of_work() as session:
        hashes = session.scalars(sa.select(TeamAccount.password_hash)).all()
    assert len(hashes) == 3 and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_a_short_password_is_refused(team_office):
    with pytest.raises(TeamAuthError, match="at least 12"):
        team.set_password("AN", "kort")


def test_sign_in_with_the_right_password_starts_a_session_of_that_member(team_office):
    result = team.sign_in("Anna@Kantoor.example ", PASSWORD, now=NOW)
    member = team.session_member(result["token"], now=NOW)
    assert (member.code, member.is_admin) == ("AN", True)
    with unit_of_work() as session:
        stored = session.scalars(sa.select(TeamSession.token_sha256)).all()
    assert stored and result["token"] not in stored


def test_a_wrong_password_is_refused_with_the_same_words_as_an_unknown_address(team_office):
    with pytest.raises(SignInRefused) as wrong:
        team.sign_in("anna@kantoor.example", "wrong password!!", now=NOW)
    with pytest.raises(SignInRefused) as unknown:
        team.sign_in("nobody@kantoor.example", PASSWORD, now=NOW)
    assert wrong.value.failure is unknown.value.failure is SignInFailure.INVALID
    assert str(wrong.value) == str(unknown.value)


def test_five_failures_lock_the_account_even_for_the_right_password_until_the_lock_ends(team_office):
    for attempt in range(5):
        with pytest.raises(SignInRefused) as refused:
            team.sign_in("bob@kantoor.example", f"wrong password {attempt}", now=NOW)
    assert refused.value.failure is SignInFailure.LOCKED
    with pytest.raises(SignInRefused) as still:
        team.sign_in("bob@kantoor.example", PASSWORD, now=NOW + timedelta(minutes=14))
    assert still.value.failure is SignInFailure.LOCKED
    assert team.sign_in("bob@kantoor.example", PASSWORD, now=NOW + timedelta(minutes=16))["code"] == "BO"


def test_an_inactive_member_cannot_sign_in_nor_use_an_earlier_session(team_office):
    with pytest.raises(SignInRefused):
        team.sign_in("cees@kantoor.example", PASSWORD, now=NOW)
    token = team.sign_in("bob@kantoor.example", PASSWORD, now=NOW)["token"]
    from sbrflow.models import TeamMember

    with unit_of_work() as session:
        session.execute(sa.update(TeamMember).where(TeamMember.code == "BO").values(active=False))
    assert team.session_member(token, now=NOW) is None


def test_sign_out_and_a_new_password_end_sessions_and_an_expired_one_is_refused(team_office):
    first = team.sign_in("bob@kantoor.example", PASSWORD, now=NOW)["token"]
    second = team.sign_in("bob@kantoor.example", PASSWORD, now=NOW)["token"]
    assert team.sign_out(first) and team.session_member(first, now=NOW) is None
    assert team.session_member(second, now=NOW + timedelta(hours=11)) is None  # default: 10 hours
    assert team.set_password("BO", "another long password")["sessions_ended"] == 1
    assert team.session_member(second, now=NOW) is None


def test_an_api_token_is_stored_as_a_hash_and_a_new_one_revokes_the_old(team_office):
    old = team.make_api_token("BO", now=NOW)["token"]
    assert team.token_member(old, now=NOW).code == "BO"
    new = team.make_api_token("BO", now=NOW)
    assert new["revoked"] == 1 and team.token_member(old, now=NOW) is None
    assert team.token_member(new["token"], now=NOW).code == "BO"
    with unit_of_work() as session:
        assert new["token"] not in session.scalars(sa.select(ApiToken.token_sha256)).all()
    with pytest.raises(team.UnknownMember):
        team.make_api_token("XX")
