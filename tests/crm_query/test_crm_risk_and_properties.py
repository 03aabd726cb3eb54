"""Risk classification with its history, and the planning and acceptance blocks (risk_unacceptable); custom properties."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sbrflow.domain.case_states import CaseState
from sbrflow.domain.crm_query import QueryError
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, Product
from sbrflow.domain.errors import NotFound, SbrflowError
from sbrflow.domain.readiness import ClientFacts, Reason, readiness_problems
from sbrflow.tasks import crm_properties, crm_risk
from sbrflow.tasks.crm_status import AcceptanceIncomplete, change_status
from tests.tasks.test_planning import RUN, add_client, cases, plan

T1, T2 = datetime(2026, 3, 1, 9, tzinfo=UTC), datetime(2026, 4, 1, 9, tzinfo=UTC)


def test_every_risk_change_is_a_history_row_with_who_when_from_to_and_motivation(crm):
    crm_risk.set_risk("1001", "laag", motivation="known baker since 1990", by="bo", now=T1)
    changed = crm_risk.set_risk("1001", "high", motivation="cash payments from abroad", by="AN", now=T2)
    assert (changed["from"], changed["to"], changed["by"]) == ("low", "high", "AN")
    report = crm_risk.risk_history("1001")
    assert report["risk_class"] == "high" and report["motivation"] == "cash payments from abroad"
    assert report["history"] == [
        {"at": T1.isoformat(), "by": "BO", "from": None, "to": "low", "motivation": "known baker since 1990"},
        {"at": T2.isoformat(), "by": "AN", "from": "low", "to": "high", "motivation": "cash payments from abroad"},
    ]
    assert crm_risk.risk_history("1002") == {"client_number": "1002", "risk_class": None, "motivation": None,
                                             "history": []}


def test_a_risk_needs_a_known_class_a_motivation_a_member_and_a_client(crm):
    with pytest.raises(QueryError, match="'medium' is not a risk class; use one of: low, high, unacceptable"):
        crm_risk.set_risk("1001", "medium", motivation="x", by="AN")
    with pytest.raises(QueryError, match="needs a motivation"):
        crm_risk.set_risk("1001", "low", motivation=" ", by="AN")
    with pytest.raises(NotFound, match="no team member with code 'ZZ'"):
        crm_risk.set_risk("1001", "low", motivation="x", by="ZZ")
    with pytest.raises(NotFound, match="no client with number '4242'"):
        crm_risk.set_risk("4242", "low", motivation="x", by="AN")
    assert crm_risk.risk_history("1001")["history"] == []


def test_unacceptable_is_a_readiness_reason_and_low_or_high_are_not():
    facts = ClientFacts("1", ClientKind.COMPANY, ClientStatus.CLIENT)
    assert Reason.RISK_UNACCEPTABLE not in {p.reason for p in readiness_problems(facts, today=date(2026, 1, 1))}
    for risk, blocked in (("low", False), ("high", False), ("unacceptable", True)):
        facts = ClientFacts("1", ClientKind.COMPANY, ClientStatus.CLIENT, risk_class=risk)
        reasons = {p.reason for p in readiness_problems(facts, today=date(2026, 1, 1))}
        assert (Reason.RISK_UNACCEPTABLE in reasons) is blocked


def test_planning_blocks_an_unacceptable_client_with_risk_unacceptable_and_unblocks_after_reclassifying(db):
    add_client("1", (Product.VAT_RETURN, Frequency.QUARTER))
    add_client("2", (Product.VAT_RETURN, Frequency.QUARTER))
    from sbrflow.models import TeamMember
    from sbrflow.models.db import unit_of_work

    with unit_of_work() as session:
        session.add(TeamMember(code="WW", name="Wwft officer"))
    crm_risk.set_risk("1", "unacceptable", motivation="sanctions list hit", by="WW")
    summary = plan(RUN)
    blocked = cases(client="1")
    assert blocked and all(c.state is CaseState.BLOCKED for c in blocked)
    assert all([r["code"] for r in c.blocked_reasons] == ["risk_unacceptable"] for c in blocked)
    assert all(c.state is not CaseState.BLOCKED for c in cases(client="2"))
    assert {r["reasons"] for r in summary["rows"]} == {"risk_unacceptable=1"}
    crm_risk.set_risk("1", "high", motivation="hit was a namesake", by="WW")
    plan(RUN)
    assert all(c.state is not CaseState.BLOCKED for c in cases(client="1"))


def test_an_unacceptable_client_cannot_be_accepted_as_klant(crm):
    from sbrflow.models import Client
    from sbrflow.models.db import unit_of_work

    with unit_of_work() as session:
        session.query(Client).filter_by(client_number="1002").update({"status": ClientStatus.ACCEPTANCE_ADMIN})
    from sbrflow.models import TeamMember

    with unit_of_work() as session:
        session.query(TeamMember).filter_by(code="AN").update({"central_admin": True})
    crm_risk.set_risk("1002", "unacceptable", motivation="refuses to identify the UBO", by="AN")
    with pytest.raises(AcceptanceIncomplete) as refused:
        change_status("1002", "Klant", "AN")
    assert "risk_unacceptable: the Wwft risk classification is unacceptable" in str(refused.value)


def test_only_an_admin_defines_properties_and_bad_definitions_say_what_is_valid(crm):
    with pytest.raises(crm_properties.NotAdmin, match="BO is not an admin"):
        crm_properties.define_property("Branche", kind="text", target="client", by="BO")
    with pytest.raises(QueryError, match="'colour' is not a property type; valid: text, number, date, choice, indicator"):
        crm_properties.define_property("Kleur", kind="colour", target="client", by="AN")
    with pytest.raises(QueryError, match="valid: client, person"):
        crm_properties.define_property("Kleur", kind="text", target="case", by="AN")
    with pytest.raises(QueryError, match="needs its choices"):
        crm_properties.define_property("Kleur", kind="choice", target="client", by="AN")
    crm_properties.define_property("Lead", kind="indicator", target="client", by="AN")
    with pytest.raises(SbrflowError, match="exists already"):
        crm_properties.define_property("lead", kind="indicator", target="person", by="AN")
    assert crm_properties.list_properties() == [{"name": "Lead", "kind": "indicator", "target": "client", "choices": []}]


def test_values_are_checked_against_the_definition_and_can_be_cleared(crm):
    crm_properties.define_property("Opgericht", kind="date", target="client", by="AN")
    crm_properties.define_property("Hobby", kind="text", target="person", by="AN")
    crm_properties.define_property("Lead", kind="indicator", target="client", by="AN")
    assert crm_properties.set_value("1001", "opgericht", "31-12-1990", by="BO")["value"] == "1990-12-31"
    with pytest.raises(QueryError, match="is not a date"):
        crm_properties.set_value("1001", "Opgericht", "gisteren", by="BO")
    with pytest.raises(QueryError, match="takes no value"):
        crm_properties.set_value("1001", "Lead", "ja", by="BO")
    with pytest.raises(NotFound, match="no person with contact number '1001'"):
        crm_properties.set_value("1001", "Hobby", "zeilen", by="BO")  # a person's property takes a contact number
    with pytest.raises(NotFound, match="no custom property or indicator named 'Kleur'; defined: Hobby, Lead, Opgericht"):
        crm_properties.set_value("1001", "Kleur", "rood", by="BO")
    crm_properties.set_value("P1", "Hobby", "zeilen", by="BO")
    crm_properties.set_value("P1", "Hobby", "fietsen", by="BO")
    assert crm_properties.clear_value("P1", "Hobby", by="BO")["cleared"] is True
    assert crm_properties.clear_value("P1", "Hobby", by="BO")["cleared"] is False
