"""Planning: one case per active client × product × tax period — on schedule, in bulk, or for one client.

One pass covers all clients at once: the candidate periods are computed in Python per product ×
frequency × quarter start (a few dozen rows, whatever the number of clients), readiness is judged
for all clients in a handful of queries, and the cases are written by one INSERT … SELECT and a few
UPDATEs (tasks/cases.py). Every write is keyed on client × product × period, so a second run
creates and changes nothing, and a run that dies half-way is simply run again.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from prefect import task
from sqlalchemy.orm import Session, aliased

from sbrflow.config.settings import get_settings
from sbrflow.config.workflows import StartMode, WorkflowTemplate, load_templates
from sbrflow.domain.case_states import NOT_STARTED, CaseState
from sbrflow.domain.enums import PRODUCT_TAX, ClientStatus, Frequency, Product, Role
from sbrflow.domain.errors import PlanningError, WorkflowTemplateError

# months_before and parse_any_label are domain rules (domain/periods.py); imported here under their old path too.
from sbrflow.domain.periods import SUPPORTED, TaxPeriod, months_before, parse_any_label, periods_ended_between
from sbrflow.domain.readiness import Problem, Reason, readiness_problems
from sbrflow.models import Case, Client, RoleAssignment, Subscription, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.tasks import cases
from sbrflow.tasks.locks import exclusive
from sbrflow.tasks.readiness import load_client_facts

log = logging.getLogger(__name__)

DRY_RUN_LISTING = 500
# A run's artifact names this many clients behind a count that needs action, then says how many more.
LISTED = 20


@dataclass(frozen=True)
class Scope:
    """What one planning pass covers: the horizon or one period, all clients or a selection."""

    run_date: date
    products: frozenset[Product] | None = None
    period: TaxPeriod | None = None  # one named period (bulk-start, rerun) instead of the horizon
    client_numbers: tuple[str, ...] | None = None
    member: str | None = None  # team member code: only clients where they hold `role` (or any role)
    role: Role | None = None
    start: bool = False  # bulk-start: started cases wait for their return, whatever the start mode
    dry_run: bool = False


# plan-periods, bulk-start and rerun-client write the same cases: one of them at a time.
PLANNING_LOCK = "planning"
# Tax periods, deadlines and the planning horizon are defined for these run dates (year 1 broke month arithmetic).
FIRST_RUN_DATE, LAST_RUN_DATE = date(1900, 1, 1), date(2999, 12, 31)
PLANNING = "planning (plan-periods, bulk-start or rerun-client)"


def template_for(templates: dict[str, WorkflowTemplate], product: Product) -> WorkflowTemplate:
    """The office's template for a product: the one whose code is the product's, else the only one."""
    if product.value in templates and templates[product.value].product is product:
        return templates[product.value]
    found = [t for t in templates.values() if t.product is product]
    if len(found) != 1:
        codes = ", ".join(t.code for t in found) or "none"
        raise WorkflowTemplateError(f"product {product.value} needs exactly one workflow template, found: {codes}")
    return found[0]


def _periods(scope: Scope, frequency: Frequency, start_month: int) -> list[TaxPeriod]:
    if scope.period is not None:
        p = scope.period
        return [p] if (p.frequency, p.quarter_start_month) == (frequency, start_month) else []
    after = months_before(scope.run_date, get_settings().planning_horizon_months)
    return periods_ended_between(frequency, after, scope.run_date, start_month)


def _period_rows(scope: Scope, groups: Sequence[tuple[Product, Frequency, int]],
                 templates: dict[Product, WorkflowTemplate]) -> tuple[list[dict], list[str]]:
    rows, unsupported = [], []
    for product, frequency, start_month in groups:
        tax = PRODUCT_TAX.get(product)
        if tax is not None and frequency not in SUPPORTED[tax]:
            unsupported.append(f"{product.value}/{frequency.value}")  # e.g. VAT four-weekly: no such return
            continue
        template = templates[product]
        for period in _periods(scope, frequency, start_month):
            rows.append({
                "product": product.value, "frequency": frequency.value, "quarter_start_month": start_month,
                "period_label": period.label, "period_start": period.start, "period_end": period.end,
                "deadline": period.deadline(tax) if tax else None,
                "deadline_effective": period.effective_deadline(tax) if tax else None,
                "template_code": template.code, "template_version": template.version,
                "start_state": _start_state(template, scope).value,
            })
    return rows, unsupported


def _start_state(template: WorkflowTemplate, scope: Scope) -> CaseState:
    # A manual template's case waits for a person to start it; bulk-start is that person.
    if template.start_mode is StartMode.MANUAL and not scope.start:
        return CaseState.PLANNED
    return CaseState.WAITING_FOR_RETURN


def _member_id(session: Session, scope: Scope) -> int | None:
    if scope.member is None:
        if scope.role is not None:
            raise PlanningError("--role selects the clients where a team member holds that role; give --member too")
        return None
    member_id = session.scalar(sa.select(TeamMember.id).where(TeamMember.code == scope.member))
    if member_id is None:
        raise PlanningError(f"no team member with code {scope.member!r}")
    return member_id


def _client_conditions(scope: Scope, member_id: int | None, client_id, product) -> list[sa.ColumnElement]:
    """Conditions on (client id, product) columns that select the scope's clients."""
    conditions: list[sa.ColumnElement] = []
    if scope.client_numbers is not None:
        conditions.append(client_id.in_(
            sa.select(Client.id).where(Client.client_number.in_(scope.client_numbers)).scalar_subquery()
        ))
    if member_id is not None:
        # The member holds the role for this client and product: a product-specific assignment
        # wins over the general one (RoleAssignment's rule).
        ra, other = aliased(RoleAssignment), aliased(RoleAssignment)
        applies = sa.or_(ra.product == product, sa.and_(ra.product.is_(None), ~sa.exists().where(
            other.client_id == ra.client_id, other.role == ra.role, other.product == product)))
        held = [ra.client_id == client_id, ra.team_member_id == member_id, applies]
        if scope.role is not None:
            held.append(ra.role == scope.role)
        conditions.append(sa.exists().where(*held))
    return conditions


