"""Set-based statements over cases: insert the missing ones, block, unblock, start, count, list.

Planning fills two temporary tables first — the candidate periods (one row per product ×
frequency × quarter start × period: a few dozen) and the readiness problems (one row per
client × product that is not ready) — so every statement here is one INSERT … SELECT or one
UPDATE over all clients, whatever their number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sbrflow.domain.case_states import NOT_STARTED, CaseState
from sbrflow.domain.enums import ClientStatus, Frequency, Product
from sbrflow.models import Case, Client, Subscription
from sbrflow.models.cases import ReasonsJSON

_TEMP = sa.MetaData()
PLAN_PERIOD = sa.Table(
    "tmp_plan_period", _TEMP,
    # Key order matters: cases are looked up here by product and label.
    sa.Column("product", sa.String(32), primary_key=True),
    sa.Column("period_label", sa.String(16), primary_key=True),
    sa.Column("frequency", sa.String(32)),
    sa.Column("quarter_start_month", sa.SmallInteger),
    sa.Column("period_start", sa.Date), sa.Column("period_end", sa.Date),
    sa.Column("deadline", sa.Date), sa.Column("deadline_effective", sa.Date),
    sa.Column("template_code", sa.String(64)), sa.Column("template_version", sa.Integer),
    sa.Column("start_state", sa.String(32)),
    prefixes=["TEMPORARY"],
)
PLAN_BLOCK = sa.Table(
    "tmp_plan_block", _TEMP,
    sa.Column("client_id", sa.Integer, primary_key=True),
    sa.Column("product", sa.String(32), primary_key=True),
    sa.Column("reasons", ReasonsJSON),
    sa.Column("codes", sa.String(500)),  # sorted reason codes, comma-separated: for counting
    sa.Column("block_started", sa.Boolean),  # also block not-started cases (the client left)
    prefixes=["TEMPORARY"],
)
T = Case.__table__
S = Subscription.__table__
C = Client.__table__


def in_states(states: Sequence[CaseState]) -> sa.ColumnElement:
    """`state IN (…)` with the values inline: SQLite uses the partial index on blocked cases only then."""
    return sa.or_(*[T.c.state == sa.literal(s.value, literal_execute=True) for s in states])


def create_temp_tables(session: Session, periods: Sequence[dict]) -> None:
    """(Re)create the two temporary tables on the session's connection; fill the periods."""
    conn = session.connection()
    for table in (PLAN_PERIOD, PLAN_BLOCK):
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))  # left over from a failed run
        table.create(conn)
    if periods:
        conn.execute(PLAN_PERIOD.insert(), list(periods))
    if conn.dialect.name == "postgresql":
        # The planner cannot estimate the subscription × period join (it guesses ~0.4 % of the real
        # rows), picks nested loops over half a million index probes, and spills hashes to disk with
        # the default work_mem. For this transaction only: hash joins, in memory.
        conn.execute(sa.text("SET LOCAL enable_nestloop = off"))
        conn.execute(sa.text("SET LOCAL work_mem = '64MB'"))


def fill_blocks(session: Session, blocks: Sequence[dict]) -> None:
    """Fill the readiness problems (one row per client × product that is not ready)."""
    conn = session.connection()
    if blocks:
        conn.execute(PLAN_BLOCK.insert(), list(blocks))
    if conn.dialect.name == "postgresql":  # autovacuum never analyses temporary tables
        conn.execute(sa.text(f"ANALYZE {PLAN_PERIOD.name}; ANALYZE {PLAN_BLOCK.name}"))


def drop_temp_tables(session: Session) -> None:
    """Drop the temporary tables (before commit, so the pooled connection is clean)."""
    conn = session.connection()
    for table in (PLAN_PERIOD, PLAN_BLOCK):
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))


def _quarter_start(frequency: sa.ColumnElement, quarter_start_month: sa.ColumnElement) -> sa.ColumnElement:
    # A stray quarter_start_month on a monthly subscription must not hide its periods.
    return sa.case((frequency == Frequency.QUARTER.value, sa.func.coalesce(quarter_start_month, 1)), else_=1)


