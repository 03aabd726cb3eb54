"""`sbrflow team set-password | admin | api-token`: prompts, last-line token, exit codes."""

from __future__ import annotations

from typer.testing import CliRunner

from sbrflow.cli.main import app
from sbrflow.tasks import team

runner = CliRunner()


def test_set_password_prompts_twice_and_the_new_password_signs_in(team_office):
    result = runner.invoke(app, ["team", "set-password", "BO"], input="a brand new passphrase\na brand new passphrase\n")
    assert result.exit_code == 0, result.output
    assert "a brand new passphrase" not in result.output
    assert team.sign_in("bob@kantoor.example", "a brand new passphrase")["code"] == "BO"


def test_set_password_takes_no_password_on_the_command_line(team_office):
    result = runner.invoke(app, ["team", "set-password", "BO", "a brand new passphrase"])
    assert result.exit_code != 0


def test_a_short_password_is_refused_with_one_error_line(team_office):
    result = runner.invoke(app, ["team", "set-password", "BO"], input="short\nshort\n")
    assert result.exit_code != 0 and "at least 12" in str(result.exception)


def test_api_token_prints_the_token_once_as_the_last_line(team_office):
    result = runner.invoke(app, ["team", "api-token", "BO"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("sbr_") and team.token_member(token).code == "BO"


def test_an_unknown_member_code_exits_2_naming_it(team_office):
    for command in (["team", "api-token", "ZZ"], ["team", "admin", "ZZ"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2 and "ZZ" in result.output


def test_admin_sets_and_clears_the_flag(team_office):
    assert runner.invoke(app, ["team", "admin", "BO"]).exit_code == 0
    token = team.sign_in("bob@kantoor.example", "correct horse battery")["token"]
    assert team.session_member(token).is_admin
    assert runner.invoke(app, ["team", "admin", "BO", "--off"]).exit_code == 0
    assert not team.session_member(token).is_admin
