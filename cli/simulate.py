"""`sbrflow simulate source …`: run the source-package simulator in the foreground."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from sbrflow.domain.errors import InputError

simulate_app = typer.Typer(help="Simulators of the outside world, for trying sbrflow out.", no_args_is_help=True)


class SimulatorOptionError(InputError):
    """The simulator cannot start with these options."""


@simulate_app.command("source")
def source(
    port: int = typer.Option(8081, "--port", help="Port to listen on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    from_dir: Path = typer.Option(None, "--from", help="Serve the .xbrl/.xml files of this folder (new ones appear)."),
    generate: int = typer.Option(None, "--generate", min=1, help="Serve N generated returns (90 % VAT)."),
    employees: int = typer.Option(20, "--employees", min=0, help="Employees per generated payroll return."),
    vat_share: float = typer.Option(0.9, "--vat-share", min=0, max=1, help="Share of VAT returns when generating."),
    seed: int = typer.Option(0, "--seed", help="Seed of the generated returns and of the faults."),
    token_env: str = typer.Option(None, "--token-env", help="Require the bearer token in this environment variable."),
    error_rate: float = typer.Option(0.0, "--error-rate", min=0, max=1, help="Share of requests answered 503."),
    slow_rate: float = typer.Option(0.0, "--slow-rate", min=0, max=1, help="Share of requests answered slowly."),
    slow_seconds: float = typer.Option(2.0, "--slow-seconds", min=0, help="How slow a slow answer is."),
    malformed_rate: float = typer.Option(0.0, "--malformed-rate", min=0, max=1, help="Share of documents damaged."),
    duplicate_rate: float = typer.Option(0.0, "--duplicate-rate", min=0, max=1, help="Share listed twice."),
    changing_pages: bool = typer.Option(False, "--changing-pages", help="The feed grows and pages overlap."),
) -> None:
    """Serve returns over the source-package HTTP API (README: "Source package API") until Ctrl-C."""
    from sbrflow.integrations.simulator import Faults, FolderCatalogue, SourceSimulator, generated_catalogue

    if (from_dir is None) == (generate is None):
        raise SimulatorOptionError("give exactly one of --from DIR or --generate N")
    if from_dir is not None and not from_dir.is_dir():
        raise SimulatorOptionError(f"--from {str(from_dir)!r} is not a folder")
    token = None
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise SimulatorOptionError(f"environment variable {token_env} is not set")
    catalogue = (FolderCatalogue(from_dir) if from_dir is not None
                 else generated_catalogue(generate, vat_share=vat_share, employees=employees, seed=seed))
    faults = Faults(error_rate=error_rate, slow_rate=slow_rate, slow_seconds=slow_seconds,
                    malformed_rate=malformed_rate, duplicate_rate=duplicate_rate,
                    changing_pages=changing_pages, seed=seed)
    simulator = SourceSimulator(catalogue, faults=faults, token=token, host=host, port=port)
    what = f"the files of {from_dir}" if from_dir is not None else f"{generate} generated returns"
    typer.echo(f"source simulator serving {what} at {simulator.url} (Ctrl-C stops)")
    typer.echo(f"register it: sbrflow sources add simulator --url {simulator.url}"
               + (f" --token-env {token_env}" if token_env else ""))
    try:
        simulator.serve_forever()
    except KeyboardInterrupt:
        typer.echo("stopped")
    finally:
        simulator.stop()