def candidates(client_conditions: Sequence[sa.ColumnElement]) -> sa.Select:
    """Subscription × candidate period for active clients, with the block row and existing case if any."""
    p, b = PLAN_PERIOD, PLAN_BLOCK
    joined = (
        S.join(C, sa.and_(C.c.id == S.c.client_id, C.c.status == ClientStatus.CLIENT.value))
        .join(p, sa.and_(
            p.c.product == S.c.product,
            p.c.frequency == S.c.frequency,
            p.c.quarter_start_month == _quarter_start(S.c.frequency, S.c.quarter_start_month),
            # The period overlaps the subscription's active range; no start date = as far back as asked.
            sa.or_(S.c.active_from.is_(None), p.c.period_end >= S.c.active_from),
            sa.or_(S.c.active_until.is_(None), p.c.period_start <= S.c.active_until),
        ))
        .outerjoin(b, sa.and_(b.c.client_id == S.c.client_id, b.c.product == S.c.product))
        .outerjoin(T, sa.and_(T.c.client_id == S.c.client_id, T.c.product == S.c.product,
                              T.c.period_label == p.c.period_label))
    )
    return sa.select().select_from(joined).where(*client_conditions)


def missing_pairs(session: Session, client_conditions: Sequence[sa.ColumnElement]) -> set[tuple[int, str]]:
    """(client id, product) of every client with at least one candidate period without a case (anti-join)."""
    query = candidates(client_conditions).add_columns(S.c.client_id, S.c.product).where(T.c.id.is_(None)).distinct()
    return {(cid, str(product)) for cid, product in session.execute(query)}


def missing_counts(session: Session, client_conditions: Sequence[sa.ColumnElement]) -> list[sa.Row]:
    """Cases to create per product × period × block codes (after fill_blocks)."""
    p = PLAN_PERIOD
    query = (
        candidates(client_conditions)
        .add_columns(p.c.product, p.c.period_label, PLAN_BLOCK.c.codes, sa.func.count())
        .where(T.c.id.is_(None))
        .group_by(p.c.product, p.c.period_label, PLAN_BLOCK.c.codes)
    )
    return list(session.execute(query))


def list_missing(session: Session, client_conditions: Sequence[sa.ColumnElement], limit: int) -> list[sa.Row]:
    """The first cases to create, by client number: (client number, product, period label, block codes)."""
    p = PLAN_PERIOD
    query = (
        candidates(client_conditions)
        .add_columns(C.c.client_number, p.c.product, p.c.period_label, PLAN_BLOCK.c.codes)
        .where(T.c.id.is_(None))
        .order_by(C.c.client_number, p.c.product, p.c.period_label)
        .limit(limit)
    )
    return list(session.execute(query))


def candidate_counts(session: Session, client_conditions: Sequence[sa.ColumnElement]) -> list[sa.Row]:
    """Candidates per product × period, split by whether their case exists (one hash join)."""
    p = PLAN_PERIOD
    has_case = T.c.id.is_not(None).label("has_case")
    query = (candidates(client_conditions).add_columns(p.c.product, p.c.period_label, has_case, sa.func.count())
             .group_by(p.c.product, p.c.period_label, has_case))
    return list(session.execute(query))


def undecided(session: Session, case_conditions: Sequence[sa.ColumnElement], states: Sequence[CaseState],
              ) -> list[tuple[int, str, str, CaseState]]:
    """(client id, product, period label, state) of the cases whose fate depends on readiness."""
    query = sa.select(T.c.client_id, T.c.product, T.c.period_label, T.c.state).where(
        in_states(states), *case_conditions)
    return [(cid, str(product), label, CaseState(state)) for cid, product, label, state in session.execute(query)]


