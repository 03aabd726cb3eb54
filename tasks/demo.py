"""Units of work for the demo office: its records as a CRM workbook, what the workbook cannot hold, a summary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from prefect import task

from sbrflow.config.settings import get_settings
from sbrflow.domain.enums import (
    NON_CLIENT_STATUSES,
    AddressKind,
    ClientKind,
    ClientStatus,
    Frequency,
    LegalForm,
    Product,
    RelationType,
    Role,
)
from sbrflow.integrations.crm import WorkbookData, write_workbook
from sbrflow.integrations.crm.structure import (
    AddressFields,
    AddressRow,
    LocationRow,
    RelationRow,
    ShareholdingRow,
    Structure,
)
from sbrflow.models import Client, ClientContact, Person, RoleAssignment, Subscription, TeamMember
from sbrflow.models.db import unit_of_work

DEMO_START = date(2025, 1, 1)  # the demo's products run from here (the workbook has no start dates)

TEAM = [
    ("AB", "Anna de Boer", "anna@kantoor.example"),
    ("JV", "Jan Visser", "jan@kantoor.example"),
    ("SM", "Sanne Meijer", "sanne@kantoor.example"),
    ("PK", "Pieter Kok", "pieter@kantoor.example"),
]

# client_number, kind, name, status, legal form, rsin/bsn, ob, payroll, cluster head, billed to
CLIENTS = [
    ("1001", ClientKind.COMPANY, "Jansen Holding B.V.", ClientStatus.CLIENT, LegalForm.BV,
     "001000044", "001000044B37", None, None, None),
    ("1002", ClientKind.COMPANY, "Jansen Bouw B.V.", ClientStatus.CLIENT, LegalForm.BV,
     "111222333", "111222333B01", "111222333L01", "1001", "1001"),
    ("1003", ClientKind.COMPANY, "Jansen Installatie B.V.", ClientStatus.CLIENT, LegalForm.BV,
     "123456782", "123456782B01", "123456782L01", "1001", "1001"),
    ("1004", ClientKind.PERSON, "P. Jansen", ClientStatus.CLIENT, LegalForm.NATURAL_PERSON,
     "192837461", None, None, "1001", "1001"),
    ("1005", ClientKind.COMPANY, "Bakkerij De Korenaar", ClientStatus.CLIENT,
     LegalForm.SOLE_PROPRIETORSHIP, "010203047", "010203047B01", None, None, None),
    ("1006", ClientKind.COMPANY, "Hovenier Groen V.O.F.", ClientStatus.PROSPECT,
     LegalForm.GENERAL_PARTNERSHIP, "204813578", None, None, None, None),
]

# client_number, product, frequency, quarter start month
SUBSCRIPTIONS = [
    ("1001", Product.VAT_RETURN, Frequency.QUARTER, 1),
    ("1002", Product.VAT_RETURN, Frequency.MONTH, None),
    ("1002", Product.PAYROLL_RETURN, Frequency.MONTH, None),
    ("1003", Product.VAT_RETURN, Frequency.QUARTER, 2),
    ("1003", Product.PAYROLL_RETURN, Frequency.FOUR_WEEKLY, None),
    ("1004", Product.INCOME_TAX, Frequency.YEAR, None),
    ("1005", Product.VAT_RETURN, Frequency.YEAR, None),
]

# contact_number, initials, first, prefix, last, email, [(client_number, function, primary, share)]
PERSONS = [
    ("C001", "P.", "Piet", None, "Jansen", "piet@jansen.example",
     [("1001", "DGA", True, Decimal("100")), ("1002", "directeur", True, None),
      ("1003", "directeur", True, None)]),
    ("C002", "M.", "Marieke", "van der", "Berg", "administratie@jansen.example",
     [("1002", "administratie", False, None)]),
    ("C003", "K.", "Kees", "de", "Wit", "kees@korenaar.example", [("1005", "eigenaar", True, None)]),
]

# Piet Jansen is UBO of the holding and, through it, of Jansen Bouw and Jansen Installatie (Wwft): his
# identification is on file, so those clients are ready and their returns go all the way through the demo.
IDENTIFIED = {"C001": {"id_document_type": "paspoort", "id_document_number": "NXC4K7L91",
                       "id_document_expires_on": date(2031, 6, 30), "id_verified_on": date(2025, 1, 6)}}

# The demo's structure (issue 16): the holding's bank as a relation, a location of the building company,
# addresses (the holding and Jansen Bouw share one), and the holding owning its work companies, so that
# Piet Jansen (100 % of the holding) is UBO of Jansen Bouw (100 %) and Jansen Installatie (60 %) through it.
BANK = ("9001", "Rabobank Utrecht")
RELATIONS = [("1001", "9001", RelationType.BANK), ("1002", "9001", RelationType.BANK)]
LOCATIONS = [("1002", "L1", "Werkplaats Nieuwegein", AddressFields("Ambachtsweg", "7", None, "3433 PT", "Nieuwegein"))]
ADDRESSES = [
    ("1001", AddressKind.VISITING, AddressFields("Dorpsstraat", "12", None, "3431 BK", "Nieuwegein")),
    ("1002", AddressKind.VISITING, AddressFields("Dorpsstraat", "12", None, "3431 BK", "Nieuwegein")),
    ("9001", AddressKind.POSTAL, AddressFields("Croeselaan", "18", None, "3521 CB", "Utrecht")),
]
HOLDINGS = [("1002", "1001", Decimal("100")), ("1003", "1001", Decimal("60"))]  # owned, holder, share

ROLES = {Role.RELATIEBEHEERDER: "AB", Role.ACCOUNTANT: "JV", Role.FISCAAL: "SM",
         Role.ADMINISTRATIE: "PK", Role.SALARIS: "SM", Role.SECRETARIAAT: "AB"}


def demo_workbook_rows() -> tuple[list[dict], list[dict], list[dict]]:
    """The demo office as workbook rows (clients, contacts, team) in the CRM import's format."""
    frequencies = {(number, product): (frequency, start) for number, product, frequency, start in SUBSCRIPTIONS}
    clients = []
    for number, kind, name, status, form, fiscal, ob, lh, head, billed in CLIENTS:
        vat = frequencies.get((number, Product.VAT_RETURN), (None, None))
        payroll = frequencies.get((number, Product.PAYROLL_RETURN), (None, None))
        clients.append({
            "client_number": number, "name": name, "kind": kind, "status": status, "legal_form": form,
            "bsn" if kind is ClientKind.PERSON else "rsin": fiscal, "ob_number": ob, "payroll_tax_number": lh,
            "vat_frequency": vat[0], "vat_quarter_start_month": vat[1], "payroll_frequency": payroll[0],
            "roles": dict(ROLES), "sbr_enabled": status is ClientStatus.CLIENT,
            "ideal_enabled": status is ClientStatus.CLIENT,
            "cluster_head": "1001" if number == "1001" else head,  # the head names itself
            "billed_to": billed, "ibans": ("NL91ABNA0417164300",) if number == "1001" else (),
        })
    contacts = [
        {"contact_number": number, "initials": initials, "first_name": first, "name_prefix": prefix,
         "last_name": last, "email": email, "client_number": client_number, "function": function,
         "is_primary": primary, "share_percentage": share, **IDENTIFIED.get(number, {})}
        for number, initials, first, prefix, last, email, links in PERSONS
        for client_number, function, primary, share in links
    ]
    team = [{"code": code, "name": name, "email": email, "active": True} for code, name, email in TEAM]
    return clients, contacts, team


