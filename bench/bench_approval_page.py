"""Bench: the client's approval page under load (issue 11), next to the same page from a static file.

A scratch PostgreSQL database with 50,000 clients and cases (and as many documents and approval
requests, most decided); 1,000 of the cases wait for their client with the real VB-01 return. `sbrflow
web` (one uvicorn process) serves /a/{token}; 20 concurrent clients send 1,000 GETs over loopback,
each for one of the 1,000 open links. The floor is the same HTML, saved once, served by the same
stack (FastAPI StaticFiles under uvicorn) to the same 20 clients. Prints p50/p95/p99 and requests/s.

    .venv/bin/python bench/bench_approval_page.py            # 50,000 cases, 1,000 requests, 20 clients
    .venv/bin/python bench/bench_approval_page.py --cases 5000 --requests 300
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
SAMPLE = ROOT / "tests" / "integrations" / "samples" / "sbr" / "VB-01_bd-rpt-ob-aangifte-2021.xbrl"


def _rsins(n: int) -> list[str]:
    out, k = [], 100000000
    while len(out) < n:
        s = str(k)
        if (sum(int(d) * w for d, w in zip(s, range(9, 1, -1))) - int(s[8])) % 11 == 0:
            out.append(s)
        k += 1
    return out


def setup(url: str, cases: int, open_links: int) -> list[str]:
    """Fill the database; return the tokens of the open links."""
    from sbrflow.domain.approval import hash_token, new_token
    from sbrflow.models import migrate
    from sbrflow.models.db import create_engine_for

    engine = create_engine_for(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    sample = SAMPLE.read_bytes()
    rsins = _rsins(cases)
    tokens = [new_token() for _ in range(open_links)]
    with engine.begin() as conn:
        md = sa.MetaData()
        md.reflect(conn, only=["client", "person", "client_contact", "tax_case", "source_package",
                               "tax_return_document", "case_document", "approval_request"])
        t = md.tables
        conn.execute(t["client"].insert(), [
            {"client_number": f"C{i:06d}", "kind": "company", "name": f"Client {i} B.V.", "status": "client",
             "rsin": rsins[i], "ob_number": rsins[i] + "B01", "sbr_enabled": True, "ideal_enabled": True,
             "is_cluster_head": False, "created_at": now, "updated_at": now} for i in range(cases)])
        conn.execute(t["person"].insert(), [
            {"contact_number": f"P{i:06d}", "last_name": f"Contact {i}", "email": f"c{i}@example.test",
             "created_at": now, "updated_at": now} for i in range(cases)])
        conn.execute(t["client_contact"].insert(), [
            {"client_id": i + 1, "person_id": i + 1, "is_primary": True, "portal_access": False,
             "is_pseudo_ubo": False} for i in range(cases)])
        conn.execute(t["tax_case"].insert(), [
            {"client_id": i + 1, "product": "vat_return", "period_label": "2021-10", "period_start": date(2021, 10, 1),
             "period_end": date(2021, 10, 31), "frequency": "month", "quarter_start_month": 1,
             "template_code": "vat_return", "template_version": 1,
             "state": "with_client" if i < open_links else "approved", "deadline": date(2021, 11, 30),
             "deadline_effective": date(2021, 11, 30), "created_at": now, "updated_at": now} for i in range(cases)])
        conn.execute(t["source_package"].insert(), [{"name": "bench", "kind": "http", "url": "http://x",
                                                     "taxes": "OB,LH", "enabled": True, "created_at": now,
                                                     "updated_at": now}])
        docs = []
        for i in range(cases):
            # Every document is the real return with its own message reference, so each has its own hash.
            data = sample.replace(b"OB-KTG00-AG", f"OB-{i:07d}".encode())
            docs.append({"source_package_id": 1, "source_reference": f"r{i}", "received_at": now,
                         "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "content": data,
                         "status": "received", "tax": "OB", "kind": "return", "fiscal_id": rsins[i] + "B01",
                         "period_start": date(2021, 10, 1), "period_end": date(2021, 10, 31), "amount_due": 3240,
                         "created_at": now, "updated_at": now})
        for start in range(0, cases, 5000):
            conn.execute(t["tax_return_document"].insert(), docs[start:start + 5000])
        conn.execute(t["case_document"].insert(), [
            {"case_id": i + 1, "document_id": i + 1, "is_current": True, "attached_at": now} for i in range(cases)])
        conn.execute(t["approval_request"].insert(), [
            {"case_id": i + 1, "token_sha256": hash_token(tokens[i]) if i < open_links else uuid.uuid4().hex * 2,
             "document_id": i + 1, "document_sha256": docs[i]["sha256"], "presentation": "approval",
             "recipient_person_id": i + 1, "recipient_email": f"c{i}@example.test", "message": "Beste klant",
             "state": "open" if i < open_links else "decided", "requested_at": now,
             "expires_at": now + timedelta(days=14), "consent": False,
             "decision": None if i < open_links else "approved", "decided_at": None if i < open_links else now,
             "created_at": now, "updated_at": now} for i in range(cases)])
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()
    return tokens


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not answer")


def load(port: int, paths: list[str], clients: int) -> dict:
    """`clients` threads, each with one keep-alive connection, share the list of requests."""
    latencies: list[float] = []
    errors: list[int] = []
    queue = list(paths)
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if not queue:
                    return
                path = queue.pop()
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status != 200:
                    errors.append(response.status)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    wall = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall
    q = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "errors": len(errors), "p50_ms": round(q[49] * 1000, 1),
            "p95_ms": round(q[94] * 1000, 1), "p99_ms": round(q[98] * 1000, 1),
            "per_second": round(len(latencies) / wall, 1)}


STATIC_APP = """
import os, sys
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
import uvicorn

