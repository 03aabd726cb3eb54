"""`crm search`: find clients and persons by number, name, e-mail — accent- and case-insensitive, ranked.

PostgreSQL: trigram GIN indexes (pg_trgm) over `sbrflow_fold(...)` (unaccent + lower) of the client's number
and name and the person's contact number, names and e-mail; every word must occur somewhere (LIKE
'%word%', which the trigram index answers). SQLite: the FTS5 table `crm_search_fts` (diacritics removed),
every word as a prefix of a word. Both made and kept up to date by migration 0013. The hits are ranked
in Python (domain.crm_query.rank): the exact number first, then a number starting so, then names.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.domain import vocabulary
from sbrflow.domain.crm_query import rank, search_terms
from sbrflow.models import Client, ClientContact, Person
from sbrflow.models.db import unit_of_work

# The same expressions as the indexes of migration 0013 (the planner uses an index only for its expression).
PG_CLIENT_TEXT = "sbrflow_fold(client.client_number || ' ' || client.name)"
PG_PERSON_TEXT = ("sbrflow_fold(person.contact_number || ' ' || coalesce(person.first_name, '') || ' ' || "
                  "coalesce(person.initials, '') || ' ' || coalesce(person.name_prefix, '') || ' ' || "
                  "person.last_name || ' ' || coalesce(person.email, ''))")
CANDIDATES = 200  # per kind, before ranking


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _pg_ids(session: Session, terms: list[str], query: str) -> tuple[list[int], list[int]]:
    found = []
    for table, text in (("client", PG_CLIENT_TEXT), ("person", PG_PERSON_TEXT)):
        number = "client_number" if table == "client" else "contact_number"
        likes = " AND ".join(f"{text} LIKE :t{i}" for i in range(len(terms)))
        params = {f"t{i}": _like(t) for i, t in enumerate(terms)} | {"q": query.strip().lower(),
                                                                     "raw": query.strip(), "folded": " ".join(terms)}
        if max(len(t) for t in terms) >= 3:  # a trigram to look up: the index finds every match, rank them all
            sql = (f"SELECT id FROM {table} WHERE {likes} ORDER BY lower({number}) = :q DESC, "
                   f"similarity({text}, :folded) DESC, id LIMIT {CANDIDATES}")
        else:  # only 1–2 letters: no trigram, so take the first matches found (and the exact number) unranked;
            # `|| ''` keeps the planner off the trigram index, which would read all of it for no trigram
            likes = " AND ".join(f"({text} || '') LIKE :t{i}" for i in range(len(terms)))
            sql = (f"(SELECT id FROM {table} WHERE {number} = :raw) UNION "
                   f"(SELECT id FROM {table} WHERE {likes} LIMIT {CANDIDATES})")
        found.append(list(session.scalars(sa.text(sql), params)))
    return found[0], found[1]


def _sqlite_ids(session: Session, terms: list[str]) -> tuple[list[int], list[int]]:
    match = " AND ".join('"' + t.replace('"', '""') + '"*' for t in terms)
    rows = session.scalars(sa.text("SELECT rowid FROM crm_search_fts WHERE crm_search_fts MATCH :m "
                                   "ORDER BY rank LIMIT :n"), {"m": match, "n": 2 * CANDIDATES}).all()
    return [r // 2 for r in rows if r % 2 == 0], [r // 2 for r in rows if r % 2 == 1]


def _person_name(p) -> str:
    first = p.first_name or p.initials or ""
    return " ".join(part for part in (first, p.name_prefix, p.last_name) if part)


def search(text: str, *, limit: int = 20) -> list[dict]:
    """The best `limit` clients and persons for `text`, best first (empty text: nothing)."""
    terms = search_terms(text)
    if not terms:
        return []
    with unit_of_work() as session:
        if session.get_bind().dialect.name == "postgresql":
            client_ids, person_ids = _pg_ids(session, terms, text)
        else:
            client_ids, person_ids = _sqlite_ids(session, terms)
        hits = []
        if client_ids:
            for c in session.execute(sa.select(Client.id, Client.client_number, Client.name, Client.status)
                                     .where(Client.id.in_(client_ids))):
                hits.append((rank(c.client_number, c.name, terms, text),
                             {"kind": "client", "number": c.client_number, "name": c.name,
                              "status": c.status.value, "status_label": vocabulary.label(c.status)}))
        if person_ids:
            clients = defaultdict(list)
            for person_id, number in session.execute(
                sa.select(ClientContact.person_id, Client.client_number).join(Client, Client.id == ClientContact.client_id)
                .where(ClientContact.person_id.in_(person_ids)).order_by(Client.client_number)
            ):
                clients[person_id].append(number)
            for p in session.execute(sa.select(Person.id, Person.contact_number, Person.first_name, Person.initials,
                                               Person.name_prefix, Person.last_name, Person.email)
                                     .where(Person.id.in_(person_ids))):
                name = _person_name(p)
                hits.append((rank(p.contact_number, name, terms, text, extra=p.email or ""),
                             {"kind": "person", "number": p.contact_number, "name": name, "email": p.email,
                              "clients": clients[p.id]}))
    hits.sort(key=lambda hit: hit[0])
    return [hit for _, hit in hits[:limit]]
