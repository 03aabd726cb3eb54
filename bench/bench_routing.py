"""Bench: route-cases at the issue's sizes on PostgreSQL (issue 10), next to a hand-written floor.

An office of 50,000 clients (one VAT case each, 50,000 open cases) of which 10,000 have their return
received; 1 % of those lack an administratie holder (they block with role_missing). Measured:

1. the floor, in a transaction that is rolled back: (a) the issue's floor — one UPDATE … FROM of the
   cases + one INSERT … SELECT of the stage rows; (b) the same writes as routing — (a) plus the
   one audit event per case (checkpoints are read from the stored template version; a row per tick);
2. one `route_pending` pass in a fresh process (wall time, peak RSS), then a second pass (nothing to move);
3. two route passes in two processes started at the same moment on 10,000 cases put back to
   return_received: every case moved exactly once, counted in audit_event;
4. `work_list` for a member who may act on 2,000 open stages (relatiebeheerder of 2,000 clients).

    .venv/bin/python bench/bench_routing.py                       # 50,000 / 10,000, scratch database
    .venv/bin/python bench/bench_routing.py --clients 5000 --received 1000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa

PG_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
Q = (date(2026, 7, 1), date(2026, 9, 30), "2026-Q3")
BIG = "BIG"  # the member with 2,000 open stages


def setup(url: str, clients: int, received: int, big: int) -> None:
    from sbrflow.models import migrate
    from sbrflow.models.db import create_engine_for

    engine = create_engine_for(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    md = sa.MetaData()
    with engine.begin() as conn:
        md.reflect(conn, only=["client", "subscription", "tax_case", "team_member", "role_assignment"])
        t = md.tables
        conn.execute(t["team_member"].insert(), [
            {"code": code, "name": code, "active": True, "created_at": now, "updated_at": now}
            for code in [BIG] + [f"M{i:03d}" for i in range(200)]])
        member = dict(conn.execute(sa.select(t["team_member"].c.code, t["team_member"].c.id)).all())
        conn.execute(t["client"].insert(), [
            {"client_number": f"C{i:06d}", "kind": "company", "name": f"Client {i}", "status": "client",
             "sbr_enabled": True, "ideal_enabled": True, "is_cluster_head": False, "created_at": now,
             "updated_at": now} for i in range(clients)])
        ids = [cid for (cid,) in conn.execute(sa.select(t["client"].c.id).order_by(t["client"].c.client_number))]
        conn.execute(t["subscription"].insert(), [
            {"client_id": cid, "product": "vat_return", "frequency": "quarter", "quarter_start_month": 1}
            for cid in ids])
        missing_admin = set(range(big, received, 100))  # 1 % of the received cases block on role_missing
        roles = []
        for i, cid in enumerate(ids):
            if i not in missing_admin:
                roles.append({"client_id": cid, "role": "administratie", "team_member_id": member[f"M{i % 200:03d}"]})
            roles.append({"client_id": cid, "role": "accountant", "team_member_id": member[f"M{(i + 7) % 200:03d}"]})
            rb = BIG if i < big else f"M{(i + 13) % 200:03d}"
            roles.append({"client_id": cid, "role": "relatiebeheerder", "team_member_id": member[rb]})
        conn.execute(t["role_assignment"].insert(), roles)
        conn.execute(t["tax_case"].insert(), [
            {"client_id": cid, "product": "vat_return", "period_label": Q[2], "period_start": Q[0],
             "period_end": Q[1], "frequency": "quarter", "quarter_start_month": 1, "template_code": "vat_return",
             "template_version": 1, "state": "return_received" if i < received else "waiting_for_return",
             "deadline": date(2026, 10, 31), "deadline_effective": date(2026, 11, 2) if i % 2 else date(2026, 10, 31),
             "created_at": now, "updated_at": now} for i, cid in enumerate(ids)])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


def floor(url: str) -> dict[str, float]:
    """Hand-written SQL doing routing's writes for every return_received case; rolled back afterwards."""
    from sbrflow.config.workflows import load_templates

    template = load_templates()["vat_return"]
    stages = ", ".join(f"({i}, '{s.code}', '{s.name}', '{s.role.value}')" for i, s in enumerate(template.stages, 1))
    first = template.stages[0]
    engine = sa.create_engine(url)
    out = {}
    with engine.connect() as conn:
        for name, full in (("floor_issue", False), ("floor_same_writes", True)):
            trans = conn.begin()
            started = time.perf_counter()
            conn.execute(sa.text(
                "CREATE TEMP TABLE moved ON COMMIT DROP AS "
                "SELECT c.id, ra.team_member_id AS holder FROM tax_case c "
                f"LEFT JOIN role_assignment ra ON ra.client_id = c.client_id AND ra.role = '{first.role.value}' "
                "AND ra.product IS NULL WHERE c.state = 'return_received'"))
            conn.execute(sa.text(
                "UPDATE tax_case c SET state = CASE WHEN m.holder IS NULL THEN 'blocked' ELSE 'in_progress' END, "
                f"current_stage = '{first.code}', updated_at = now() FROM moved m WHERE m.id = c.id"))
            conn.execute(sa.text(
                "INSERT INTO tax_case_stage (case_id, position, stage_code, name, role, state, team_member_id, "
                "started_at) SELECT m.id, s.pos, s.code, s.name, s.role, "
                "CASE WHEN s.pos = 1 THEN 'active' ELSE 'pending' END, CASE WHEN s.pos = 1 THEN m.holder END, "
                f"CASE WHEN s.pos = 1 THEN now() END FROM moved m CROSS JOIN (VALUES {stages}) "
                "AS s(pos, code, name, role)"))
            if full:
                conn.execute(sa.text(
                    "INSERT INTO audit_event (occurred_at, actor, action, subject_type, subject_id, case_id, "
                    "from_state, to_state, details) SELECT now(), 'system:floor', 'stage.started', 'tax_case', m.id, "
                    "m.id, 'return_received', 'in_progress', json_build_object('stage', 'verwerken') FROM moved m"))
            out[name] = round(time.perf_counter() - started, 2)
            trans.rollback()
    engine.dispose()
    return out