def make():
    app = FastAPI()
    app.mount("/", StaticFiles(directory=os.environ["BENCH_STATIC_DIR"]))
    return app

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    uvicorn.run("static_floor:make", factory=True, host="127.0.0.1", port=int(sys.argv[1]),
                workers=int(sys.argv[2]), log_level="warning")
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--links", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes, for both servers")
    args = parser.parse_args()

    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    name = f"sbrflow_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    processes: list[subprocess.Popen] = []
    try:
        started = time.perf_counter()
        tokens = setup(url, args.cases, args.links)
        print(f"setup: {args.cases} cases, {args.links} open links in {time.perf_counter() - started:.1f} s")
        rng = random.Random(7)
        paths = [f"/a/{rng.choice(tokens)}" for _ in range(args.requests)]

        port = _free_port()
        env = {**os.environ, "SBRFLOW_DATABASE_URL": url, "SBRFLOW_APPROVAL_LOOKUPS_PER_MINUTE": "0",
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "sbrflow.cli", "web", "--port", str(port), "--workers", str(args.workers)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait(port, "/health")
        for path in paths[:20]:  # warm up: imports, connection pool, template compilation
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("GET", path)
            conn.getresponse().read()
        page = load(port, paths, args.clients)

        with tempfile.TemporaryDirectory() as folder:
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("GET", paths[0])
            Path(folder, "page.html").write_bytes(conn.getresponse().read())
            static_port = _free_port()
            Path(folder, "static_floor.py").write_text(STATIC_APP)
            processes.append(subprocess.Popen(
                [sys.executable, str(Path(folder, "static_floor.py")), str(static_port), str(args.workers)],
                env={**os.environ, "BENCH_STATIC_DIR": folder}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            _wait(static_port, "/page.html")
            floor = load(static_port, ["/page.html"] * args.requests, args.clients)
        print(f"{'':<24} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>7}")
        print(f"uvicorn workers: {args.workers}; {args.clients} concurrent clients; {args.cases} cases")
        for label, r in (("approval page (PG)", page), ("same page, static file", floor)):
            print(f"{label:<24} {r['requests']:>8} {r['errors']:>6} {r['p50_ms']:>7} {r['p95_ms']:>7} "
                  f"{r['p99_ms']:>7} {r['per_second']:>7}")
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
