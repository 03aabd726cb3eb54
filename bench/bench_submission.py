"""Bench: submit 10,000 approved cases to the Digipoort simulator and follow them to 500 (issue 12).

The simulator runs in its own process (mutual TLS, signature verified on every request). Prints:
- submission: claim + hash check + signed SOAP call + kenmerk committed per case, next to the floor
  of the same number of bare signed `aanleveren` calls from one client (no database);
- following: every delivery asked until 500 (two status requests each: the simulator hands the chain
  out in two parts), statuses into the audit trail, cases closed and the next period planned, next to
  the floor of the same number of bare `getNieuweStatussenProces` calls;
- peak RSS of this process;
- two submitters at once (two processes) on a second set of cases: every case received exactly once.

    .venv/bin/python bench/bench_submission.py --backend postgresql            # 10,000 cases
    .venv/bin/python bench/bench_submission.py --backend sqlite --cases 1000
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import os
import resource
import socket
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

PG_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def _rsins(n: int, start: int = 100000000) -> list[str]:
    out, k = [], start
    while len(out) < n:
        s = str(k)
        if (sum(int(d) * w for d, w in zip(s, range(9, 1, -1))) - int(s[8])) % 11 == 0:
            out.append(s)
        k += 1
    return out


def setup(url: str, cases: int, offset: int = 0) -> None:
    """Clients with a relatiebeheerder, VAT subscription, a stored return and an approved Q1 case each."""
    from sbrflow.models import migrate
    from sbrflow.models.db import create_engine_for

    engine = create_engine_for(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        md = sa.MetaData()
        md.reflect(conn, only=["client", "subscription", "tax_case", "source_package", "tax_return_document",
                               "case_document", "team_member", "role_assignment"])
        t = md.tables
        member = conn.execute(sa.select(t["team_member"].c.id).where(t["team_member"].c.code == "AB")).scalar()
        if member is None:
            member = conn.execute(t["team_member"].insert().returning(t["team_member"].c.id),
                                  {"code": "AB", "name": "Anna", "active": True}).scalar()
            conn.execute(t["source_package"].insert(), {"name": "bench", "kind": "http", "url": "http://x",
                                                        "taxes": "OB", "enabled": True, "created_at": now,
                                                        "updated_at": now})
        source = conn.execute(sa.select(t["source_package"].c.id)).scalar()
        rsins = _rsins(cases + offset)[offset:]  # OB-nummers end in B01: the simulator's happy flow
        conn.execute(t["client"].insert(), [
            {"client_number": f"B{offset + i:06d}", "kind": "company", "name": f"Client {i}", "status": "client",
             "rsin": r, "ob_number": r + "B01", "sbr_enabled": True, "ideal_enabled": True,
             "is_cluster_head": False, "created_at": now, "updated_at": now} for i, r in enumerate(rsins)])
        ids = dict(conn.execute(sa.select(t["client"].c.rsin, t["client"].c.id)
                                .where(t["client"].c.client_number.like("B%"))).all())
        conn.execute(t["subscription"].insert(), [{"client_id": ids[r], "product": "vat_return", "frequency": "quarter",
                                                   "quarter_start_month": 1, "created_at": now, "updated_at": now}
                                                  for r in rsins])
        conn.execute(t["role_assignment"].insert(), [{"client_id": ids[r], "role": "relatiebeheerder",
                                                      "team_member_id": member} for r in rsins])
        docs = []
        for r in rsins:
            data = f"<xbrli:xbrl><!-- OB {r}B01 2026-Q1 --></xbrli:xbrl>".encode()
            docs.append({"source_package_id": source, "source_reference": f"ref-{r}", "received_at": now,
                         "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "content": data,
                         "status": "received", "tax": "OB", "kind": "return", "fiscal_id": r + "B01",
                         "period_start": date(2026, 1, 1), "period_end": date(2026, 3, 31),
                         "created_at": now, "updated_at": now})
        conn.execute(t["tax_return_document"].insert(), docs)
        conn.execute(t["tax_case"].insert(), [
            {"client_id": ids[r], "product": "vat_return", "period_label": "2026-Q1", "period_start": date(2026, 1, 1),
             "period_end": date(2026, 3, 31), "frequency": "quarter", "quarter_start_month": 1,
             "template_code": "vat_return", "template_version": 1, "state": "approved", "created_at": now,
             "updated_at": now} for r in rsins])
        conn.execute(sa.text(
            "INSERT INTO case_document (case_id, document_id, is_current, attached_at) "
            "SELECT c.id, d.id, true, :now FROM tax_case c JOIN client k ON k.id = c.client_id "
            "JOIN tax_return_document d ON d.fiscal_id = k.ob_number AND d.period_start = c.period_start "
            "WHERE NOT EXISTS (SELECT 1 FROM case_document x WHERE x.case_id = c.id)"), {"now": now})
    engine.dispose()


def _simulator(pki_dir: str, port: int, ready, stop, out) -> None:
    from sbrflow.integrations.digipoort.simulator import DigipoortSimulator
    from sbrflow.integrations.digipoort.testpki import TestPki

    with DigipoortSimulator(TestPki(Path(pki_dir)), port=port) as sim:
        ready.set()
        stop.wait()
        out.put((dict(sim.received), len(sim.deliveries), sim.rejected_signatures))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(url: str, pki, port: int) -> None:
    base = f"https://127.0.0.1:{port}"
    os.environ.update({"SBRFLOW_DATABASE_URL": url, "SBRFLOW_DIGIPOORT_AANLEVER_URL": base + "/wus/2.0/aanleverservice/1.2",
                       "SBRFLOW_DIGIPOORT_STATUS_URL": base + "/wus/2.0/statusinformatieservice/1.2",
                       "SBRFLOW_DIGIPOORT_CERT_FILE": str(pki.client_cert),
                       "SBRFLOW_DIGIPOORT_KEY_FILE": str(pki.client_key),
                       "SBRFLOW_DIGIPOORT_CA_FILE": str(pki.ca_cert)})


def _submit_all() -> None:
    from sbrflow.integrations.digipoort import client_from_settings
    from sbrflow.tasks import submission as tasks

    client = client_from_settings()
    while claimed := tasks.claim_batch():
        tasks.send_batch(claimed, client)
    client.close()


def _worker(url: str, pki_dir: str, port: int) -> None:
    from sbrflow.integrations.digipoort.testpki import TestPki

    _env(url, TestPki(Path(pki_dir)), port)
    _submit_all()


def run(url: str, cases: int, concurrent_cases: int) -> None:
    from sbrflow.integrations.digipoort import client_from_settings
    from sbrflow.integrations.digipoort.base import Envelope
    from sbrflow.integrations.digipoort.testpki import make_test_pki
    from sbrflow.tasks import submission as tasks

    pki = make_test_pki(Path(tempfile.mkdtemp()) / "pki")
    port = _free_port()
    ready, stop, out = mp.Event(), mp.Event(), mp.Queue()
    sim = mp.Process(target=_simulator, args=(str(pki.folder), port, ready, stop, out), daemon=True)
    sim.start()
    ready.wait(30)
    _env(url, pki, port)
    t = time.perf_counter()
    setup(url, cases)
    print(f"setup: {cases} approved cases in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        cProfile.runctx("_submit_all()", globals(), locals(), "/tmp/bench_submit.prof")
        pstats.Stats("/tmp/bench_submit.prof").sort_stats("cumtime").print_stats(25)
    else:
        _submit_all()
    submit_s = time.perf_counter() - t
    print(f"submit {cases}: {submit_s:.1f} s ({cases / submit_s:.0f}/s)")
    t = time.perf_counter()
    client = client_from_settings()
    rounds = 0
    while True:
        after, asked = 0, 0
        while batch := tasks.open_deliveries(after):
            after = batch[-1]
            asked += tasks.follow_batch(batch, client)["asked"]
        if not asked:
            break
        rounds += 1
    follow_s = time.perf_counter() - t
    print(f"follow to 500 ({rounds} rounds): {follow_s:.1f} s")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        states = dict(conn.execute(sa.text("SELECT state, count(*) FROM tax_case GROUP BY state")).all())
        statuses = conn.execute(sa.text("SELECT count(*) FROM audit_event WHERE action = 'digipoort_status'")).scalar()
    engine.dispose()

    # Floors: the same number of signed SOAP calls from one client, without our bookkeeping.
    t = time.perf_counter()
    kenmerken = []
    for i in range(cases):
        answer = client.submit(b"<xbrli:xbrl><!-- floor --></xbrli:xbrl>",
                               Envelope("Omzetbelasting", f"floor-{i}-{uuid.uuid4().hex[:6]}", "100000009B01"))
        kenmerken.append(answer.kenmerk)
    floor_submit = time.perf_counter() - t
    print(f"floor: {cases} bare aanleveren calls {floor_submit:.1f} s")
    t = time.perf_counter()
    for _ in range(2):
        for kenmerk in kenmerken:
            client.statuses(kenmerk)
    floor_follow = time.perf_counter() - t
    client.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"submit {cases}: {submit_s:.1f} s ({cases / submit_s:.0f}/s); floor {floor_submit:.1f} s "
          f"({cases / floor_submit:.0f}/s); ratio {submit_s / floor_submit:.2f}")
    print(f"follow to 500 ({rounds} rounds): {follow_s:.1f} s; floor {floor_follow:.1f} s; "
          f"ratio {follow_s / floor_follow:.2f}; statuses stored {statuses}")
    print(f"case states after: {states}; peak RSS {rss:.0f} MiB")

    # Two submitters at once, in two processes, on a fresh set of cases.
    setup(url, concurrent_cases, offset=cases)
    t = time.perf_counter()
    workers = [mp.Process(target=_worker, args=(url, str(pki.folder), port)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    both = time.perf_counter() - t
    stop.set()
    received, deliveries, rejected = out.get(timeout=60)
    sim.join()
    ours = {ref: n for ref, n in received.items() if ref.startswith("sbrflow-")}
    once = sum(1 for n in ours.values() if n == 1)
    print(f"two submitters: {concurrent_cases} cases in {both:.1f} s; simulator received {len(ours)} distinct "
          f"references (total {cases + concurrent_cases} cases), {once} exactly once, "
          f"{sum(1 for n in ours.values() if n > 1)} more than once; signatures rejected {rejected}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--concurrent-cases", type=int, default=2_000)
    args = parser.parse_args()
    if args.backend == "sqlite":
        run(f"sqlite:///{tempfile.mkdtemp()}/bench.db", args.cases, args.concurrent_cases)
        return
    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    name = f"sbrflow_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        run(PG_SERVER.rsplit("/", 1)[0] + f"/{name}", args.cases, args.concurrent_cases)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    sys.exit(main())