@task(name="write-demo-workbook")
def write_demo_workbook() -> str:
    """Write the demo office as the CRM workbook an office would import (var/demo/demo-office.xlsx)."""
    path = get_settings().var_dir / "demo" / "demo-office.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(write_workbook(path, *demo_workbook_rows()))


@task(name="complete-demo-office")
def complete_demo_office() -> dict[str, int]:
    """Add what the workbook does not hold: products other than VAT/payroll, and the start of each product."""
    with unit_of_work() as session:
        clients = dict(session.execute(sa.select(Client.client_number, Client.id).where(
            Client.client_number.in_([number for number, *_ in CLIENTS]))).all())
        extra = [(clients[number], product, frequency, start) for number, product, frequency, start in SUBSCRIPTIONS
                 if product not in (Product.VAT_RETURN, Product.PAYROLL_RETURN)]
        existing = set(session.execute(sa.select(Subscription.client_id, Subscription.product).where(
            Subscription.client_id.in_(list(clients.values())))).all())
        new = [{"client_id": cid, "product": product, "frequency": frequency, "quarter_start_month": start,
                "active_from": DEMO_START} for cid, product, frequency, start in extra if (cid, product) not in existing]
        if new:
            session.execute(sa.insert(Subscription), new)
        started = session.execute(sa.update(Subscription).where(
            Subscription.client_id.in_(list(clients.values())), Subscription.active_from.is_(None))
            .values(active_from=DEMO_START)).rowcount
        relation_added = _add_demo_structure(session)
    return {"subscriptions_added": len(new), "subscriptions_started": started, "relations_added": relation_added}


def _add_demo_structure(session) -> int:
    """The bank, its links, the location, addresses and holdings, written as an import of those sheets would."""
    from sbrflow.tasks.crm_structure import sync_structure

    added = 0
    if session.scalar(sa.select(Client.id).where(Client.client_number == BANK[0])) is None:
        session.add(Client(client_number=BANK[0], name=BANK[1], kind=ClientKind.COMPANY,
                           status=ClientStatus.RELATION, legal_form=LegalForm.COOPERATIVE))
        session.flush()
        added = 1
    demo = "demo"
    structure = Structure(
        relations=tuple(RelationRow(demo, 0, *row) for row in RELATIONS),
        locations=tuple(LocationRow(demo, 0, *row) for row in LOCATIONS),
        addresses=tuple(AddressRow(demo, 0, kind, address, number) for number, kind, address in ADDRESSES),
        shareholdings=tuple(ShareholdingRow(demo, 0, *row) for row in HOLDINGS),
    )
    sync_structure(session, WorkbookData(structure=structure), write=True)
    return added