def _groups(session: Session, scope: Scope, conditions) -> list[tuple[Product, Frequency, int]]:
    s = Subscription
    start_month = sa.case((s.frequency == Frequency.QUARTER, sa.func.coalesce(s.quarter_start_month, 1)), else_=1)
    query = (sa.select(s.product, s.frequency, start_month).distinct()
             .join(Client, sa.and_(Client.id == s.client_id, Client.status == ClientStatus.CLIENT))
             .where(*conditions))
    if scope.products is not None:
        query = query.where(s.product.in_(scope.products))
    return sorted((Product(p), Frequency(f), int(m)) for p, f, m in session.execute(query))


def _block_rows(session: Session, scope: Scope, templates: dict[Product, WorkflowTemplate],
                pairs: set[tuple[int, str]], case_conditions) -> list[dict]:
    """One row per client × product that is not ready, with its reasons; only for the pairs that matter."""
    pairs = {(cid, Product(p)) for cid, p in pairs if Product(p) in templates}
    ids = {cid for cid, _ in pairs}
    # One load of the facts for every product; a big selection reads all clients rather than
    # sending tens of thousands of ids as bind parameters.
    facts = load_client_facts(session, client_ids=ids if len(ids) <= 5000 else None) if ids else {}
    threshold = get_settings().ubo_threshold
    rows: list[dict] = []
    for client_id, product in sorted(pairs):
        client_facts = facts.get(client_id)
        if client_facts is None:  # not a client: handled below
            continue
        problems = readiness_problems(client_facts, today=scope.run_date, product=product,
                                      required_roles=templates[product].required_roles(), ubo_threshold=threshold)
        if problems:
            rows.append(_block_row(client_id, product, problems))
    # Not-started cases of clients that are no longer `client` are blocked too: they may not run.
    # (Driven from the few such clients; the state is filtered here so no planner scans all cases.)
    query = (sa.select(Case.client_id, Case.product, Case.state, Client.status)
             .select_from(Client).join(Case, Case.client_id == Client.id)
             .where(Client.status != ClientStatus.CLIENT, *case_conditions))
    left = {(cid, Product(product)): ClientStatus(status) for cid, product, state, status in session.execute(query)
            if CaseState(state) in NOT_STARTED}
    for (client_id, product), status in sorted(left.items()):
        problem = Problem(Reason.NOT_A_CLIENT, f"status is {status.value}, only 'client' is planned")
        rows.append(_block_row(client_id, product, [problem], block_started=True))
    return rows


def _block_row(client_id: int, product: Product, problems: Sequence[Problem], block_started: bool = False) -> dict:
    reasons = [{"code": p.reason.value, "message": p.message} for p in problems]
    return {"client_id": client_id, "product": product.value, "reasons": reasons,
            "codes": ",".join(sorted({p.reason.value for p in problems})), "block_started": block_started}


