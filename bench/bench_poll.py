"""Bench: poll 10,000 returns (90 % VAT, 10 % payroll with 20 employees) from the simulator over loopback.

    .venv/bin/python bench/bench_poll.py                      # SQLite and PostgreSQL, clean and with faults, parse floor
    .venv/bin/python bench/bench_poll.py --db sqlite --count 2000

Each scenario runs in its own process (so peak RSS is that scenario's), against a scratch database
(a SQLite file in a temp folder, or a new PostgreSQL database that is dropped afterwards); the
simulator runs in another process, so it does not share the poller's CPU time or memory. The poll is
`poll_source_once` — the poll-returns task's body — without Prefect's per-run overhead (~1–3 s).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid

PG_SERVER = os.environ.get("SBRFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def _serve(conn, count: int, faults: dict) -> None:
    from sbrflow.integrations.simulator import Faults, SourceSimulator, generated_catalogue

    sim = SourceSimulator(generated_catalogue(count, vat_share=0.9, employees=20, seed=1), faults=Faults(**faults))
    sim.start()
    conn.send(sim.url)
    conn.recv()  # until the poller is done
    conn.send(sim.stats.__dict__ | {"lock": None, "peak_rss_mib": _peak_rss_mib()})
    sim.stop()


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_one(db: str, count: int, faulty: bool) -> dict:
    """One scenario in this process: scratch DB, simulator process, poll, verify, drop."""
    import sqlalchemy as sa

    from sbrflow.models import migrate
    from sbrflow.models.db import create_engine_for, get_engine, reset_engine, unit_of_work

    if db == "sqlite":
        folder = tempfile.mkdtemp(prefix="sbrflow-bench-")
        url = f"sqlite:///{folder}/bench.db"
        admin = None
    else:
        admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        name = f"sbrflow_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    os.environ["SBRFLOW_DATABASE_URL"] = url
    os.environ["SBRFLOW_VAR_DIR"] = tempfile.mkdtemp(prefix="sbrflow-bench-var-")
    reset_engine()
    engine = create_engine_for(url)
    migrate.upgrade(engine)
    engine.dispose()
    faults = {"error_rate": 0.05, "duplicate_rate": 0.01, "seed": 7} if faulty else {}
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(child, count, faults), daemon=True)
    server.start()
    sim_url = parent.recv()
    try:
        from sbrflow.models.returns import TaxReturnDocument
        from sbrflow.tasks.intake import add_source, poll_source_once

        add_source("bench", url=sim_url)
        started = time.perf_counter()
        result = poll_source_once("bench")
        wall = time.perf_counter() - started
        parent.send("done")
        stats = parent.recv()
        with unit_of_work() as session:
            shas = sorted(session.scalars(sa.select(TaxReturnDocument.sha256)))
            statuses = dict(session.execute(sa.select(TaxReturnDocument.status, sa.func.count())
                                            .group_by(TaxReturnDocument.status)).all())
    finally:
        server.join(timeout=10)
        get_engine().dispose()
        if admin is not None:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return {
        "db": db, "count": count, "faults": faulty, "wall_s": round(wall, 1),
        "docs_per_s": round(count / wall), "peak_rss_mib": round(_peak_rss_mib()),
        "rows": len(shas), "rows_digest": hashlib.sha256("".join(shas).encode()).hexdigest()[:16],
        "statuses": {str(k.value): v for k, v in statuses.items()},
        "poll": {k: result[k] for k in ("new", "duplicate", "rejected", "pages")},
        "simulator": {k: stats[k] for k in ("requests", "errors_injected", "documents_served", "peak_rss_mib")},
    }


def parse_floor(count: int) -> dict:
    """Parsing alone, the same mix: documents per second (rendering is not timed)."""
    from sbrflow.integrations.sbr.parser import parse_return
    from sbrflow.integrations.simulator import generated_catalogue

    entries = generated_catalogue(count, vat_share=0.9, employees=20, seed=1).snapshot()
    parse_time, size = 0.0, 0
    for start in range(0, len(entries), 500):
        batch = [e.render() for e in entries[start:start + 500]]
        size += sum(map(len, batch))
        began = time.perf_counter()
        for data in batch:
            parse_return(data)
        parse_time += time.perf_counter() - began
    return {"parse_only": True, "count": count, "parse_s": round(parse_time, 1),
            "docs_per_s": round(count / parse_time), "mib": round(size / 2**20), "peak_rss_mib": round(_peak_rss_mib())}


def main() -> None:
    """Run the scenarios, each in a fresh process, and print one JSON line per scenario."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--one", nargs=2, metavar=("DB", "FAULTS"), help=argparse.SUPPRESS)
    parser.add_argument("--parse-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], args.count, args.one[1] == "faults")))
        return
    if args.parse_only:
        print(json.dumps(parse_floor(args.count)))
        return
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    runs = [["--one", db, mode] for db in databases for mode in ("clean", "faults")] + [["--parse-only"]]
    for extra in runs:
        out = subprocess.run([sys.executable, __file__, "--count", str(args.count), *extra],
                             check=True, capture_output=True, text=True)
        print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