@task(name="summarise-office")
def summarise_office() -> dict[str, int]:
    """Count what the office holds: clients by status, contacts, roles and subscriptions."""
    with unit_of_work() as session:
        count = lambda stmt: session.scalar(sa.select(sa.func.count()).select_from(stmt))  # noqa: E731
        return {
            "clients": session.scalar(
                sa.select(sa.func.count()).where(Client.status.not_in(list(NON_CLIENT_STATUSES)))
            ),
            "relations": session.scalar(
                sa.select(sa.func.count()).where(Client.status.in_(list(NON_CLIENT_STATUSES)))
            ),
            "active_clients": session.scalar(
                sa.select(sa.func.count()).where(Client.status == ClientStatus.CLIENT)
            ),
            "persons": count(Person),
            "contact_links": count(ClientContact),
            "team_members": count(TeamMember),
            "role_assignments": count(RoleAssignment),
            "subscriptions": count(Subscription),
        }


# Returns intake (issue 6): the demo's source-package simulator delivers, for every VAT and payroll
# subscription, the periods that ended in the three months before the run date — plus one VAT return
# of an OB-nummer no client has, so that matching has an unmatched return to show.
DEMO_SOURCE = "demo-simulator"
UNKNOWN_OB_NUMBER = "555555550B01"  # elfproef-valid, belongs to no demo client


def demo_returns(run_date: date) -> list[tuple[str, date, date]]:
    """(fiscal id, period start, period end) of every return the demo source package delivers."""
    from datetime import timedelta

    from sbrflow.domain.periods import periods_ended_between

    numbers = {row[0]: {Product.VAT_RETURN: row[6], Product.PAYROLL_RETURN: row[7]}
               for row in CLIENTS if row[3] is ClientStatus.CLIENT}
    returns = []
    for number, product, frequency, start_month in SUBSCRIPTIONS:
        fiscal_id = numbers.get(number, {}).get(product)
        if fiscal_id:
            window = timedelta(days=366 if frequency is Frequency.YEAR else 92)  # the annual return too
            returns += [(fiscal_id, p.start, p.end) for p in periods_ended_between(
                frequency, run_date - window, run_date, start_month or 1)]
    last_month_end = run_date.replace(day=1) - timedelta(days=1)
    return returns + [(UNKNOWN_OB_NUMBER, last_month_end.replace(day=1), last_month_end)]


@task(name="register-demo-source")
def register_demo_source(url: str) -> str:
    """Register (or point again) the demo's source package at the running simulator."""
    from sbrflow.tasks.intake import add_source

    add_source(DEMO_SOURCE, url=url)
    return DEMO_SOURCE


# Routing (issue 10): after poll → match → route, the demo walks one case through every stage to the
# client (each stage ticked and completed by its assignee) and ticks one checkpoint of another, which
# stays in its stage.
@task(name="walk-demo-cases")
def walk_demo_cases() -> dict[str, object]:
    """Complete the first routed case through all stages; tick one checkpoint of the next; say which."""
    from sbrflow.domain.case_states import CaseState
    from sbrflow.models.cases import Case
    from sbrflow.tasks.routing import complete_current_stage, show_case, tick_checkpoint

    # The same two cases on every run and on every database (by client, product and period, not by id, which
    # differs between SQLite and PostgreSQL): the first is walked to its end once, the second stays in a stage.
    routed = (CaseState.IN_PROGRESS, CaseState.WITH_CLIENT, CaseState.APPROVED, CaseState.SUBMITTING,
              CaseState.SUBMITTED, CaseState.CLOSED)
    with unit_of_work() as session:
        in_progress = list(session.scalars(
            sa.select(Case.id).join(Client, Client.id == Case.client_id).where(Case.state.in_(routed))
            .order_by(Client.client_number, Case.product, Case.period_start).limit(2)))
    walked = {"completed_case": None, "completed_state": None, "left_in_stage_case": None}
    if in_progress:
        case_id = in_progress[0]
        case = show_case(case_id)
        while case["state"] == CaseState.IN_PROGRESS.value:
            stage = next(s for s in case["stages"] if s["code"] == case["current_stage"])
            for checkpoint in stage["checkpoints"]:
                if not checkpoint["ticked_by"]:
                    tick_checkpoint(case_id, checkpoint["position"], stage["assignee"])
            complete_current_stage(case_id, stage["assignee"])
            case = show_case(case_id)
        walked.update(completed_case=case_id, completed_state=case["state"])
    if len(in_progress) > 1:
        case = show_case(in_progress[1])
        stage = next((s for s in case["stages"] if s["code"] == case["current_stage"]), None)
        if stage and not stage["checkpoints"][0]["ticked_by"]:
            tick_checkpoint(case["id"], 1, stage["assignee"])
        walked["left_in_stage_case"] = case["id"]
    return walked
