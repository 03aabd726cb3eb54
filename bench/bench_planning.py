"""Benchmark: plan-periods for 50,000 clients from scratch, the re-run with nothing to do, and the SQL floor.

    .venv/bin/python bench/bench_planning.py --backend sqlite
    .venv/bin/python bench/bench_planning.py --backend postgresql [--server postgresql+psycopg2://postgres@127.0.0.1:5432/postgres]

Mix (issue 5): VAT 60 % quarterly (1 in 100 of them shifted), 30 % monthly, 10 % yearly; payroll 40 %
monthly, 10 % four-weekly; 2 % of clients are not `client`, 3 % are not ready (SBR off → blocked).
The office is loaded by fast bulk inserts (COPY on PostgreSQL) in the parent process; the flow runs in
a fresh child process (under one Prefect test server, started before the clock runs) so its peak RSS is
the planning's own. Prints wall time and peak RSS (resource.getrusage) of each step.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date

import sqlalchemy as sa

RUN_DATE = date(2026, 11, 23)
ROLES = ["relatiebeheerder", "accountant", "fiscaal", "administratie", "salaris", "secretariaat"]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fiscal(seed: int) -> str:
    """A 9-digit number passing the elfproef."""
    while True:
        head = f"{seed % 10**8:08d}"
        check = sum(int(d) * w for d, w in zip(head, range(9, 1, -1))) % 11
        if check < 10:
            return head + str(check)
        seed += 1


def office(n: int) -> dict[str, tuple[list[str], list[tuple]]]:
    """Rows per table for an office of n clients (explicit ids)."""
    members = [(i, f"M{i:02d}", f"Member {i}") for i in range(1, 21)]
    clients, persons, contacts, roles, subs = [], [], [], [], []
    rid = sid = 0
    for i in range(1, n + 1):
        number = fiscal(10_000_000 + i * 97)
        status = "prospect" if i % 50 == 0 else "client"
        ready = i % 33 != 0
        clients.append((i, f"{100000 + i}", "company", f"Client {i}", status, "bv", number, number + "B01",
                        number + "L01", ready, True))
        persons.append((i, f"P{i}", "Jansen", f"client{i}@example.nl"))
        contacts.append((i, i, i, True))
        for r, role in enumerate(ROLES):
            rid += 1
            roles.append((rid, i, role, 1 + (i + r) % 20))
        k = i % 10
        active_from = "2026-03-01" if i % 7 == 0 else None
        vat = ("quarter", 2 if i % 100 == 0 else 1) if k < 6 else ("month", None) if k < 9 else ("year", None)
        sid += 1
        subs.append((sid, i, "vat_return", vat[0], vat[1], active_from))
        if k < 5:
            sid += 1
            subs.append((sid, i, "payroll_return", "month" if k < 4 else "four_weekly", None, active_from))
    return {
        "team_member": (["id", "code", "name"], members),
        "client": (["id", "client_number", "kind", "name", "status", "legal_form", "rsin", "ob_number",
                    "payroll_tax_number", "sbr_enabled", "ideal_enabled"], clients),
        "person": (["id", "contact_number", "last_name", "email"], persons),
        "client_contact": (["id", "client_id", "person_id", "is_primary"], contacts),
        "role_assignment": (["id", "client_id", "role", "team_member_id"], roles),
        "subscription": (["id", "client_id", "product", "frequency", "quarter_start_month", "active_from"], subs),
    }


def bulk_load(engine: sa.Engine, tables: dict) -> None:
    """COPY on PostgreSQL, executemany on SQLite: seconds, not minutes."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, (columns, rows) in tables.items():
            if engine.dialect.name == "postgresql":
                buf = io.StringIO()
                writer = csv.writer(buf)
                for row in rows:
                    writer.writerow(["t" if v is True else "f" if v is False else "" if v is None else v for v in row])
                buf.seek(0)
                cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buf)
            else:
                marks = ", ".join("?" for _ in columns)
                cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        raw.commit()
    finally:
        raw.close()


FLOOR_SQL = """
INSERT INTO tax_case (client_id, product, period_label, period_start, period_end, frequency, quarter_start_month,
                      template_code, template_version, state, deadline, deadline_effective)
SELECT s.client_id, s.product, p.label, p.period_start, p.period_end, s.frequency, p.qsm,
       s.product, 1, 'waiting_for_return', p.deadline, p.deadline
FROM subscription s
JOIN client c ON c.id = s.client_id AND c.status = 'client'
JOIN ({periods}) p ON p.product = s.product AND p.frequency = s.frequency
                   AND p.qsm = CASE WHEN s.frequency = 'quarter' THEN COALESCE(s.quarter_start_month, 1) ELSE 1 END
                   AND (s.active_from IS NULL OR p.period_end >= s.active_from)
"""


