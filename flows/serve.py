"""`sbrflow serve`: run every deployment of prefect.yaml in this process (no work pool needed), with schedules.

prefect.yaml is the one declaration (flows/deployments.py reads it); this is the one-command alternative to
`prefect deploy --all` + workers for a single machine. Needs PREFECT_API_URL (a Prefect server). Use one or
the other: both register the same deployment names, and the last one to register wins.
"""

from __future__ import annotations

from sbrflow.flows.deployments import deployments


def serve_all(limit: int | None = None) -> None:
    """Serve every deployment of prefect.yaml until interrupted."""
    from prefect import serve

    serve(*deployments(), limit=limit)
