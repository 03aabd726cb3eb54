"""Flow `poll-returns`: take in the new SBR returns of every enabled source package."""

from __future__ import annotations

import sqlalchemy as sa
from prefect import flow, task
from prefect.artifacts import create_table_artifact

from sbrflow.config.settings import get_settings
from sbrflow.domain.errors import SourcesFailed  # re-exported: flows.intake.SourcesFailed
from sbrflow.flows.matching import match_returns
from sbrflow.flows.outcome import fails_cleanly, run_name
from sbrflow.models.db import unit_of_work
from sbrflow.models.returns import SourcePackage
from sbrflow.tasks.intake import SourceNotFound, poll_source
from sbrflow.tasks.shutdown import stop_requested


@task(name="list-enabled-sources")
def enabled_sources(source: str | None = None) -> list[str]:
    """The names of the enabled source packages (or just `source`, enabled or not, when named)."""
    with unit_of_work() as session:
        query = sa.select(SourcePackage.name).order_by(SourcePackage.name)
        if source is None:
            query = query.where(SourcePackage.enabled.is_(True))
        else:
            query = query.where(SourcePackage.name == source)
        names = list(session.scalars(query))
    if source is not None and not names:
        raise SourceNotFound(f"no source package named {source!r} (see: sbrflow sources list)")
    return names


@flow(name="poll-returns", flow_run_name=run_name("poll", "source", default=lambda: "all"))
@fails_cleanly
def poll_returns(source: str | None = None) -> dict:
    """Fetch new returns from every enabled source package (or only `source`), store each once.

    Each source is polled by its own task: a source that is down fails (after bounded retries)
    without stopping the others. The run's table artifact shows per source: new, duplicate, rejected.
    """
    settings = get_settings()
    names = enabled_sources(source)
    poll = poll_source.with_options(
        retries=settings.poll_retries,
        retry_delay_seconds=[settings.poll_retry_delay * 2**i for i in range(settings.poll_retries)] or 0,
    )
    futures = {name: poll.submit(name) for name in names}
    rows = []
    try:
        for future in futures.values():
            future.wait()
    except BaseException:  # SIGTERM (Prefect's TerminationSignal) or Ctrl-C: the source polls stop after their page
        stop_requested.set()
        raise
    for name, future in futures.items():
        state = future.state
        if state.is_completed():
            counts = future.result()
            # busy: another run is polling this source right now (named in the error); not a failure.
            rows.append({"source": name, "new": counts["new"], "duplicate": counts["duplicate"],
                         "rejected": counts["rejected"], "status": "busy" if counts.get("busy") else "ok",
                         "error": counts.get("busy", "")})
        else:
            error = state.result(raise_on_failure=False)
            rows.append({"source": name, "new": 0, "duplicate": 0, "rejected": 0, "status": "failed",
                         "error": str(error)[:300]})
    create_table_artifact(
        key="poll-returns",
        table=rows or [{"source": "(no enabled source packages)", "new": 0, "duplicate": 0, "rejected": 0,
                        "status": "ok", "error": ""}],
        description="Per source package: documents new, duplicate (seen before) and rejected (kept with reason)",
    )
    summary = {"sources": rows, **{k: sum(r[k] for r in rows) for k in ("new", "duplicate", "rejected")}}
    # Every poll ends with a matching pass over everything not matched yet (also what older polls left).
    summary["matching"] = match_returns()
    if any(row["status"] == "failed" for row in rows):
        raise SourcesFailed(summary)
    return summary
