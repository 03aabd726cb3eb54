"""Bench: match 100,000 returns against 50,000 clients with planned cases (issue 7).

Mix: 5 % unknown identifiers, 1 % ambiguous (two clients share an OB-nummer), 2 % corrections.
Prints wall time and peak RSS of one `match_pending` pass (in a fresh process), and the floor:
one hand-written SQL join doing the same match, with the ratio.

    .venv/bin/python bench/bench_matching.py --backend sqlite
    .venv/bin/python bench/bench_matching.py --backend postgresql
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

PG_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
PERIODS = [(date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"), (date(2026, 4, 1), date(2026, 6, 30), "2026-Q2")]


def _rsins(n: int):
    """The first n 9-digit numbers from 100000000 that pass the elfproef."""
    out, k = [], 100000000
    while len(out) < n:
        s = str(k)
        if (sum(int(d) * w for d, w in zip(s, range(9, 1, -1))) - int(s[8])) % 11 == 0:
            out.append(s)
        k += 1
    return out


def setup(url: str, clients: int, returns: int) -> None:
    from sbrflow.models import migrate
    from sbrflow.models.db import create_engine_for

    engine = create_engine_for(url)
    migrate.upgrade(engine)
    rsins = _rsins(clients + returns // 10)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        md = sa.MetaData()
        md.reflect(conn, only=["client", "subscription", "tax_case", "source_package", "tax_return_document"])
        t = md.tables
        ambiguous = clients // 100
        rows = [{"client_number": f"C{i:06d}", "kind": "company", "name": f"Client {i}", "status": "client",
                 "rsin": rsins[i], "ob_number": rsins[i] + "B01", "sbr_enabled": True, "ideal_enabled": True,
                 "is_cluster_head": False, "created_at": now, "updated_at": now} for i in range(clients)]
        # 1 %: a second client record with the same OB-nummer (a data error matching must report)
        rows += [{**rows[i], "client_number": f"D{i:06d}", "name": f"Twin {i}"} for i in range(ambiguous)]
        conn.execute(t["client"].insert(), rows)
        ids = dict(conn.execute(sa.select(t["client"].c.client_number, t["client"].c.id)).all())
        conn.execute(t["subscription"].insert(), [
            {"client_id": cid, "product": "vat_return", "frequency": "quarter", "quarter_start_month": 1}
            for cid in ids.values()])
        conn.execute(t["tax_case"].insert(), [
            {"client_id": ids[f"C{i:06d}"], "product": "vat_return", "period_label": label, "period_start": s,
             "period_end": e, "frequency": "quarter", "quarter_start_month": 1, "template_code": "vat_return",
             "template_version": 1, "state": "waiting_for_return", "created_at": now, "updated_at": now}
            for i in range(clients) for s, e, label in PERIODS])
        source_id = conn.execute(t["source_package"].insert().values(
            name="bench", kind="http", url="http://127.0.0.1:1", taxes="OB", enabled=True,
            created_at=now, updated_at=now).returning(t["source_package"].c.id)).scalar_one()
        docs, unknown, corrections = [], returns * 5 // 100, returns * 2 // 100
        for n in range(returns):
            day = 1 + n % 28
            if n < unknown:  # 5 %: an OB-nummer no client has
                fiscal, kind, s, e = rsins[clients + n % (returns // 10)] + "B01", "return", *PERIODS[0][:2]
            elif n >= returns - corrections:  # 2 %: a suppletie for a case that already has its return
                fiscal, kind, s, e = rsins[n % clients] + "B01", "correction", *PERIODS[0][:2]
                day = 28
            else:
                fiscal, kind = rsins[n % clients] + "B01", "return"
                s, e, _ = PERIODS[(n // clients) % 2]
            docs.append({"source_package_id": source_id, "source_reference": f"r{n}", "received_at": now,
                         "sha256": hashlib.sha256(str(n).encode()).hexdigest(), "size": 1, "content": b"x",
                         "status": "received", "tax": "OB", "kind": kind, "fiscal_id": fiscal,
                         "period_start": s, "period_end": e, "created_at": now, "updated_at": now,
                         "document_created_at": datetime(2026, 7, day, 12 if kind == "correction" else 9)})
        for i in range(0, len(docs), 10000):
            conn.execute(t["tax_return_document"].insert(), docs[i:i + 10000])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))  # fresh statistics, as autovacuum would give a real database
    engine.dispose()


def match(url: str) -> dict:
    from sbrflow.models.db import create_engine_for, unit_of_work
    from sbrflow.tasks.matching import match_pending

    engine = create_engine_for(url)
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        summary = match_pending(session, today=date(2026, 11, 23))
    wall = time.perf_counter() - started
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        again = match_pending(session, today=date(2026, 11, 23))
    rerun = time.perf_counter() - started
    return {"wall_s": round(wall, 2), "rerun_s": round(rerun, 2),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "matched": summary["matched"], "unmatched": summary["unmatched"],
            "corrections": summary["corrections"], "rerun_considered": again["considered"]}


def floor(url: str) -> dict:
    from sbrflow.models.db import create_engine_for

    engine = create_engine_for(url)
    sql = sa.text("""
        SELECT d.id, c.id, k.id FROM tax_return_document d
        JOIN client c ON c.ob_number = d.fiscal_id
        JOIN tax_case k ON k.client_id = c.id AND k.product = 'vat_return'
             AND k.period_start = d.period_start AND k.period_end = d.period_end
        WHERE d.status = 'received'""")
    started = time.perf_counter()
    with engine.connect() as conn:
        rows = len(conn.execute(sql).all())
    return {"floor_s": round(time.perf_counter() - started, 2), "floor_rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--returns", type=int, default=100_000)
    parser.add_argument("--phase", choices=["all", "match", "floor"], default="all")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.phase == "match":
        print(json.dumps(match(args.url)))
        return
    if args.phase == "floor":
        print(json.dumps(floor(args.url)))
        return
    admin = None
    if args.backend == "sqlite":
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    else:
        name = f"sbrflow_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    try:
        t0 = time.perf_counter()
        setup(url, args.clients, args.returns)
        print(f"setup: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        run = lambda phase: json.loads(subprocess.run(  # noqa: E731
            [sys.executable, __file__, "--phase", phase, "--url", url], check=True, capture_output=True,
            text=True).stdout)
        result = {"backend": args.backend, "clients": args.clients, "returns": args.returns, **run("match")}
        print(json.dumps(result), file=sys.stderr)
        result.update(run("floor"))
        result["ratio"] = round(result["wall_s"] / max(result["floor_s"], 0.001), 1)
        print(json.dumps(result, indent=2))
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
