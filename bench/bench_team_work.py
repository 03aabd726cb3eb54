"""Bench: "Mijn werk" (GET /team/werk) for a member with 2,000 open stages in an office of 50,000 cases (issue 14).

A scratch PostgreSQL database: 50,000 clients with one in-progress VAT case each (three stages, twelve
one ticked checkpoint per case); member M00 holds `administratie` for 2,000 of the
clients, 25 other members share the rest. The web application runs in this process under uvicorn on a free
loopback port; one client sends --requests GETs of /team/werk with M00's signed session cookie (after 10
warm-up requests) and the p50/p95/p99 are printed. Next to it: routing's work_list("M00") called directly
(the query and the rule, no HTTP, no page), the floor of that call — the plain SQL that returns the same
rows (FLOOR_SQL, by hand) on a raw psycopg2 cursor — and the same page's HTML served from a static file by
the same stack (the floor of HTTP + transfer).

    .venv/bin/python bench/bench_team_work.py                    # 50,000 cases, 2,000 for M00, 100 requests
    .venv/bin/python bench/bench_team_work.py --cases 5000 --mine 500 --requests 50
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"

FILL = [
    """INSERT INTO team_member (code, name, email, active)
       SELECT 'M' || lpad(m::text, 2, '0'), 'Medewerker ' || m, 'm' || m || '@kantoor.example', true
       FROM generate_series(0, 25) m""",
    """INSERT INTO client (client_number, kind, name, status)
       SELECT 'B' || lpad(i::text, 6, '0'), 'company', 'Klant ' || i || ' B.V.', 'client'
       FROM generate_series(1, :cases) i""",
    # administratie: M00 for the first :mine clients, M01..M25 for the rest; accountant: M01..M25.
    """INSERT INTO role_assignment (client_id, role, team_member_id)
       SELECT c.id, 'administratie', m.id FROM client c JOIN team_member m
         ON m.code = CASE WHEN c.id <= :mine THEN 'M00' ELSE 'M' || lpad((1 + c.id % 25)::text, 2, '0') END""",
    """INSERT INTO role_assignment (client_id, role, team_member_id)
       SELECT c.id, 'accountant', m.id FROM client c
       JOIN team_member m ON m.code = 'M' || lpad((1 + (c.id + 7) % 25)::text, 2, '0')""",
    """INSERT INTO tax_case (client_id, product, period_label, period_start, period_end, frequency,
                             quarter_start_month, template_code, template_version, state, current_stage,
                             deadline, deadline_effective)
       SELECT c.id, 'vat_return', '2026-10', DATE '2026-10-01', DATE '2026-10-31', 'month', 1, 'vat_return', 1,
              'in_progress', 'verwerken', DATE '2026-11-30', DATE '2026-11-30' + (c.id % 40) * INTERVAL '1 day'
       FROM client c""",
    """INSERT INTO tax_case_stage (case_id, position, stage_code, name, role, team_member_id, state, started_at)
       SELECT t.id, 1, 'verwerken', 'Administratie bijwerken', 'administratie', r.team_member_id, 'active', now()
       FROM tax_case t JOIN role_assignment r ON r.client_id = t.client_id AND r.role = 'administratie'""",
    """INSERT INTO tax_case_stage (case_id, position, stage_code, name, role, state)
       SELECT t.id, s.position, s.code, s.name, s.role, 'pending' FROM tax_case t CROSS JOIN (VALUES
         (2, 'samenstellen', 'Aangifte samenstellen', 'administratie'),
         (3, 'beoordelen', 'Beoordeling en vrijgave', 'accountant')) AS s(position, code, name, role)""",
    # Checkpoint texts come from the template version (stored on first use); one tick per active stage.
    """INSERT INTO tax_case_checkpoint (case_id, stage_code, position, ticked_by_id, ticked_at)
       SELECT s.case_id, s.stage_code, 1, s.team_member_id, now() FROM tax_case_stage s WHERE s.state = 'active'""",
]


# The rows of work_list("M00") by hand: the stages assigned to the member, or of clients where the member
# holds the stage's role or relatiebeheerder (the product's own assignment first), with the ticked
# checkpoints of the current stage; the most urgent first.
FLOOR_SQL = """
WITH chosen AS (
  SELECT s.case_id FROM tax_case_stage s WHERE s.team_member_id = %(m)s AND s.state = 'active'
  UNION
  SELECT t.id FROM role_assignment ra
  JOIN tax_case t ON t.client_id = ra.client_id
  JOIN tax_case_stage s ON s.case_id = t.id AND s.stage_code = t.current_stage
  WHERE ra.team_member_id = %(m)s AND ra.product IS NULL AND t.state = 'in_progress' AND s.state = 'active'
    AND (ra.role = s.role OR ra.role = 'relatiebeheerder')
    AND NOT EXISTS (SELECT 1 FROM role_assignment o
                    WHERE o.client_id = ra.client_id AND o.role = ra.role AND o.product = t.product)
  UNION
  SELECT t.id FROM role_assignment ra
  JOIN tax_case t ON t.client_id = ra.client_id AND t.product = ra.product
  JOIN tax_case_stage s ON s.case_id = t.id AND s.stage_code = t.current_stage
  WHERE ra.team_member_id = %(m)s AND t.state = 'in_progress' AND s.state = 'active'
    AND (ra.role = s.role OR ra.role = 'relatiebeheerder'))
