"""Readiness on a real database (SQLite and PostgreSQL): set-based facts, per-client reasons, the check report."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sbrflow.domain.enums import ClientStatus, Product, Role
from sbrflow.domain.readiness import Reason
from sbrflow.integrations.crm import write_workbook
from sbrflow.models import Client, Person, RoleAssignment, Subscription, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_check import check_readiness
from sbrflow.tasks.crm_import import import_workbook
from sbrflow.tasks.demo import complete_demo_office, demo_workbook_rows
from sbrflow.tasks.readiness import judge_clients

TODAY = date(2026, 11, 23)


def load_demo(tmp_path, identified: bool = True) -> dict[str, int]:
    assert import_workbook(write_workbook(tmp_path / "demo.xlsx", *demo_workbook_rows())).written
    complete_demo_office.fn()  # the holding owns its work companies: Piet is their UBO through it
    # Piet's Wwft identification (the demo office has it on file), or none, to see the UBO rules at work.
    with unit_of_work() as session:
        session.execute(sa.update(Person).where(Person.contact_number == "C001").values(
            id_document_type="paspoort" if identified else None,
            id_document_number="NW1234567" if identified else None,
            id_document_expires_on=None, id_verified_on=date(2026, 1, 5) if identified else None))
    with unit_of_work() as session:
        return dict(session.execute(sa.select(Client.client_number, Client.id)).all())


def reasons_by_number(result: dict) -> dict[str, list[str]]:
    return {c["client_number"]: [p["reason"] for p in c["problems"]] for c in result["clients"]}


def test_the_check_lists_per_client_what_blocks_its_vat_workflow(db, tmp_path):
    load_demo(tmp_path, identified=False)
    result = check_readiness(product="vat_return", today=TODAY)
    found = reasons_by_number(result)
    # 1006 is a prospect; 9001 (the bank) is a relation
    assert not result["ready"] and set(found) == {"1001", "1002", "1003", "1004", "1005"}
    # The DGA holds 100 % of the holding, and through it 100 % of 1002 and 60 % of 1003, with no identification.
    assert found["1001"] == found["1002"] == found["1003"] == ["ubo_not_identified"]
    assert found["1005"] == []
    assert "product_not_linked" in found["1004"]


def test_without_a_product_the_roles_of_every_product_the_client_takes_count(db, tmp_path):
    ids = load_demo(tmp_path)
    with unit_of_work() as session:
        session.execute(sa.delete(RoleAssignment).where(RoleAssignment.client_id == ids["1002"],
                                                        RoleAssignment.role == Role.SALARIS))
    found = reasons_by_number(check_readiness(today=TODAY))
    assert found["1002"] == ["role_missing"] and found["1003"] == []


def test_judging_chosen_clients_answers_for_each_whatever_its_status(db, tmp_path):
    ids = load_demo(tmp_path)
    with unit_of_work() as session:
        judged = judge_clients(session, today=TODAY, product=Product.VAT_RETURN,
                               client_ids=[ids["1003"], ids["1006"]])
    assert judged[ids["1003"]] == []
    assert [p.reason for p in judged[ids["1006"]]] == [Reason.NOT_A_CLIENT]


def test_a_product_role_held_by_an_inactive_member_is_missing_even_with_an_active_general_holder(db, tmp_path):
    ids = load_demo(tmp_path)
    with unit_of_work() as session:
        session.add(TeamMember(code="OUT", name="Left the office", active=False))
        session.flush()
        out = session.scalar(sa.select(TeamMember.id).where(TeamMember.code == "OUT"))
        session.add(RoleAssignment(client_id=ids["1003"], role=Role.FISCAAL, team_member_id=out,
                                   product=Product.VAT_RETURN))
    with unit_of_work() as session:
        vat = judge_clients(session, today=TODAY, product=Product.VAT_RETURN, required_roles={Role.FISCAAL})
        payroll = judge_clients(session, today=TODAY, product=Product.PAYROLL_RETURN, required_roles={Role.FISCAAL})
    assert [p.reason for p in vat[ids["1003"]]] == [Reason.ROLE_MISSING]
    assert payroll[ids["1003"]] == []


def test_an_email_two_persons_share_is_not_a_contact_email(db, tmp_path):
    ids = load_demo(tmp_path)
    with unit_of_work() as session:
        session.execute(sa.update(Person).where(Person.contact_number == "C001")
                        .values(email="kees@korenaar.example"))
    with unit_of_work() as session:
        judged = judge_clients(session, today=TODAY, client_ids=[ids["1002"], ids["1005"]])
    assert [p.reason for p in judged[ids["1005"]]] == [Reason.NO_CONTACT_EMAIL]
    assert judged[ids["1002"]] == []  # C002's own address still reaches 1002


def test_a_subscription_that_has_ended_does_not_link_the_product(db, tmp_path):
    ids = load_demo(tmp_path)
    with unit_of_work() as session:
        session.execute(sa.update(Subscription).where(Subscription.client_id == ids["1003"])
                        .values(active_from=date(2024, 1, 1), active_until=date(2025, 12, 31)))
        judged = judge_clients(session, today=TODAY, product=Product.VAT_RETURN, client_ids=[ids["1003"]])
    assert Reason.PRODUCT_NOT_LINKED in [p.reason for p in judged[ids["1003"]]]


def test_only_clients_with_status_client_are_checked(db, tmp_path):
    ids = load_demo(tmp_path)
    with unit_of_work() as session:
        session.execute(sa.update(Client).where(Client.id != ids["1003"]).values(status=ClientStatus.FORMER_CLIENT))
    result = check_readiness(product="vat_return", today=TODAY)
    assert result["ready"] and [c["client_number"] for c in result["clients"]] == ["1003"]