def blocked_clients(session: Session, case_conditions: Sequence[sa.ColumnElement],
                    keys: Sequence[tuple[str, str]], limit: int) -> dict[tuple[str, str], tuple[list[str], int]]:
    """Per (product, period label): the first `limit` client numbers of its blocked cases, and how many there are.

    One query over all the keys (a window per key), so an office with thousands of blocked cases reads
    `limit` rows per period, not all of them: what a run's artifact names.
    """
    if not keys:
        return {}
    position = sa.func.row_number().over(partition_by=(T.c.product, T.c.period_label),
                                         order_by=C.c.client_number).label("position")
    total = sa.func.count().over(partition_by=(T.c.product, T.c.period_label)).label("total")
    ranked = (sa.select(T.c.product, T.c.period_label, C.c.client_number, position, total)
              .join(C, C.c.id == T.c.client_id)
              .where(T.c.state == CaseState.BLOCKED, *case_conditions,
                     sa.tuple_(T.c.product, T.c.period_label).in_([tuple(key) for key in keys]))
              .subquery())
    found: dict[tuple[str, str], tuple[list[str], int]] = {}
    for product, label, number, _position, count in session.execute(
            sa.select(ranked).where(ranked.c.position <= limit).order_by(ranked.c.position)):
        numbers, _ = found.get((str(product), label), ([], 0))
        found[(str(product), label)] = ([*numbers, number], count)
    return found


def read_case_labels(case_ids: Sequence[int], limit: int) -> list[str]:
    """`1002 vat_return 2026-10` for the first `limit` of these cases (client number order): what an artifact names."""
    from sbrflow.models.db import unit_of_work

    if not case_ids:
        return []
    with unit_of_work() as session:
        rows = session.execute(
            sa.select(C.c.client_number, T.c.product, T.c.period_label).join(C, C.c.id == T.c.client_id)
            .where(T.c.id.in_(sorted(set(case_ids))[:5000]))
            .order_by(C.c.client_number, T.c.product, T.c.period_label).limit(limit)).all()
    return [f"{number} {product} {label}" for number, product, label in rows]


def client_numbers(session: Session, client_ids: Sequence[int]) -> dict[int, str]:
    """Client number per id (for a dry run's listing; a few hundred ids at most)."""
    return dict(session.execute(sa.select(C.c.id, C.c.client_number).where(C.c.id.in_(list(client_ids)))).all())


def insert_missing(session: Session, client_conditions: Sequence[sa.ColumnElement]) -> None:
    """Create every missing case in one INSERT … SELECT; blocked with its reasons when not ready."""
    p, b = PLAN_PERIOD, PLAN_BLOCK
    state = sa.case((b.c.client_id.is_not(None), CaseState.BLOCKED.value), else_=p.c.start_state)
    query = (
        candidates(client_conditions)
        .add_columns(S.c.client_id, S.c.product, p.c.period_label, p.c.period_start, p.c.period_end,
                     S.c.frequency, p.c.quarter_start_month, p.c.template_code, p.c.template_version,
                     state, b.c.reasons, p.c.deadline, p.c.deadline_effective)
        # Also the WHERE that SQLite needs to parse INSERT … SELECT … JOIN … ON CONFLICT.
        .where(T.c.id.is_(None))
    )
    columns = ["client_id", "product", "period_label", "period_start", "period_end", "frequency",
               "quarter_start_month", "template_code", "template_version", "state", "blocked_reasons",
               "deadline", "deadline_effective"]
    dialect_insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(T).from_select(columns, query).on_conflict_do_nothing(
        index_elements=["client_id", "product", "period_label"]
    )
    session.execute(statement)


def block(session: Session, case_conditions: Sequence[sa.ColumnElement], states: Sequence[CaseState]) -> int:
    """Block (or refresh the reasons of) cases in these states whose client × product is not ready.

    A case is blocked when it is created (or started by bulk-start); a started case is not blocked
    again for a CRM change (routing checks its roles when it assigns a stage) — except when the
    client is no longer a client (block rows with block_started).
    """
    b = PLAN_BLOCK
    match = sa.and_(b.c.client_id == T.c.client_id, b.c.product == T.c.product)
    reasons = sa.select(b.c.reasons).where(match).scalar_subquery()
    changed = sa.or_(T.c.state != CaseState.BLOCKED.value, T.c.blocked_reasons != reasons)
    values = {"state": CaseState.BLOCKED.value, "blocked_reasons": reasons, "updated_at": datetime.now(UTC)}
    # A case routing blocked in a stage (current_stage set, role_missing) is routing's to unblock.
    rows = session.execute(sa.update(T).where(
        in_states(states), sa.exists().where(match), changed, T.c.current_stage.is_(None), *case_conditions,
    ).values(**values)).rowcount
    if session.scalar(sa.select(sa.exists().where(b.c.block_started.is_(True)))):
        rows += session.execute(sa.update(T).where(
            T.c.state.in_([s.value for s in NOT_STARTED]), sa.exists().where(match, b.c.block_started.is_(True)),
            changed, *case_conditions,
        ).values(**values)).rowcount
    return rows