def child(args: argparse.Namespace) -> None:
    """One measurement in a fresh process; prints one JSON line."""
    os.environ["SBRFLOW_DATABASE_URL"] = args.url
    from sbrflow.models.db import unit_of_work
    from sbrflow.tasks.routing import route_pending, work_list

    if args.start_at:
        time.sleep(max(0.0, args.start_at - time.time()))
    started = time.perf_counter()
    if args.child == "route":
        with unit_of_work() as session:
            summary = route_pending(session, actor=args.actor)
        result = {k: summary[k] for k in ("considered", "moved", "blocked", "still_blocked", "unblocked")}
    else:
        result = {"items": len(work_list(BIG))}
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


def _spawn(url: str, what: str, actor: str = "system:bench", start_at: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--child", what, "--url", url, "--actor", actor,
                             "--start-at", str(start_at)], stdout=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"child failed ({proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def reset_received(url: str, received: int) -> None:
    """Put the routed cases back to return_received (stages and checkpoints removed; events stay)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM tax_case_checkpoint"))
        conn.execute(sa.text("DELETE FROM tax_case_stage"))
        conn.execute(sa.text("UPDATE tax_case SET state = 'return_received', current_stage = NULL, "
                             "blocked_reasons = NULL WHERE state IN ('in_progress', 'blocked')"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--received", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=2_000)
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--actor", default="system:bench")
    parser.add_argument("--start-at", type=float, default=0.0)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    server = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    name = f"sbrflow_bench_routing_{uuid.uuid4().hex[:8]}"
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    try:
        started = time.perf_counter()
        setup(url, args.clients, args.received, args.big)
        print(f"setup: {args.clients} clients/cases, {args.received} return_received "
              f"({time.perf_counter() - started:.1f} s)")
        floors = floor(url)
        print(f"floor: {floors}")
        first = _result(_spawn(url, "route"))
        print(f"route pass 1: {first}  ratio to floor_issue {first['seconds'] / floors['floor_issue']:.1f}x, "
              f"to floor_same_writes {first['seconds'] / floors['floor_same_writes']:.1f}x")
        second = _result(_spawn(url, "route"))
        print(f"route pass 2 (nothing to move): {second}")
        work = _result(_spawn(url, "work"))
        print(f"work list for {BIG}: {work}")
        reset_received(url, args.received)
        at = time.time() + 3.0
        procs = [_spawn(url, "route", actor=f"system:bench-{w}", start_at=at) for w in ("a", "b")]
        both = [_result(p) for p in procs]
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            per_case = conn.execute(sa.text(
                "SELECT count(*) AS cases, coalesce(max(n), 0) AS most, coalesce(sum(n), 0) AS events FROM "
                "(SELECT case_id, count(*) AS n FROM audit_event WHERE actor IN ('system:bench-a', 'system:bench-b') "
                "AND action IN ('stage.started', 'case.blocked') GROUP BY case_id) x")).one()
            by_actor = dict(conn.execute(sa.text(
                "SELECT actor, count(*) FROM audit_event WHERE actor IN ('system:bench-a', 'system:bench-b') "
                "AND action IN ('stage.started', 'case.blocked') GROUP BY actor")).all())
        engine.dispose()
        print(f"two concurrent passes: {both}")
        print(f"  events: {per_case.events} for {per_case.cases} cases, at most {per_case.most} per case; "
              f"by worker {by_actor}")
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


if __name__ == "__main__":
    main()
