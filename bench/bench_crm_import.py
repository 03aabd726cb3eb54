"""Benchmark the CRM import: 20,000 clients + 30,000 contact rows from .xlsx and .csv into SQLite and PostgreSQL.

    .venv/bin/python bench/bench_crm_import.py [--clients 20000] [--contacts 30000] [--postgres URL]

Every measurement runs in its own process, so its peak RSS (resource.getrusage) is its own: the
first import into an empty, migrated database, then the re-import of the same file (must write
nothing), and alongside a bare pandas.read_excel / read_csv of the same file. PostgreSQL uses a
scratch database created on the server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROLES = ("relatiebeheerder", "accountant", "fiscaal", "administratie", "salaris", "secretariaat")


def _nine_digits(rng: random.Random) -> str:
    """A random 9-digit number that passes the elfproef."""
    while True:
        digits = [rng.randrange(10) for _ in range(8)]
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        last = total % 11
        if last < 10 and any(digits):
            return "".join(map(str, digits)) + str(last)


def _iban(rng: random.Random) -> str:
    account = f"{rng.randrange(10**10):010d}"
    number = int("".join(str(int(c, 36)) for c in f"ABNA{account}NL00"))
    return f"NL{98 - number % 97:02d}ABNA{account}"


def office(clients: int, contact_rows: int, seed: int = 4) -> tuple[list[dict], list[dict], list[dict]]:
    """Rows for the writer: 10 % of persons are linked to 2–4 clients, the rest to one."""
    rng = random.Random(seed)
    team = [{"code": f"M{i:02d}", "name": f"Medewerker {i}", "email": f"m{i}@kantoor.example", "active": True}
            for i in range(20)]
    rows = []
    for i in range(clients):
        number, rsin = str(100000 + i), _nine_digits(rng)
        head = str(100000 + i - i % 5)  # clusters of five around every fifth client
        rows.append({
            "client_number": number, "name": f"Cliënt {i} B.V.", "kind": "company",
            "status": rng.choice(["client"] * 8 + ["prospect", "former_client"]), "legal_form": "bv",
            "rsin": rsin, "ob_number": f"{rsin}B01", "vat_id": f"NL{rsin}B01",
            "payroll_tax_number": f"{rsin}L01" if i % 3 == 0 else None, "kvk_number": f"{rng.randrange(10**8):08d}",
            "ibans": (_iban(rng),), "vat_frequency": rng.choice(["month", "quarter", "year"]),
            "vat_quarter_start_month": None, "payroll_frequency": "month" if i % 3 == 0 else None,
            "roles": {role: rng.choice(team)["code"] for role in ROLES}, "sbr_enabled": True,
            "ideal_enabled": i % 2 == 0, "cluster_head": head, "billed_to": head,
        })
    contacts, person, with_primary = [], 0, set()
    while len(contacts) < contact_rows:
        person += 1
        links = rng.randint(2, 4) if rng.random() < 0.1 else 1
        own = {"contact_number": f"C{person:06d}", "initials": "J.", "first_name": f"Jan{person}",
               "last_name": f"Jansen{person}", "email": f"persoon{person}@example.nl", "phone": "0612345678",
               "date_of_birth": date(1950, 1, 1) + timedelta(days=rng.randrange(20000)),
               "bsn": _nine_digits(rng) if person % 4 == 0 else None}
        for client in rng.sample(range(clients), links)[: contact_rows - len(contacts)]:
            contacts.append({**own, "client_number": str(100000 + client), "function": "DGA",
                             "is_primary": client not in with_primary, "share_percentage": 100 if links == 1 else None})
            with_primary.add(client)
    return rows, contacts, team


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    """One measurement in this process; prints a JSON line."""
    started = time.perf_counter()
    if args.child == "pandas":
        import pandas as pd

        source = Path(args.source)
        if source.suffix == ".xlsx":
            frames = pd.read_excel(source, sheet_name=None, dtype=str, header=None, engine=args.engine)
            rows = sum(len(frame) for frame in frames.values())
        else:
            rows = sum(len(pd.read_csv(f, sep=";", dtype=str, header=None)) for f in sorted(source.glob("*.csv")))
        print(json.dumps({"wall": time.perf_counter() - started, "rss": _rss_mib(), "rows": rows}))
        return
    os.environ["SBRFLOW_DATABASE_URL"] = args.url
    from sbrflow.models import migrate
    from sbrflow.models.db import get_engine, reset_engine
    from sbrflow.tasks.crm_import import import_workbook

    reset_engine()
    migrate.upgrade(get_engine())
    baseline = _rss_mib()
    started = time.perf_counter()
    report = import_workbook(args.source)
    print(json.dumps({"wall": time.perf_counter() - started, "rss": _rss_mib(), "rss_before": baseline,
                      "writes": report.writes, "errors": len(report.errors), "counts": report.counts}))


def run(*arguments: str) -> dict:
    output = subprocess.run([sys.executable, __file__, *arguments], check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--contacts", type=int, default=30000)
    parser.add_argument("--postgres", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--child", choices=["import", "pandas"])
    parser.add_argument("--url")
    parser.add_argument("--source")
    parser.add_argument("--engine", default="calamine", help="pandas Excel engine of the bare read")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    import sqlalchemy as sa

    from sbrflow.integrations.crm import write_csv, write_workbook

    folder = Path(tempfile.mkdtemp(prefix="bench-crm-"))
    started = time.perf_counter()
    rows = office(args.clients, args.contacts)
    xlsx, csv_folder = folder / "office.xlsx", folder / "csv"
    write_workbook(xlsx, *rows)
    write_csv(csv_folder, *rows)
    print(f"{args.clients} clients, {len(rows[1])} contact rows, {len({c['contact_number'] for c in rows[1]})} persons;"
          f" files written in {time.perf_counter() - started:.1f} s ({xlsx.stat().st_size / 2**20:.1f} MiB xlsx)")
    admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    print("| database | file | bare pandas read | first import | peak RSS | re-import | peak RSS | writes on re-import |")
    print("|---|---|---|---|---|---|---|---|")
    for backend in ("sqlite", "postgresql"):
        for source in (csv_folder, xlsx):
            if backend == "sqlite":
                url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:6]}.db'}"
            else:
                name = f"bench_crm_{uuid.uuid4().hex[:8]}"
                with admin.connect() as conn:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                url = admin.url.set(database=name).render_as_string(hide_password=False)
            try:
                bare = run("--child", "pandas", "--source", str(source))
                slow = run("--child", "pandas", "--source", str(source), "--engine", "openpyxl") \
                    if source.suffix == ".xlsx" else bare
                first = run("--child", "import", "--url", url, "--source", str(source))
                again = run("--child", "import", "--url", url, "--source", str(source))
            finally:
                if backend == "postgresql":
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            assert first["errors"] == 0 and again["writes"] == 0, (first, again)
            kind = "xlsx" if source.suffix == ".xlsx" else "csv"
            bare_text = f"{bare['wall']:.1f} s" + (f" (openpyxl {slow['wall']:.1f} s)" if kind == "xlsx" else "")
            print(f"| {backend} | {kind} | {bare_text} | {first['wall']:.1f} s | {first['rss']:.0f} MiB | "
                  f"{again['wall']:.1f} s | {again['rss']:.0f} MiB | {again['writes']} |", flush=True)
    admin.dispose()


if __name__ == "__main__":
    main()