def unblock(
    session: Session, case_conditions: Sequence[sa.ColumnElement], start_states: dict[Product, CaseState]
) -> int:
    """Unblock cases of the judged products whose client has no problems left; returns rows changed."""
    if not start_states:
        return 0
    b = PLAN_BLOCK
    match = sa.and_(b.c.client_id == T.c.client_id, b.c.product == T.c.product)
    subscribed = sa.exists().where(S.c.client_id == T.c.client_id, S.c.product == T.c.product)
    active = sa.select(C.c.id).where(C.c.status == ClientStatus.CLIENT.value)
    state = sa.case(*[(T.c.product == p.value, s.value) for p, s in start_states.items()])
    statement = (
        sa.update(T)
        .where(in_states([CaseState.BLOCKED]), T.c.current_stage.is_(None),  # routing's blocks are routing's
               T.c.product.in_([p.value for p in start_states]),
               ~sa.exists().where(match), subscribed, T.c.client_id.in_(active), *case_conditions)
        .values(state=state, blocked_reasons=sa.null(), updated_at=datetime.now(UTC))
    )
    return session.execute(statement).rowcount


def start(session: Session, case_conditions: Sequence[sa.ColumnElement]) -> int:
    """Start planned cases (bulk-start): they now wait for their return; returns rows changed."""
    statement = (
        sa.update(T)
        .where(T.c.state == CaseState.PLANNED.value, *case_conditions)
        .values(state=CaseState.WAITING_FOR_RETURN.value, updated_at=datetime.now(UTC))
    )
    return session.execute(statement).rowcount


def list_cases(
    session: Session, *, state: str | None = None, product: str | None = None, period_label: str | None = None,
    client_number: str | None = None, limit: int = 200,
) -> list[dict[str, Any]]:
    """Cases matching the filters, newest period first, as plain dicts (for the CLI)."""
    query = sa.select(T, C.c.client_number, C.c.work_stop, C.c.work_stop_reason).join(C, C.c.id == T.c.client_id)
    if state:
        query = query.where(T.c.state == state)
    if product:
        query = query.where(T.c.product == product)
    if period_label:
        query = query.where(T.c.period_label == period_label)
    if client_number:
        query = query.where(C.c.client_number == client_number)
    query = query.order_by(T.c.period_end.desc(), C.c.client_number, T.c.product).limit(limit)
    rows = []
    for row in session.execute(query).mappings():
        rows.append({
            "id": row["id"], "client_number": row["client_number"], "product": str(row["product"]),
            "period_label": row["period_label"], "period_start": row["period_start"].isoformat(),
            "period_end": row["period_end"].isoformat(), "state": str(row["state"]),
            "current_stage": row["current_stage"], "template_code": row["template_code"],
            "template_version": row["template_version"],
            "deadline": row["deadline"].isoformat() if row["deadline"] else None,
            "deadline_effective": row["deadline_effective"].isoformat() if row["deadline_effective"] else None,
            "blocked_reasons": row["blocked_reasons"],
            # A werkstop set after the case started: it runs on, but everyone looking at it sees the stop.
            "work_stop": (row["work_stop_reason"] or "werkstop") if row["work_stop"] else None,
        })
    return rows


def read_cases(**filters: Any) -> list[dict[str, Any]]:
    """list_cases in its own unit of work (for cli/ and web/): state, product, period_label, client_number, limit."""
    from sbrflow.models.db import unit_of_work

    with unit_of_work() as session:
        return list_cases(session, **filters)