SELECT t.id, c.client_number, c.name, t.product, t.period_label, t.template_code, t.template_version,
       s.stage_code, s.role, s.team_member_id, t.deadline_effective, cp.position
FROM chosen JOIN tax_case t ON t.id = chosen.case_id
JOIN tax_case_stage s ON s.case_id = t.id AND s.stage_code = t.current_stage
JOIN client c ON c.id = t.client_id
LEFT JOIN tax_case_checkpoint cp ON cp.case_id = t.id AND cp.stage_code = t.current_stage
                                 AND cp.ticked_by_id IS NOT NULL
WHERE t.state = 'in_progress' AND s.state = 'active'
ORDER BY t.deadline_effective IS NULL, t.deadline_effective, t.period_start, t.id
"""


def _floor_sql(url: str, calls: int) -> tuple[list[float], int]:
    import psycopg2

    conn = psycopg2.connect(dbname=url.rsplit("/", 1)[1], host="127.0.0.1", user="postgres")
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM team_member WHERE code = 'M00'")
        member_id = cur.fetchone()[0]
        times, rows = [], []
        for _ in range(calls):
            start = time.perf_counter()
            cur.execute(FLOOR_SQL, {"m": member_id})
            rows = cur.fetchall()
            times.append((time.perf_counter() - start) * 1000)
    conn.close()
    return times, len({r[0] for r in rows})


def setup(url: str, cases: int, mine: int) -> None:
    from sbrflow.models import migrate
    from sbrflow.models.db import create_engine_for

    engine = create_engine_for(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        for statement in FILL:
            conn.execute(sa.text(statement), {"cases": cases, "mine": mine})
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app) -> tuple[str, object]:
    import uvicorn

    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return port, server


def _timed_gets(port: int, path: str, cookie: str | None, n: int, warmup: int = 10) -> tuple[list[float], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Cookie": cookie} if cookie else {}
    times, body = [], b""
    for i in range(warmup + n):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, (response.status, body[:300])
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1000)
    conn.close()
    return times, body


def _stats(name: str, times: list[float]) -> None:
    q = statistics.quantiles(times, n=100)
    print(f"{name:<48} p50 {q[49]:7.1f} ms   p95 {q[94]:7.1f} ms   p99 {q[98]:7.1f} ms   n={len(times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--mine", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--calls", type=int, default=50, help="timed work_list calls and floor queries")
    args = parser.parse_args()

    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    name = f"sbrflow_bench_team_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    try:
        started = time.perf_counter()
        setup(url, args.cases, args.mine)
        print(f"setup: {args.cases} cases, {args.mine} open stages for M00, {time.perf_counter() - started:.1f} s")
        os.environ["SBRFLOW_DATABASE_URL"] = url
        os.environ["SBRFLOW_WEB_SECRET_KEY"] = "b" * 64
        sys.path.insert(0, str(ROOT.parent))
        from sbrflow.models.db import reset_engine

        reset_engine()
        from sbrflow.tasks import routing, team
        from sbrflow.web.app import create_app
        from sbrflow.web.team_auth import SESSION_COOKIE, cookie_value

        team.set_password("M00", "a long bench password")
        token = team.sign_in("m0@kantoor.example", "a long bench password")["token"]
        app = create_app()

        class _Req:  # cookie_value only needs request.app
            pass

        req = _Req()
        req.app = app
        cookie = f"{SESSION_COOKIE}={cookie_value(req, token)}"

        port, server = _serve(app)  # its start-up (lifespan) freezes what is loaded out of the collector's way
        rows = routing.work_list("M00")
        assert len(rows) == args.mine, len(rows)
        direct = []
        for _ in range(args.calls):
            start = time.perf_counter()
            routing.work_list("M00")
            direct.append((time.perf_counter() - start) * 1000)

        floor_sql, floor_rows = _floor_sql(url, args.calls)
        assert floor_rows == args.mine, floor_rows

        times, body = _timed_gets(port, "/team/werk", cookie, args.requests)
        assert body.count(b"<tr data-case=") == min(args.mine, 100)
        server.should_exit = True

        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "werk.html").write_bytes(body)
            from fastapi import FastAPI
            from fastapi.staticfiles import StaticFiles

            floor_app = FastAPI()
            floor_app.mount("/", StaticFiles(directory=folder))
            floor_port, floor_server = _serve(floor_app)
            floor, _ = _timed_gets(floor_port, "/werk.html", None, args.requests)
            floor_server.should_exit = True

        print(f"page: {len(body) / 1024:.0f} KiB, {body.count(b'<tr data-case=')} rows shown")
        _stats("GET /team/werk (Mijn werk, PostgreSQL)", times)
        _stats("routing.work_list('M00') in-process", direct)
        _stats("the same rows by plain SQL, raw cursor (floor)", floor_sql)
        _stats("same HTML from a static file (floor)", floor)
    finally:
        from sbrflow.models.db import reset_engine

        reset_engine()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
