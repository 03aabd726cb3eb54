"""Benchmark: `crm search` on 50,000 clients and 75,000 persons, and a three-filter query exported to .xlsx.

    .venv/bin/python bench/bench_crm_search.py --backend postgresql [--server postgresql+psycopg2://postgres@127.0.0.1:5432/postgres]
    .venv/bin/python bench/bench_crm_search.py --backend sqlite

Office: 50,000 clients (companies named after Dutch family names, many with accents: Müller, Döring, Café …),
each with its contact person and every second one with a second (75,000 persons, first names such as José,
Zoë, Anaïs), e-mail addresses, a visiting address, VAT (30 % monthly) and payroll subscriptions, DGA or
directeur functions. Loaded by bulk inserts (COPY on PostgreSQL) after the migrations, then ANALYZE.

Search: each text is searched 15 times through tasks.crm_search.search (the CLI's and API's function:
candidate query, second fetch, ranking in Python); median and worst in ms. Floor: the same indexed
condition in plain SQL returning only ids (no ranking, no second fetch, no session).
Query: `product=vat_return, frequency=month, function=DGA` (clients) through tasks.crm_query.export_query to
.xlsx. Floor: one hand-written SELECT of the same rows and columns written with openpyxl's write-only mode.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

FIRST = ["Jan", "Piet", "Kees", "Anna", "Sanne", "José", "Zoë", "Renée", "Anaïs", "Chloë", "Sören", "Noël", "Lotte",
         "Daan", "Sem", "Emma", "Julia", "Bram", "Thijs", "Fleur", "Maarten", "Ingrid", "Özlem", "Ümit", "Aäron"]
LAST = ["Müller", "de Vries", "Jansen", "Bakker", "van den Berg", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
        "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer", "de Wit", "Dijkstra",
        "Döring", "Schröder", "van der Meer", "Kok", "Jacobs", "de Haan", "Vermeulen", "van den Heuvel", "Çelik",
        "Yılmaz", "Willems", "van Leeuwen", "Janssen", "Koç", "Brandsmä", "Hoekstra", "Postma", "Kuipers"]
TRADE = ["Bakkerij", "Bouwbedrijf", "Café", "Garage", "Kapsalon", "Advies", "Transport", "Installatietechniek",
         "Hoveniers", "Drukkerij", "Brasserie", "Zorg", "Tandartspraktijk", "Administratiekantoor"]
CITIES = ["Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen", "Tilburg", "Almere", "Breda",
          "Nijmegen", "'s-Hertogenbosch", "Zwolle", "Leeuwarden", "Maastricht"]
SEARCHES = ["100777", "1012", "müller", "Muller", "jose de vries", "zoe", "bakkerij schroder", "cafe janssen",
            "anais.dijkstra", "p40123", "celik", "van den heuvel", "jo", "a"]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def office(n: int) -> dict[str, tuple[list[str], list[tuple]]]:
    """Rows per table (explicit ids): n clients, 1.5·n persons."""
    rnd = random.Random(17)
    clients, persons, contacts, subs, addresses = [], [], [], [], []
    pid = cid = sid = 0
    members = [(i, f"M{i:02d}", f"Member {i}") for i in range(1, 11)]
    roles = []
    for i in range(1, n + 1):
        last = rnd.choice(LAST)
        clients.append((i, str(100000 + i), "company", f"{rnd.choice(TRADE)} {last} B.V.", "client", "bv"))
        addresses.append((i, i, "visiting", rnd.choice(CITIES), "NL"))
        roles.append((i, i, "administratie", 1 + i % 10))
        for k in range(2 if i % 2 == 0 else 1):
            pid += 1
            first, plast = rnd.choice(FIRST), (last if k == 0 else rnd.choice(LAST))
            prefix, _, surname = plast.rpartition(" ")
            email = f"{first.lower()}.{surname.lower()}{pid}@example.nl".replace("ü", "u").replace("ö", "o")
            persons.append((pid, f"P{pid}", first, prefix or None, surname, email))
            cid += 1
            contacts.append((cid, i, pid, "DGA" if k == 0 else "directeur", k == 0))
        sid += 1
        subs.append((sid, i, "vat_return", "month" if i % 10 < 3 else "quarter"))
        if i % 2:
            sid += 1
            subs.append((sid, i, "payroll_return", "month"))
    return {
        "team_member": (["id", "code", "name"], members),
        "client": (["id", "client_number", "kind", "name", "status", "legal_form"], clients),
        "person": (["id", "contact_number", "first_name", "name_prefix", "last_name", "email"], persons),
        "client_contact": (["id", "client_id", "person_id", "function", "is_primary"], contacts),
        "subscription": (["id", "client_id", "product", "frequency"], subs),
        "address": (["id", "client_id", "kind", "city", "country"], addresses),
        "role_assignment": (["id", "client_id", "role", "team_member_id"], roles),
    }


def bulk_load(engine: sa.Engine, tables: dict) -> None:
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


def _timed(call, repeat: int = 15) -> tuple[float, float, object]:
    call()  # warm (plans, caches)
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times), result


def floor_search(engine: sa.Engine, text: str) -> list[int]:
    """The same indexed condition in plain SQL, ids only."""
    from sbrflow.domain.crm_query import search_terms
    from sbrflow.tasks.crm_search import PG_CLIENT_TEXT, PG_PERSON_TEXT, _like

    terms = search_terms(text)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            ids = []
            for table, expr in (("client", PG_CLIENT_TEXT), ("person", PG_PERSON_TEXT)):
                expr = expr if max(map(len, terms)) >= 3 else f"({expr} || '')"  # as search() does
                likes = " AND ".join(f"{expr} LIKE :t{i}" for i in range(len(terms)))
                ids += conn.scalars(sa.text(f"SELECT id FROM {table} WHERE {likes} LIMIT 200"),
                                    {f"t{i}": _like(t) for i, t in enumerate(terms)}).all()
            return ids
        match = " AND ".join('"' + t.replace('"', '""') + '"*' for t in terms)
        return conn.scalars(sa.text("SELECT rowid FROM crm_search_fts WHERE crm_search_fts MATCH :m LIMIT 400"),
                            {"m": match}).all()


FLOOR_QUERY = """
SELECT c.client_number, c.name, c.status, c.kind, c.legal_form,
       (SELECT a.city FROM address a WHERE a.client_id = c.id LIMIT 1)
