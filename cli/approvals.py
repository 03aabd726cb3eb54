"""`sbrflow approvals list | link | decide` and `sbrflow web`: thin over tasks/approval.py (the page's functions)."""

from __future__ import annotations

import json

import typer

approvals_app = typer.Typer(help="Client approval requests: list, make a new link, record a decision.",
                            no_args_is_help=True)
# Registered without a name in cli/main.py: `sbrflow web` is a top-level command.
web_app = typer.Typer(no_args_is_help=True)


@approvals_app.command("list")
def list_requests(
    state: str = typer.Option(None, "--state", help="open, expired or decided (default: all)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON array."),
) -> None:
    """Approval requests, newest first: case, client, presentation, state, decision."""
    from sbrflow.tasks.approval import list_approvals

    if state is not None and state not in {"open", "expired", "decided"}:
        raise typer.BadParameter("use open, expired or decided", param_hint="--state")
    rows = list_approvals(state)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{'id':>6} {'case':>7} {'client':<10} {'product':<15} {'period':<11} {'presentation':<12} "
               f"{'state':<8} {'decision':<9} expires / decided")
    for r in rows:
        when = r["decided_at"] or r["expires_at"]
        typer.echo(f"{r['id']:>6} {r['case_id']:>7} {r['client_number']:<10} {r['product']:<15} "
                   f"{r['period_label']:<11} {r['presentation']:<12} {r['state']:<8} {r['decision'] or '-':<9} "
                   f"{when[:16]}")


@approvals_app.command("link")
def link(case_id: int = typer.Argument(..., help="The case (must be with_client).")) -> None:
    """Make a new request for the case (voiding the earlier link) and print its URL."""
    from sbrflow.tasks.approval import request_approval

    try:
        result = request_approval(case_id, via="cli")
    except LookupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if "blocked" in result:
        typer.echo(f"error: case {case_id} cannot go to the client: {result['reason']}", err=True)
        raise typer.Exit(1)
    typer.echo(result["url"])
    if result["presentation"] == "information":
        typer.echo(f"case {case_id}: information only, recorded as sent; the case is approved", err=True)


@approvals_app.command("decide")
def decide(
    token: str = typer.Argument(..., help="The token from the link (the part after /a/)."),
    approve: bool = typer.Option(False, "--approve", help="Akkoord."),
    reject: bool = typer.Option(False, "--reject", help="Niet akkoord (needs --reason)."),
    sign: bool = typer.Option(False, "--sign", help="Ondertekenen (needs --name)."),
    reason: str = typer.Option(None, "--reason", help="Why the client does not agree."),
    name: str = typer.Option(None, "--name", help="The client's full name, as typed to sign."),
) -> None:
    """Record a client's decision with the same rules as the page (for tests and support)."""
    from sbrflow.domain.approval import Decision, LinkNotValid, LinkStatus
    from sbrflow.tasks.approval import decide_approval

    chosen = [d for flag, d in ((approve, Decision.APPROVED), (reject, Decision.REJECTED), (sign, Decision.SIGNED))
              if flag]
    if len(chosen) != 1:
        raise typer.BadParameter("give exactly one of --approve, --reject, --sign")
    try:
        result = decide_approval(token, chosen[0], reason=reason, name=name, consent=sign, via="cli")
    except LinkNotValid as exc:
        if exc.status is LinkStatus.UNKNOWN:
            typer.echo("error: approval link not found (unknown token)", err=True)
            raise typer.Exit(2) from None
        raise
    typer.echo(f"case {result['case_id']}: {result['decision']} → {result['case_state']}"
               + (f" (stage {result['current_stage']})" if result["current_stage"] else ""))


@web_app.command("web")
def web(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes (one per CPU core)."),
) -> None:
    """Start the web application (the clients' approval pages) with uvicorn."""
    from sbrflow.web.app import serve

    serve(host=host, port=port, workers=workers)
