"""`sbrflow team set-password | api-token | admin`: team members' sign-in for the web pages and the API."""

from __future__ import annotations

import typer

team_app = typer.Typer(help="Team members' passwords, admin flag and API tokens.", no_args_is_help=True)


def _unknown(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


@team_app.command("set-password")
def set_password(code: str = typer.Argument(..., help="The team member's code.")) -> None:
    """Set a member's password: asked twice, never on the command line; ends the member's open sessions."""
    from sbrflow.tasks import team

    password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        result = team.set_password(code, password)
    except team.UnknownMember as exc:
        _unknown(exc)
    typer.echo(f"password set for {result['code']}; {result['sessions_ended']} open session(s) ended")


@team_app.command("admin")
def admin(
    code: str = typer.Argument(..., help="The team member's code."),
    off: bool = typer.Option(False, "--off", help="Take the admin flag away."),
) -> None:
    """Mark a member as admin (reassign any stage, manage the unmatched queue), or --off."""
    from sbrflow.tasks import team

    try:
        result = team.set_admin(code, not off)
    except team.UnknownMember as exc:
        _unknown(exc)
    typer.echo(f"{result['code']} is {'now' if result['admin'] else 'no longer'} admin")


@team_app.command("api-token")
def api_token(code: str = typer.Argument(..., help="The team member's code.")) -> None:
    """Make a new API token (earlier ones stop working); printed once, as the last line. Only its hash is kept."""
    from sbrflow.tasks import team

    try:
        result = team.make_api_token(code)
    except team.UnknownMember as exc:
        _unknown(exc)
    typer.echo(f"new API token for {result['code']} ({result['revoked']} earlier token(s) revoked); "
               "use it as `Authorization: Bearer <token>`. It is shown only now:")
    typer.echo(result["token"])
