"""Bench: send-reminders over 50,000 open cases with 5,000 messages due, and send-messages of those
5,000 messages to a local SMTP server (issue 13), each next to its floor.

Office: 10,000 clients with a contact and a relatiebeheerder (50 team members), 5 monthly VAT cases each
(50,000 open cases, every one with an active stage). Due on the run date: 2,500 client reminders (open
approval requests made 3 days before), 2,450 escalations (effective deadline in 3 days, not approved) and
50 staff digests (1,000 stages open for 10 days) = 5,000 messages.

- reminders: one `run_reminders` (the body of send-reminders' task), then a second run on the same date
  (queues nothing); floor: ONE `INSERT … SELECT` writing 5,000 outbox rows of the same size (no rendering).
- sending: `send_queued` to aiosmtpd on loopback (in this process, batches of 100 over one connection each,
  every message marked in its own transaction); floor: the same 5,000 messages, already built, sent with
  bare `smtplib.sendmail` over one connection and nothing written.

    .venv/bin/python bench/bench_messages.py                       # PostgreSQL, scratch database, dropped afterwards
    .venv/bin/python bench/bench_messages.py --clients 1000        # smaller
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import smtplib
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from email.policy import SMTP as SMTP_POLICY

import sqlalchemy as sa

PG_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
RUN_DATE = date(2026, 11, 25)
LABELS = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
MEMBERS = 50


def setup(url: str, clients: int, reminders: int, escalations: int, overdue_stages: int) -> None:
    from sbrflow.models import migrate
    from sbrflow.models.db import create_engine_for

    engine = create_engine_for(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    ts = {"created_at": now, "updated_at": now}
    with engine.begin() as conn:
        md = sa.MetaData()
        md.reflect(conn)
        t = md.tables
        member_ids = conn.execute(t["team_member"].insert().returning(t["team_member"].c.id), [
            {"code": f"M{i:02d}", "name": f"Medewerker {i}", "email": f"m{i}@kantoor.example", "active": True, **ts}
            for i in range(MEMBERS)]).scalars().all()
        conn.execute(t["client"].insert(), [
            {"client_number": f"{100000 + i}", "kind": "company", "name": f"Klant {i} B.V.", "status": "client",
             "sbr_enabled": True, "ideal_enabled": True, "is_cluster_head": False, **ts} for i in range(clients)])
        client_ids = conn.execute(sa.select(t["client"].c.id).order_by(t["client"].c.id)).scalars().all()
        conn.execute(t["person"].insert(), [
            {"contact_number": f"P{i}", "first_name": "Jan", "last_name": f"Klant{i}",
             "email": f"klant{i}@example.nl", **ts} for i in range(clients)])
        person_ids = conn.execute(sa.select(t["person"].c.id).order_by(t["person"].c.id)).scalars().all()
        conn.execute(t["client_contact"].insert(), [
            {"client_id": c, "person_id": p, "is_primary": True, "portal_access": False, "is_pseudo_ubo": False}
            for c, p in zip(client_ids, person_ids)])
        conn.execute(t["role_assignment"].insert(), [
            {"client_id": c, "role": "relatiebeheerder", "team_member_id": member_ids[i % MEMBERS]}
            for i, c in enumerate(client_ids)])
        cases = []
        n = 0
        for _i, client_id in enumerate(client_ids):
            for month, label in enumerate(LABELS, start=6):
                start = date(2026, month, 1)
                end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
                if n < reminders:
                    state, deadline = "with_client", RUN_DATE + timedelta(days=20)
                elif n < reminders + escalations:
                    state, deadline = "in_progress", RUN_DATE + timedelta(days=3)
                else:
                    state, deadline = "in_progress", RUN_DATE + timedelta(days=20 + n % 30)
                cases.append({"client_id": client_id, "product": "vat_return", "period_label": label,
                              "period_start": start, "period_end": end, "frequency": "month",
                              "quarter_start_month": 1, "template_code": "vat_return", "template_version": 1,
                              "state": state, "current_stage": "verwerken", "deadline": deadline,
                              "deadline_effective": deadline, **ts})
                n += 1
        for i in range(0, len(cases), 10000):
            conn.execute(t["tax_case"].insert(), cases[i:i + 10000])
        case_rows = conn.execute(sa.select(t["tax_case"].c.id, t["tax_case"].c.client_id)
                                 .order_by(t["tax_case"].c.id)).all()
        stages = []
        for k, (case_id, _client) in enumerate(case_rows):
            started = RUN_DATE - timedelta(days=10 if k >= len(case_rows) - overdue_stages else 1)
            stages.append({"case_id": case_id, "position": 1, "stage_code": "verwerken", "role": "administratie",
                           "team_member_id": member_ids[k % MEMBERS], "state": "active",
                           "started_at": datetime.combine(started, clock_time(9), tzinfo=UTC)})
        for i in range(0, len(stages), 10000):
            conn.execute(t["tax_case_stage"].insert(), stages[i:i + 10000])
        source_id = conn.execute(t["source_package"].insert().values(
            name="bench", kind="http", url="http://127.0.0.1:1", taxes="OB", enabled=True, **ts)
            .returning(t["source_package"].c.id)).scalar_one()
        sha = hashlib.sha256(b"x").hexdigest()
        doc_id = conn.execute(t["tax_return_document"].insert().values(
            source_package_id=source_id, source_reference="r", received_at=now, sha256=sha, size=1, content=b"x",
            status="received", tax="OB", kind="return", **ts).returning(t["tax_return_document"].c.id)).scalar_one()
        person_of = dict(zip(client_ids, person_ids))
        requested = datetime.combine(RUN_DATE - timedelta(days=3), clock_time(10), tzinfo=UTC)
        conn.execute(t["approval_request"].insert(), [
            {"case_id": case_id, "token_sha256": hashlib.sha256(f"t{case_id}".encode()).hexdigest(),
             "document_id": doc_id, "document_sha256": sha, "presentation": "approval",
             "recipient_person_id": person_of[client_id], "recipient_email": f"klant{client_id}@example.nl",
             "message": "Beste klant,\n\nDe aangifte omzetbelasting staat voor u klaar. Wilt u deze goedkeuren?",
             "state": "open", "requested_at": requested, "expires_at": requested + timedelta(days=14),
             "consent": False, **ts}
            for case_id, client_id in case_rows[:reminders]])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


def reminders_run(url: str) -> dict:
    os.environ["SBRFLOW_DATABASE_URL"] = url
    from sbrflow.models.db import reset_engine
    from sbrflow.tasks.reminders import run_reminders

    reset_engine()
    started = time.perf_counter()
    first = run_reminders(RUN_DATE)
    wall = time.perf_counter() - started
    started = time.perf_counter()
    second = run_reminders(RUN_DATE)
    rerun = time.perf_counter() - started
    return {"reminders_s": round(wall, 2), "queued": first["queued"], "client_reminders": first["client_reminders"],
            "escalations": first["escalations"], "digests": first["digests"], "rerun_s": round(rerun, 2),
            "rerun_queued": second["queued"]}


def reminders_floor(url: str, reminders: int) -> dict:
    """One INSERT … SELECT writing as many outbox rows of the same size, rolled back afterwards."""
    from sbrflow.models.db import create_engine_for

    engine = create_engine_for(url)
    sql = sa.text("""
        INSERT INTO message (dedup_key, message_id, reason, state, case_id, recipient_kind, recipient, subject,
                             body_text, body_html, due_on, attempts, created_at, updated_at)
        SELECT 'floor:' || k, '<floor.' || k || '@x>', reason, 'queued', case_id, kind, email,
               'Onderwerp van ongeveer zeventig tekens lang, zoals een echte herinnering',
               repeat('x', 650), repeat('x', 950), :run_date, 0, now(), now()
        FROM (
            SELECT 'c' || r.id AS k, 'client_reminder' AS reason, r.case_id, 'contact' AS kind,
                   r.recipient_email AS email
              FROM approval_request r JOIN tax_case c ON c.id = r.case_id
             WHERE r.state = 'open' AND c.state = 'with_client' AND r.requested_at < :cutoff
            UNION ALL
            SELECT 'e' || c.id, 'escalation', c.id, 'team_member', m.email
              FROM tax_case c JOIN role_assignment ra ON ra.client_id = c.id AND ra.role = 'relatiebeheerder'
              JOIN team_member m ON m.id = ra.team_member_id
             WHERE c.deadline_effective BETWEEN :run_date AND :until AND c.state <> 'approved'
            UNION ALL
            SELECT DISTINCT 'd' || s.team_member_id, 'stage_digest', NULL::int, 'team_member', m.email
              FROM tax_case_stage s JOIN team_member m ON m.id = s.team_member_id
             WHERE s.state = 'active' AND s.started_at < :stage_cutoff
        ) due""")
    params = {"run_date": RUN_DATE, "until": RUN_DATE + timedelta(days=5),
              "cutoff": datetime.combine(RUN_DATE - timedelta(days=2), clock_time(), tzinfo=UTC),
              "stage_cutoff": datetime.combine(RUN_DATE - timedelta(days=5), clock_time(), tzinfo=UTC)}
    with engine.connect() as conn:
        transaction = conn.begin()
        started = time.perf_counter()
        rows = conn.execute(sql, params).rowcount
        wall = time.perf_counter() - started
        transaction.rollback()
    engine.dispose()
    return {"floor_insert_select_s": round(wall, 3), "floor_rows": rows}


def sending(url: str) -> dict:
    os.environ["SBRFLOW_DATABASE_URL"] = url
    from sbrflow.integrations.mail import SmtpSettings, build_email
    from sbrflow.integrations.mail.server import LocalSmtpServer
    from sbrflow.models.db import get_engine, reset_engine
    from sbrflow.tasks.sending import send_queued

    reset_engine()
    with get_engine().connect() as conn:
        rows = conn.execute(sa.text("SELECT message_id, recipient, subject, body_text, body_html, reason "
                                    "FROM message WHERE state = 'queued' ORDER BY id")).all()
    with LocalSmtpServer() as server:
        started = time.perf_counter()
        summary = send_queued(smtp=SmtpSettings(host=server.host, port=server.port, timeout=30))
        wall = time.perf_counter() - started
        received = len(server.received)
    from sbrflow.integrations.mail import OutgoingMail

    now = datetime.now(UTC)
    raw = [build_email(OutgoingMail(*row), "sbrflow@localhost", now).as_bytes(policy=SMTP_POLICY) for row in rows]
    with LocalSmtpServer() as server:
        started = time.perf_counter()
        smtp = smtplib.SMTP(server.host, server.port, timeout=30)
        for data, row in zip(raw, rows):
            smtp.sendmail("sbrflow@localhost", [row[1]], data)
        smtp.quit()
        floor = time.perf_counter() - started
    return {"sent": summary["sent"], "received": received, "send_s": round(wall, 2),
            "msgs_per_s": round(summary["sent"] / wall), "floor_smtplib_s": round(floor, 2),
            "floor_msgs_per_s": round(len(raw) / floor)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--reminders", type=int, default=2_500)
    parser.add_argument("--escalations", type=int, default=2_450)
    parser.add_argument("--overdue-stages", type=int, default=1_000)
    args = parser.parse_args()
    name = f"sbrflow_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    try:
        t0 = time.perf_counter()
        setup(url, args.clients, args.reminders, args.escalations, args.overdue_stages)
        print(f"setup: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        result = {"open_cases": args.clients * len(LABELS), **reminders_floor(url, args.reminders),
                  **reminders_run(url)}
        print(json.dumps(result), file=sys.stderr)
        result.update(sending(url))
        print(json.dumps(result, indent=2))
    finally:
        from sbrflow.models.db import reset_engine

        reset_engine()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