def floor_periods_sql(dialect: str) -> str:
    """The candidate periods as a literal UNION ALL (what the hand-written query would carry)."""
    from sbrflow.domain.enums import Frequency, Tax
    from sbrflow.domain.periods import months_before, periods_ended_between

    after = months_before(RUN_DATE, 12)
    d = "DATE " if dialect == "postgresql" else ""  # SQLite stores dates as ISO text
    parts = []
    for product, tax, frequencies in (("vat_return", Tax.OB, [("month", 1), ("quarter", 1), ("quarter", 2),
                                                              ("year", 1)]),
                                      ("payroll_return", Tax.LH, [("month", 1), ("four_weekly", 1)])):
        for frequency, qsm in frequencies:
            for p in periods_ended_between(Frequency(frequency), after, RUN_DATE, qsm):
                parts.append(f"SELECT '{product}' AS product, '{frequency}' AS frequency, {qsm} AS qsm, "
                             f"'{p.label}' AS label, {d}'{p.start}' AS period_start, {d}'{p.end}' AS period_end, "
                             f"{d}'{p.deadline(tax)}' AS deadline")
    return " UNION ALL ".join(parts)


def child(url: str) -> None:
    """Run in a fresh process: the flow from scratch, the re-run, and the floor; print JSON."""
    os.environ["SBRFLOW_DATABASE_URL"] = url
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.testing.utilities import prefect_test_harness

    from sbrflow.flows.planning import plan_periods
    from sbrflow.models.db import get_engine

    out: dict = {}
    with prefect_test_harness(server_startup_timeout=120):
        t = time.perf_counter()
        first = plan_periods(run_date=RUN_DATE)
        out["first_s"], out["first_rss_mib"] = time.perf_counter() - t, peak_rss_mib()
        out["first_totals"], out["first_steps"] = first["totals"], first["seconds"]
        t = time.perf_counter()
        second = plan_periods(run_date=RUN_DATE)
        out["rerun_s"] = time.perf_counter() - t
        out["rerun_totals"], out["rerun_steps"] = second["totals"], second["seconds"]
    engine = get_engine()
    with engine.begin() as conn:
        planned = conn.scalar(sa.text("SELECT count(*) FROM tax_case"))
        conn.execute(sa.text("DELETE FROM tax_case"))
    periods = floor_periods_sql(engine.dialect.name)
    t = time.perf_counter()
    with engine.begin() as conn:
        floor_rows = conn.execute(sa.text(FLOOR_SQL.format(periods=periods))).rowcount
    out["floor_s"], out["planned_rows"], out["floor_rows"] = time.perf_counter() - t, planned, floor_rows
    out["peak_rss_mib"] = peak_rss_mib()
    print("RESULT " + json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--load-only", action="store_true", help="Load the office, print its URL and keep it.")
    args = parser.parse_args()
    if args.child:
        return child(args.child)

    from sbrflow.models import migrate
    from sbrflow.models.db import create_engine_for

    admin = folder = None
    if args.backend == "postgresql":
        admin = sa.create_engine(args.server, isolation_level="AUTOCOMMIT")
        name = f"sbrflow_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(args.server).set(database=name).render_as_string(hide_password=False)
    else:
        folder = tempfile.mkdtemp(prefix="sbrflow-bench-planning-")
        url = f"sqlite:///{folder}/bench.db"
    try:
        engine = create_engine_for(url)
        migrate.upgrade(engine)
        t = time.perf_counter()
        bulk_load(engine, office(args.clients))
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
        print(f"loaded {args.clients:,} clients in {time.perf_counter() - t:.1f} s ({args.backend})")
        engine.dispose()
        if args.load_only:
            print(url)
            admin = folder = None  # keep it
            return
        result = subprocess.run([sys.executable, __file__, "--child", url], capture_output=True, text=True)
        line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            sys.exit(f"child failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        r = json.loads(line[7:])
        print(f"plan-periods from scratch: {r['first_s']:.1f} s, peak RSS {r['first_rss_mib']:.0f} MiB, "
              f"{r['first_totals']}\n  steps (s): {r['first_steps']}")
        print(f"plan-periods re-run:       {r['rerun_s']:.1f} s, {r['rerun_totals']}\n  steps (s): {r['rerun_steps']}")
        print(f"floor INSERT … SELECT:     {r['floor_s']:.1f} s for {r['floor_rows']:,} rows "
              f"(planned {r['planned_rows']:,}); ratio {r['first_s'] / r['floor_s']:.1f}×")
        print(f"peak RSS of the flow process: {r['peak_rss_mib']:.0f} MiB")
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
