"""`sbrflow submissions …`, `sbrflow digipoort parse`, `sbrflow simulate digipoort` and `sbrflow case close`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

submissions_app = typer.Typer(help="Deliveries of approved returns to Digipoort.", no_args_is_help=True)
digipoort_app = typer.Typer(help="Digipoort (WUS 2.0) tools.", no_args_is_help=True)


def _not_found(exc: Exception) -> None:
    """'Not found' exits 2 naming the thing (the CLI convention); other errors go to main()."""
    typer.echo(f"error: {exc}", err=True)
    sys.exit(2)


@submissions_app.command("list")
def list_(
    state: str = typer.Option(None, "--state", help="in_doubt, submitting, submitted, submission_failed or closed."),
    member: str = typer.Option(None, "--member", help="Only those sent on behalf of this team member (code)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """The latest delivery of each case: case, client, kenmerk, last status code and text, at."""
    from sbrflow.tasks.submission_admin import list_submissions

    rows = list_submissions(state, member=member)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no submissions" + (f" in state {state}" if state else ""))
    for r in rows:
        status = f"{r['status_code'] or r['error_code'] or '-'} {r['status_text'] or r['error_meaning'] or ''}".strip()
        flag = "  CHECK: no kenmerk, not re-sent; resubmit after checking Digipoort" if r["in_doubt"] else ""
        typer.echo(f"case {r['case_id']:>6}  {r['client_number']:<10} {r['product']:<15} {r['period']:<11} "
                   f"{r['case_state']:<18} {r['kenmerk'] or '-':<36}  {status}  {r['at']}{flag}")


@submissions_app.command("submit")
def submit(case: int = typer.Option(None, "--case", help="Only this case (it must be approved).")) -> None:
    """Submit approved returns now (runs submit-returns; with --case only that case) and follow them."""
    from sbrflow.domain.errors import NotFound
    from sbrflow.flows.submission import submit_returns

    try:
        result = submit_returns(case_id=case)
    except NotFound as exc:
        _not_found(exc)
    typer.echo(", ".join(f"{k} {v}" for k, v in result.items() if not isinstance(v, dict)))
    if isinstance(result.get("follow"), dict):
        typer.echo("follow: " + ", ".join(f"{k} {v}" for k, v in result["follow"].items()))


@submissions_app.command("follow")
def follow() -> None:
    """Ask Digipoort the new statuses of every open delivery now (runs follow-submissions)."""
    from sbrflow.flows.submission import follow_submissions

    typer.echo(", ".join(f"{k} {v}" for k, v in follow_submissions().items()) or "no open deliveries")


@submissions_app.command("resubmit")
def resubmit(
    case_id: int = typer.Argument(..., help="The case (submission_failed, or submitting without kenmerk)."),
    by: str = typer.Option(..., "--by", help="Your team member code (recorded in the audit trail)."),
) -> None:
    """Put a failed (or in-doubt, after checking Digipoort) case back for the next submit run."""
    from sbrflow.domain.errors import NotFound
    from sbrflow.tasks.submission_admin import resubmit as resubmit_case

    try:
        result = resubmit_case(case_id, by)
    except NotFound as exc:
        _not_found(exc)
    typer.echo(f"case {result['case_id']} is {result['state']} again (by {result['by']}); "
               "the next submit-returns sends it")


@digipoort_app.command("parse")
def parse(
    file: Path = typer.Argument(..., help="A saved Digipoort response (aanleverResponse, status list or fault)."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON contract."),
) -> None:
    """Read a saved Digipoort response: delivered (kenmerk), statuses (with final outcome), or fault."""
    from sbrflow.integrations.digipoort import messages

    try:
        data = file.read_bytes()
    except OSError as exc:
        _not_found(f"cannot read {file}: {exc.strerror}")
    try:
        parsed = messages.to_json(messages.read(data))
    except messages.UnreadableMessage as exc:
        typer.echo(f"error: {file} is not a Digipoort response: {exc}", err=True)
        sys.exit(2)
    if as_json:
        typer.echo(json.dumps(parsed, indent=2, ensure_ascii=False))
        return
    if parsed["kind"] == "statuses":
        for s in parsed["statuses"]:
            typer.echo(f"{s['code']}  {s['at']}  {s['description']}"
                       + (f"  [{s['error_code']}: {s['error_description']}]" if s["error_code"] else ""))
        typer.echo(f"final: {parsed['final'] or 'not yet'}")
    else:
        for key, value in parsed.items():
            typer.echo(f"{key:<12} {value}")


def register_simulator(simulate_app: typer.Typer) -> None:
    """Add `simulate digipoort` to the simulators."""

    @simulate_app.command("digipoort")
    def digipoort(
        port: int = typer.Option(8443, "--port", help="Port to listen on (0: any free port)."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
        pki_dir: Path = typer.Option(Path("var/digipoort-pki"), "--pki",
                                     help="Folder of the test CA and certificates."),
        error_rate: float = typer.Option(0.0, "--error-rate", min=0, max=1, help="Share of requests answered 503."),
        slow_rate: float = typer.Option(0.0, "--slow-rate", min=0, max=1, help="Share of requests answered slowly."),
        slow_seconds: float = typer.Option(2.0, "--slow-seconds", min=0, help="How slow a slow answer is."),
        seed: int = typer.Option(0, "--seed", help="Seed of the injected faults."),
    ) -> None:
        """Serve both Digipoort WUS services over HTTPS with mutual TLS until Ctrl-C (scenarios: README)."""
        from sbrflow.integrations.digipoort.simulator import DigipoortSimulator, Faults
        from sbrflow.integrations.digipoort.testpki import make_test_pki

        pki = make_test_pki(pki_dir)
        sim = DigipoortSimulator(pki, host=host, port=port,
                                 faults=Faults(error_rate=error_rate, slow_rate=slow_rate, slow_seconds=slow_seconds,
                                               seed=seed))
        typer.echo(f"Digipoort simulator at {sim.url} (Ctrl-C stops). Point sbrflow at it:")
        for name, value in (("AANLEVER_URL", sim.aanlever_url), ("STATUS_URL", sim.status_url),
                            ("CERT_FILE", pki.client_cert.resolve()), ("KEY_FILE", pki.client_key.resolve()),
                            ("CA_FILE", pki.ca_cert.resolve())):
            typer.echo(f"  export SBRFLOW_DIGIPOORT_{name}={value}")
        try:
            sim.serve_forever()
        except KeyboardInterrupt:
            typer.echo("stopped")
        finally:
            sim.stop()


def register_case_commands(case_app: typer.Typer) -> None:
    """Add `case close` to the `case` command group (routing adds its own commands to the same group)."""

    @case_app.command("close")
    def close(
        case_id: int = typer.Argument(..., help="A submitted case."),
        by: str = typer.Option(..., "--by", help="Your team member code (recorded in the audit trail)."),
    ) -> None:
        """Close a submitted case by hand (for templates that do not close automatically)."""
        from sbrflow.domain.errors import NotFound
        from sbrflow.tasks.submission_admin import close_case

        try:
            result = close_case(case_id, by)
        except NotFound as exc:
            _not_found(exc)
        typer.echo(f"case {result['case_id']} closed by {result['by']}")


__all__ = ["digipoort_app", "register_case_commands", "register_simulator", "submissions_app"]