FROM client c
WHERE EXISTS (SELECT 1 FROM subscription s WHERE s.client_id = c.id AND s.product = 'vat_return' AND s.frequency = 'month')
  AND EXISTS (SELECT 1 FROM client_contact cc WHERE cc.client_id = c.id AND lower(cc.function) = 'dga')
ORDER BY c.client_number
"""


def floor_export(engine: sa.Engine, path: Path) -> int:
    from openpyxl import Workbook

    with engine.connect() as conn:
        rows = conn.execute(sa.text(FLOOR_QUERY)).all()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Selectie")
    sheet.append(["Cliëntnummer", "Naam", "Status", "Type", "Rechtsvorm", "Plaats"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--clients", type=int, default=50_000)
    args = parser.parse_args()
    admin = None
    folder = tempfile.mkdtemp(prefix="sbrflow-bench-crm-search-")
    if args.backend == "postgresql":
        admin = sa.create_engine(args.server, isolation_level="AUTOCOMMIT")
        name = f"sbrflow_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(args.server).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{folder}/bench.db"
    os.environ["SBRFLOW_DATABASE_URL"] = url
    from sbrflow.models import migrate
    from sbrflow.models.db import get_engine
    from sbrflow.tasks.crm_query import export_query, run_query
    from sbrflow.tasks.crm_search import search

    try:
        engine = get_engine()
        migrate.upgrade(engine)
        t = time.perf_counter()
        tables = office(args.clients)
        bulk_load(engine, tables)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
        print(f"loaded {len(tables['client'][1]):,} clients, {len(tables['person'][1]):,} persons in "
              f"{time.perf_counter() - t:.1f} s ({args.backend})")
        print(f"{'search text':<22} {'hits':>4} {'first hit':<12} {'median':>8} {'worst':>8} {'floor':>8}")
        worst_median = 0.0
        for text in SEARCHES:
            median, worst, hits = _timed(lambda text=text: search(text))
            floor, _, _ = _timed(lambda text=text: floor_search(engine, text))
            worst_median = max(worst_median, median)
            first = f"{hits[0]['kind'][0]}:{hits[0]['number']}" if hits else "-"
            print(f"{text:<22} {len(hits):>4} {first:<12} {median:>6.1f}ms {worst:>6.1f}ms {floor:>6.1f}ms")
        print(f"slowest median search: {worst_median:.1f} ms (target < 100 ms)")
        where = ["product=vat_return", "frequency=month", "function=DGA"]
        t = time.perf_counter()
        run_query(where)
        query_s = time.perf_counter() - t
        t = time.perf_counter()
        result = export_query(where, Path(folder) / "selectie.xlsx")
        export_s = time.perf_counter() - t
        t = time.perf_counter()
        floor_rows = floor_export(engine, Path(folder) / "floor.xlsx")
        floor_s = time.perf_counter() - t
        print(f"query {' AND '.join(where)} → .xlsx: {result['count']:,} clients in {export_s:.2f} s; "
              f"floor (one SELECT + openpyxl write-only): {floor_rows:,} rows in {floor_s:.2f} s; "
              f"ratio {export_s / floor_s:.1f}× (the query alone, rows in memory: {query_s:.2f} s)")
        print(f"peak RSS: {peak_rss_mib():.0f} MiB")
        engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