def _summarise(scope: Scope, new: Sequence[sa.Row], counts: Sequence[sa.Row], undecided: Sequence[tuple],
               blocks: dict[tuple[int, str], str]) -> list[dict]:
    """Per product × period: created, already existed, blocked after the run and why, started (bulk-start)."""
    table: dict[tuple[str, str], dict] = {}
    reasons: dict[tuple[str, str], Counter] = defaultdict(Counter)

    def row(product: str, label: str) -> dict:
        return table.setdefault((product, label), {"product": product, "period": label, "created": 0,
                                                   "existed": 0, "blocked": 0, "started": 0})

    def decide(product: str, label: str, codes: str | None, n: int = 1) -> None:
        if codes:
            row(product, label)["blocked"] += n
            reasons[(product, label)].update({code: n for code in codes.split(",")})
        elif scope.start:
            row(product, label)["started"] += n

    for product, label, _state, n in counts:
        row(str(product), label)["existed"] += n
    for product, label, codes, n in new:
        row(product, label)["created"] += n
        decide(product, label, codes, n)
    for client_id, product, label, _state in undecided:
        decide(product, label, blocks.get((client_id, product)))
    for key, r in table.items():
        r["reasons"] = ", ".join(f"{code}={n}" for code, n in sorted(reasons[key].items()))
    return [table[k] for k in sorted(table)]


def plan(session: Session, scope: Scope) -> dict:
    """One planning pass over the scope; returns per-period rows and totals (writes nothing on a dry run)."""
    if not FIRST_RUN_DATE <= scope.run_date <= LAST_RUN_DATE:
        raise PlanningError(f"run date {scope.run_date.isoformat()} is outside the years planning handles "
                            f"({FIRST_RUN_DATE.year}–{LAST_RUN_DATE.year}); give a date such as "
                            f"{date.today().isoformat()}")
    member_id = _member_id(session, scope)

    def conditions_for(client_id, product):
        return _client_conditions(scope, member_id, client_id, product)

    groups = _groups(session, scope, conditions_for(Subscription.client_id, Subscription.product))
    all_templates = load_templates(get_settings().workflows_dir)
    templates = {product: template_for(all_templates, product) for product in sorted({g[0] for g in groups})}
    periods, unsupported = _period_rows(scope, groups, templates)
    if unsupported:
        log.warning("no return exists for these subscriptions' frequencies, not planned: %s", ", ".join(unsupported))
    candidate_conditions = conditions_for(Subscription.client_id, Subscription.product)
    case_conditions = [*conditions_for(Case.client_id, Case.product)]
    if scope.products is not None:
        case_conditions.append(Case.product.in_(scope.products))
    if scope.period is not None:
        case_conditions.append(Case.period_label == scope.period.label)
    # Readiness decides the fate of new cases and blocked ones (and, for bulk-start, planned ones).
    judged_states = [CaseState.BLOCKED, CaseState.PLANNED] if scope.start else [CaseState.BLOCKED]

    clock = _Clock()
    cases.create_temp_tables(session, periods)
    # One hash join counts the candidates with and without a case; only when some are missing (a new
    # period, a new client) does planning look for them: on an ordinary day it is a few cheap queries.
    counts = cases.candidate_counts(session, candidate_conditions)
    missing = cases.missing_pairs(session, candidate_conditions) if any(not c[2] for c in counts) else set()
    undecided = cases.undecided(session, case_conditions, judged_states)
    pairs = missing | {(cid, product) for cid, product, *_ in undecided}
    clock.lap("find")
    block_rows = _block_rows(session, scope, templates, pairs, case_conditions)
    cases.fill_blocks(session, block_rows)
    clock.lap("judge")
    blocks = {(r["client_id"], r["product"]): r["codes"] for r in block_rows}
    new = cases.missing_counts(session, candidate_conditions) if missing else []
    in_period = {(r["product"], r["period_label"]) for r in periods}
    rows = _summarise(scope, new, [c for c in counts if c[2]],
                      [u for u in undecided if (u[1], u[2]) in in_period], blocks)
    clock.lap("count")

    totals = {"created": 0, "existed": 0, "blocked": 0, "started": 0, "unblocked": 0, "reblocked": 0}
    for r in rows:
        for key in ("created", "existed", "blocked", "started"):
            totals[key] += r[key]
    result = {"run_date": scope.run_date.isoformat(), "rows": rows, "totals": totals, "unsupported": unsupported}
    if scope.dry_run:
        numbers = cases.client_numbers(session, sorted({cid for cid, *_ in undecided[:DRY_RUN_LISTING]}))
        listing = sorted(
            [(number, str(p), label, "create", codes)
             for number, p, label, codes in cases.list_missing(session, candidate_conditions, DRY_RUN_LISTING)]
            + [(numbers[cid], p, label, "start", blocks.get((cid, p)))
               for cid, p, label, _ in undecided[:DRY_RUN_LISTING]]
        )[:DRY_RUN_LISTING]
        result["would_create"] = [
            {"client_number": number, "product": product, "period": label, "action": action,
             "state": (CaseState.BLOCKED if codes else CaseState.WAITING_FOR_RETURN).value}
            for number, product, label, action, codes in listing
        ]
    else:
        if missing:  # ON CONFLICT DO NOTHING covers a concurrent run
            cases.insert_missing(session, candidate_conditions)
        totals["reblocked"] = cases.block(session, case_conditions, judged_states)
        start_states = {product: _start_state(template, scope) for product, template in templates.items()}
        totals["unblocked"] = cases.unblock(session, case_conditions, start_states)
        if scope.start:
            cases.start(session, case_conditions)
        # Which clients are blocked, per product × period (the first LISTED): what an operator acts on.
        named = cases.blocked_clients(session, case_conditions,
                                      [(r["product"], r["period"]) for r in rows if r["blocked"]], LISTED)
        for r in rows:
            r["blocked_clients"], r["blocked_total"] = named.get((r["product"], r["period"]), ([], 0))
        clock.lap("write")
    cases.drop_temp_tables(session)
    result["seconds"] = clock.laps
    log.info("planning took %s", ", ".join(f"{k} {v} s" for k, v in clock.laps.items()))
    return result


