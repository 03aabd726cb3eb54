"""The end-to-end demo: everything the pipeline has so far, as real Prefect flow runs."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from sbrflow.flows.crm import import_crm
from sbrflow.flows.intake import poll_returns
from sbrflow.flows.planning import plan_periods
from sbrflow.integrations.simulator import SourceSimulator, returns_catalogue
from sbrflow.tasks.returns_reads import disable_source
from sbrflow.tasks.demo import (
    complete_demo_office,
    demo_returns,
    register_demo_source,
    summarise_office,
    write_demo_workbook,
)

# The demo plans as of a fixed day, so its output (and the periods later demo steps use) is stable.
DEMO_RUN_DATE = date(2026, 11, 23)


@flow(name="demo-office")
def demo_office() -> dict[str, dict[str, int]]:
    """Load the demo office and report what it holds; safe to run again (it only updates)."""
    # The office comes in the way a real one does: as a CRM workbook through the import-crm flow.
    imported = import_crm(write_demo_workbook())
    complete_demo_office()
    loaded = {kind: sum(counts.values()) - counts["rejected"] for kind, counts in imported["counts"].items()}
    loaded["writes"] = imported["writes"]
    summary = summarise_office()
    create_markdown_artifact(
        key="demo-office-summary",
        markdown="\n".join(["| what | count |", "|---|---|"] + [f"| {k} | {v} |" for k, v in summary.items()]),
        description="What the demo office holds after the run",
    )
    planned = plan_periods(run_date=DEMO_RUN_DATE)  # cases for the periods that ended in the last 12 months
    intake, matching = poll_demo_source()
    return {"loaded": loaded, "summary": summary, "planning": planned["totals"], "intake": intake,
            "matching": matching}


def poll_demo_source() -> tuple[dict[str, int], dict[str, int]]:
    """Serve the demo office's returns from the simulator on a free loopback port and run poll-returns on it.

    poll-returns ends with a match-returns pass; its counts come back as the second dict.
    """
    catalogue = returns_catalogue(demo_returns(DEMO_RUN_DATE), employees=5)
    with SourceSimulator(catalogue) as simulator:  # in-process, stopped when the poll is done
        source = register_demo_source(simulator.url)
        try:
            polled = poll_returns(source=source)
        finally:
            # The simulator's port is gone after this: a source left enabled would fail every later poll.
            disable_source(source)
    matched = polled["matching"]
    matching = {"matched": matched["matched"], "corrections": matched["corrections"],
                **{f"unmatched_{code}": n for code, n in matched["unmatched"].items()}}
    return {key: polled[key] for key in ("new", "duplicate", "rejected")}, matching
