"""Bench: the duplicate check of `crm add-person` on 75,000 persons, and a member's follow-ups due (issue 17).

A scratch database (PostgreSQL by default, `--sqlite` for a SQLite file), migrated: 75,000 persons with an
e-mail, a date of birth (spread over 60 years) and a BSN; 50,000 follow-ups on them for 25 members (2,000
each, a quarter of them due, half of those done). Measured (median and p95 of --repeat calls, after warm-up):

1. `person_candidates` (the three rules: same e-mail, same name + date of birth, same BSN) for a new person
   who matches on all three — next to the floor: the three plain SELECTs the rules need, by hand.
2. `follow_ups_due("M00", today)` (the work list's follow-ups, with owner names) — next to two floors: one
   plain SELECT of the same rows joined to person and team_member, and the same reads as two plain SELECTs
   (the follow-ups, then their persons by id), as the task does them.

    .venv/bin/python bench/bench_crm_people.py              # PostgreSQL at 127.0.0.1:5432
    .venv/bin/python bench/bench_crm_people.py --sqlite
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
PERSONS, FOLLOW_UPS, MEMBERS = 75_000, 50_000, 25
TODAY = date(2026, 12, 1)


def _bsn(i: int) -> str:
    """A 9-digit number that passes the elfproef, unique per i."""
    base = f"{100000000 + i * 7:09d}"[:8]
    for last in range(10):
        digits = base + str(last)
        if sum(int(d) * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True)) % 11 == 0:
            return digits
    return _bsn(i + 100_000_000)


def _fill(engine: sa.Engine) -> None:
    from sbrflow.models import FollowUp, Person, TeamMember

    with engine.begin() as conn:
        conn.execute(sa.insert(TeamMember.__table__), [{"code": f"M{m:02d}", "name": f"Medewerker {m}", "active": True}
                                                      for m in range(MEMBERS)])
        ids = dict(conn.execute(sa.select(TeamMember.code, TeamMember.id)).all())
        rows = [{"contact_number": f"{500000 + i}", "first_name": f"Voornaam{i % 997}", "last_name": f"Achternaam{i % 4999}",
                 "email": f"p{i}@example.nl", "bsn": _bsn(i),
                 "date_of_birth": date(1950 + i % 60, 1 + i % 12, 1 + i % 28)} for i in range(PERSONS)]
        for start in range(0, len(rows), 5000):
            conn.execute(sa.insert(Person.__table__), rows[start:start + 5000])
        pids = [pid for (pid,) in conn.execute(sa.select(Person.id).order_by(Person.id))]
        now = sa.func.now() if engine.dialect.name == "postgresql" else None
        follow = []
        for i in range(FOLLOW_UPS):
            due = i % 4 == 0
            follow.append({"person_id": pids[i % len(pids)], "title": f"Signalering {i}",
                           "due_on": date(2026, 11, 1 + i % 30) if due else date(2027, 1, 1 + i % 28),
                           "assigned_to_id": ids[f"M{i % MEMBERS:02d}"], "created_by_id": ids["M01"],
                           "created_at": TODAY, "done_at": TODAY if due and i % 8 == 0 else None,
                           "done_by_id": ids["M01"] if due and i % 8 == 0 else None})
        del now
        for start in range(0, len(follow), 5000):
            conn.execute(sa.insert(FollowUp.__table__), follow[start:start + 5000])
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE"))


def _time(label: str, call, repeat: int) -> float:
    for _ in range(5):
        call()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        runs.append((time.perf_counter() - start) * 1000)
    runs.sort()
    p95 = runs[int(len(runs) * 0.95) - 1]
    print(f"  {label:60} median {statistics.median(runs):7.2f} ms   p95 {p95:7.2f} ms")
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--explain", action="store_true", help="Print the query plan of the follow-ups' read.")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT.parent))
    tmp = tempfile.mkdtemp()
    if args.sqlite:
        url, admin, name = f"sqlite:///{tmp}/bench.db", None, None
    else:
        admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        name = f"sbrflow_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    os.environ["SBRFLOW_DATABASE_URL"] = url
    os.environ.setdefault("SBRFLOW_VAR_DIR", tmp)
    from sbrflow.models import FollowUp, Person, TeamMember, migrate
    from sbrflow.models.db import get_engine, reset_engine, unit_of_work
    from sbrflow.tasks.crm_duplicates import person_candidates
    from sbrflow.tasks.crm_followups import follow_ups_due

    reset_engine()
    engine = get_engine()
    try:
        migrate.upgrade(engine)
        start = time.perf_counter()
        _fill(engine)
        print(f"{engine.dialect.name}: {PERSONS:,} persons, {FOLLOW_UPS:,} follow-ups "
              f"(filled in {time.perf_counter() - start:.1f} s)")
        i = 31_337
        new = {"last_name": f"Achternaam{i % 4999}", "first_name": f"Voornaam{i % 997}", "email": f"p{i}@example.nl",
               "date_of_birth": date(1950 + i % 60, 1 + i % 12, 1 + i % 28), "bsn": _bsn(i)}

        def rules():
            with unit_of_work() as session:
                found = person_candidates(session, **new)
            assert found[str(500000 + i)] == ["e-mail", "name and date of birth", "BSN"], found

        def rules_floor():
            with engine.connect() as conn:
                for column in ("email", "date_of_birth", "bsn"):
                    conn.execute(sa.text(f"SELECT contact_number, last_name, first_name FROM person "
                                         f"WHERE {column} = :v"), {"v": new[column if column != 'date_of_birth'
                                                                            else 'date_of_birth']}).all()

        def due():
            assert len(follow_ups_due("M00", TODAY)) == FOLLOW_UPS // MEMBERS // 8

        member_id = None
        with engine.connect() as conn:
            member_id = conn.scalar(sa.select(TeamMember.id).where(TeamMember.code == "M00"))
        floor_query = (sa.select(FollowUp.id, FollowUp.title, FollowUp.due_on, FollowUp.due_time,
                                 Person.contact_number, Person.first_name, Person.last_name, TeamMember.code)
                       .join(Person, Person.id == FollowUp.person_id)
                       .join(TeamMember, TeamMember.id == FollowUp.assigned_to_id)
                       .where(FollowUp.assigned_to_id == member_id, FollowUp.done_at.is_(None),
                              FollowUp.due_on <= TODAY).order_by(FollowUp.due_on, FollowUp.id))

        def due_floor():
            with engine.connect() as conn:
                conn.execute(floor_query).all()

        if args.explain and engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                compiled = floor_query.compile(engine, compile_kwargs={"literal_binds": True})
                for (line,) in conn.execute(sa.text(f"EXPLAIN ANALYZE {compiled}")):
                    print("   ", line)
        ids_query = (sa.select(FollowUp.id, FollowUp.title, FollowUp.due_on, FollowUp.due_time, FollowUp.person_id,
                               TeamMember.code).join(TeamMember, TeamMember.id == FollowUp.assigned_to_id)
                     .where(FollowUp.assigned_to_id == member_id, FollowUp.done_at.is_(None),
                            FollowUp.due_on <= TODAY).order_by(FollowUp.due_on, FollowUp.id))

        def due_floor_two():
            with engine.connect() as conn:
                rows = conn.execute(ids_query).all()
                conn.execute(sa.select(Person.id, Person.contact_number, Person.first_name, Person.last_name)
                             .where(Person.id.in_([r.person_id for r in rows]))).all()

        _time("person_candidates (3 rules) — crm add-person's check", rules, args.repeat)
        _time("floor: the three plain SELECTs", rules_floor, args.repeat)
        _time(f"follow_ups_due('M00') — {FOLLOW_UPS // MEMBERS // 8} rows", due, args.repeat)
        _time("floor: one plain SELECT with the joins", due_floor, args.repeat)
        _time("floor: two plain SELECTs (follow-ups; their persons by id)", due_floor_two, args.repeat)
    finally:
        reset_engine()
        if admin is not None:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