class _Clock:
    """Seconds per planning step, for the log and the benchmark."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 2)
        self._last = now


def _require_client(session: Session, client_number: str) -> None:
    if session.scalar(sa.select(Client.id).where(Client.client_number == client_number)) is None:
        raise PlanningError(f"no client with number {client_number!r}")


@task(name="plan-periods")
def plan_periods_task(run_date: date) -> dict:
    """Make sure every active client has its cases for the periods that ended in the horizon."""
    with exclusive(PLANNING_LOCK, what=PLANNING), unit_of_work() as session:
        return plan(session, Scope(run_date=run_date))


@task(name="bulk-start")
def bulk_start_task(run_date: date, product: Product, period_label: str, client_numbers: Sequence[str] | None = None,
                    member: str | None = None, role: Role | None = None, dry_run: bool = False,
                    force: bool = False) -> dict:
    """Create and start the cases of one product and period for the selected clients.

    Refused (PlanningError, nothing written) unless `force` (a dry run only lists): a period that has not ended
    yet (its return cannot be made), and a selection with no client (e.g. payroll for a quarter nobody files quarterly).
    """
    period = parse_any_label(period_label)
    if period.end > run_date and not (force or dry_run):
        raise PlanningError(f"period {period_label} ends on {period.end.isoformat()}, after {run_date.isoformat()}: "
                            "it has not ended yet; start it anyway with --force (force=true)")
    scope = Scope(run_date=run_date, products=frozenset({Product(product)}), period=period,
                  client_numbers=tuple(client_numbers) if client_numbers is not None else None,
                  member=member, role=Role(role) if role else None, start=True, dry_run=dry_run)
    with exclusive(PLANNING_LOCK, what=PLANNING), unit_of_work() as session:
        for number in scope.client_numbers or ():
            _require_client(session, number)
        summary = plan(session, scope)
        if not (force or dry_run) and not _selected_anything(summary):
            raise PlanningError(f"bulk-start {Product(product).value} {period_label} selects no client (nobody in the "
                                "selection takes the product with a frequency that has this period); "
                                "check the product, period and filters, or use --force")
        return summary


@task(name="rerun-client")
def rerun_client_task(run_date: date, client_number: str, product: Product | None = None,
                      period_label: str | None = None) -> dict:
    """Re-plan one client: create missing cases, block or unblock them after a CRM fix."""
    scope = Scope(run_date=run_date, products=frozenset({Product(product)}) if product else None,
                  period=parse_any_label(period_label) if period_label else None, client_numbers=(client_number,))
    with exclusive(PLANNING_LOCK, what=PLANNING), unit_of_work() as session:
        _require_client(session, client_number)
        summary = plan(session, scope)
        # Each case of the client in the scope, as it stands after the rerun (the rerun's artifact).
        planned = {(r["product"], r["period"]) for r in summary["rows"]}
        summary["cases"] = [
            {"product": c["product"], "period": c["period_label"], "state": c["state"],
             "blocked_reasons": ", ".join(sorted({r["code"] for r in c["blocked_reasons"] or []}))}
            for c in cases.list_cases(session, client_number=client_number,
                                      product=Product(product).value if product else None,
                                      period_label=scope.period.label if scope.period else None, limit=1000)
            if (c["product"], c["period_label"]) in planned
        ]
        return summary


def _selected_anything(summary: dict) -> bool:
    """Whether a planning pass found any case (new or existing) in its selection."""
    return any(row["created"] or row["existed"] for row in summary["rows"])
