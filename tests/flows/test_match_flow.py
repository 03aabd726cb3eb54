"""match-returns runs for real under Prefect; the CLI shows the queue and the operator's fix."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from sbrflow.cli.main import app
from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, Product, Tax
from sbrflow.flows.matching import match_returns
from sbrflow.models import Client, Subscription
from sbrflow.models.cases import Case
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import AuditEvent, CaseDocument
from sbrflow.models.returns import DocumentStatus, SourceKind, SourcePackage, TaxReturnDocument

pytestmark = pytest.mark.flow
Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def _setup() -> tuple[int, int]:
    with unit_of_work() as session:
        client = Client(client_number="1001", kind=ClientKind.COMPANY, name="Holding", status=ClientStatus.CLIENT,
                        rsin="001000044", ob_number="001000044B37")
        source = SourcePackage(name="sim", kind=SourceKind.HTTP, url="http://127.0.0.1:1")
        session.add_all([client, source])
        session.flush()
        session.add(Subscription(client_id=client.id, product=Product.VAT_RETURN, frequency=Frequency.QUARTER,
                                 quarter_start_month=1))
        session.add(Case(client_id=client.id, product=Product.VAT_RETURN, period_label="2026-Q1",
                         period_start=Q1[0], period_end=Q1[1], frequency=Frequency.QUARTER, quarter_start_month=1,
                         template_code="vat_return", template_version=1, state=CaseState.WAITING_FOR_RETURN))
        docs = []
        for n, fiscal in enumerate(["001000044B37", "999999990B01"]):
            doc = TaxReturnDocument(source_package_id=source.id, source_reference=f"r{n}",
                                    received_at=datetime.now(UTC), sha256=f"{n:064d}", size=1, content=b"x",
                                    status=DocumentStatus.RECEIVED, tax=Tax.OB, kind="return", fiscal_id=fiscal,
                                    period_start=Q1[0], period_end=Q1[1])
            session.add(doc)
            session.flush()
            docs.append(doc.id)
        return docs[0], docs[1]


def test_the_match_returns_flow_matches_one_and_queues_the_other_with_its_reason(prefect_harness, db):
    _, unknown = _setup()
    summary = match_returns(today=date(2026, 11, 23))
    assert (summary["matched"], summary["unmatched"]) == (1, {"unknown_identifier": 1})

    runner = CliRunner()
    result = runner.invoke(app, ["returns", "unmatched", "--json"])
    assert result.exit_code == 0, result.output
    queue = json.loads(result.output)
    assert [(r["id"], r["fiscal_id"], r["tax"], r["period_start"], r["reason_code"]) for r in queue] == [
        (unknown, "999999990B01", "OB", "2026-01-01", "unknown_identifier")]
    assert set(queue[0]) >= {"id", "fiscal_id", "tax", "period_start", "reason_code", "reason"}

    result = runner.invoke(app, ["returns", "assign", str(unknown), "--client", "1001", "--by", "anna"])
    assert result.exit_code == 0, result.output
    assert "assigned to client 1001" in result.output and "2026-Q1" in result.output
    with unit_of_work() as session:
        # (The trail also holds the cases' moves now; the operator's intervention is this one.)
        events = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "return.assign")).all()
        current = session.scalar(sa.select(CaseDocument.document_id).where(CaseDocument.is_current))
    assert [(e.actor, e.subject_id) for e in events] == [("anna", unknown)]
    assert current == unknown  # the newer document replaced the case's current one; the first stays as history
    assert json.loads(runner.invoke(app, ["returns", "unmatched", "--json"]).output) == []


def test_a_crm_import_that_fixes_the_identifier_rematches_the_waiting_return(prefect_harness, db, tmp_path):
    from openpyxl import Workbook

    from sbrflow.flows.crm import import_crm

    _, unknown = _setup()
    with unit_of_work() as session:  # the office forgot the OB-nummer of 2002, whose return is in
        client = Client(client_number="2002", kind=ClientKind.COMPANY, name="Bouw", status=ClientStatus.CLIENT,
                        rsin="111222333")
        session.add(client)
        session.flush()
        session.add(Subscription(client_id=client.id, product=Product.VAT_RETURN, frequency=Frequency.QUARTER,
                                 quarter_start_month=1))
        session.add(Case(client_id=client.id, product=Product.VAT_RETURN, period_label="2026-Q1",
                         period_start=Q1[0], period_end=Q1[1], frequency=Frequency.QUARTER, quarter_start_month=1,
                         template_code="vat_return", template_version=1, state=CaseState.WAITING_FOR_RETURN))
        session.execute(sa.update(TaxReturnDocument).where(TaxReturnDocument.id == unknown)
                        .values(fiscal_id="111222333B01"))
    assert match_returns(today=date(2026, 11, 23))["unmatched"] == {"unknown_identifier": 1}

    book = Workbook()
    sheet = book.active
    sheet.title = "Cliënten"
    sheet.append(["Cliëntnummer", "Naam", "Type", "Klantstatus", "RSIN", "OB-nummer"])
    sheet.append(["2002", "Bouw", "Bedrijf", "Klant", "111222333", "111222333B01"])
    book.create_sheet("Contacten").append(["Contactnummer", "Achternaam", "Cliëntnummer"])
    path = tmp_path / "fix.xlsx"
    book.save(path)

    result = import_crm(str(path))
    assert result["matching"]["matched"] == 1
    with unit_of_work() as session:
        case = session.scalars(sa.select(Case).join(Client).where(Client.client_number == "2002")).one()
        # Matching recorded the return; the route-cases pass that ends match-returns then took it on to
        # its first stage — blocked here, since this office has nobody holding the stage's role.
        assert case.state is CaseState.BLOCKED and case.blocked_reasons[0]["code"] == "role_missing"


def test_match_returns_is_offered_on_demand_by_serve_and_prefect_yaml():
    from pathlib import Path

    import yaml

    from sbrflow.flows.serve import deployments

    by_name = {d.name: d for d in deployments()}
    assert by_name["match-returns"].schedules == []
    assert by_name["match-returns"].entrypoint == "sbrflow.flows.matching.match_returns"
    spec = yaml.safe_load((Path(__file__).resolve().parents[2] / "prefect.yaml").read_text())
    entry = {d["name"]: d for d in spec["deployments"]}["match-returns"]
    assert entry["entrypoint"] == "sbrflow.flows.matching:match_returns" and "schedules" not in entry
