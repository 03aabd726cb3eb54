"""Bench: poll one hostile document of 8 million empty elements (≈ 32 MB, just within the 32 MiB limit).

    .venv/bin/python bench/bench_hostile_document.py

Issue 18 measured 911 MB and 18 s to parse it, and 1.17 GB for a folder poll. Each scenario runs in its own
process (peak RSS is that scenario's), against a scratch SQLite database: the folder poll
(`poll_source_once`, the poll-returns task's body) and, as the floor, reading the file and parsing it.
Target: the poll stays under 512 MiB.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ELEMENTS = 8_000_000


def _document(path: Path) -> int:
    from sbrflow.integrations.sbr.generate import vat_return_xbrl

    data = vat_return_xbrl("001000044B37", date(2025, 1, 1), date(2025, 1, 31))
    data = data.replace(b"</xbrli:xbrl>", b"<a/>" * ELEMENTS + b"</xbrli:xbrl>")
    path.write_bytes(data)
    return len(data)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _scenario(kind: str, folder: str, conn) -> None:
    os.environ["SBRFLOW_DATABASE_URL"] = f"sqlite:///{folder}/bench.db"
    os.environ["SBRFLOW_VAR_DIR"] = f"{folder}/var"
    started = time.perf_counter()
    if kind == "parse (floor)":
        from sbrflow.integrations.sbr.parser import InvalidReturnDocument, parse_return

        try:
            parse_return((Path(folder) / "inbox" / "hostile.xbrl").read_bytes())
            outcome = "accepted"
        except InvalidReturnDocument as exc:
            outcome = f"rejected: {exc.code}"
    else:
        from sbrflow.models import migrate
        from sbrflow.models.db import get_engine
        from sbrflow.tasks.intake import add_source, poll_source_once

        migrate.upgrade(get_engine())
        add_source("scans", folder=f"{folder}/inbox")
        summary = poll_source_once("scans")
        outcome = f"new={summary['new']} rejected={summary['rejected']}"
    conn.send({"scenario": kind, "seconds": round(time.perf_counter() - started, 1),
               "peak_rss_mib": round(_rss_mib()), "outcome": outcome})


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        inbox = Path(folder) / "inbox"
        inbox.mkdir()
        size = _document(inbox / "hostile.xbrl")
        print(f"document: {size:,} bytes, {ELEMENTS:,} empty elements", file=sys.stderr)
        context = multiprocessing.get_context("spawn")
        for kind in ("parse (floor)", "folder poll"):
            ours, theirs = context.Pipe()
            process = context.Process(target=_scenario, args=(kind, folder, theirs))
            process.start()
            print(json.dumps(ours.recv()))
            process.join()


if __name__ == "__main__":
    main()
