"""The CRM schema enforces every business identity, on SQLite and on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, Product, Role
from sbrflow.models import (
    BankAccount,
    Client,
    ClientContact,
    Person,
    RoleAssignment,
    Subscription,
    TeamMember,
)
from sbrflow.models.db import unit_of_work


def _client(number: str, **values) -> Client:
    return Client(client_number=number, kind=ClientKind.COMPANY, name=f"Client {number}",
                  status=ClientStatus.CLIENT, **values)


def _commit(*rows) -> None:
    with unit_of_work() as session:
        session.add_all(rows)


def _ids() -> dict[str, int]:
    with unit_of_work() as session:
        return dict(session.execute(sa.select(Client.client_number, Client.id)).all())


def test_two_clients_cannot_share_a_client_number(db):
    _commit(_client("1001"))
    with pytest.raises(IntegrityError):
        _commit(_client("1001"))


def test_two_persons_cannot_share_a_contact_number(db):
    _commit(Person(contact_number="C1", last_name="Jansen"))
    with pytest.raises(IntegrityError):
        _commit(Person(contact_number="C1", last_name="de Vries"))


def test_a_person_can_be_contact_for_several_clients(db):
    _commit(_client("1001"), _client("1002"), _client("1003"))
    ids = _ids()
    with unit_of_work() as session:
        dga = Person(contact_number="C1", last_name="Jansen")
        session.add(dga)
        session.flush()
        for number, function in (("1001", "DGA"), ("1002", "directeur"), ("1003", "directeur")):
            session.add(ClientContact(client_id=ids[number], person_id=dga.id, function=function))
    with unit_of_work() as session:
        dga = session.scalars(sa.select(Person).where(Person.contact_number == "C1")).one()
        assert sorted(link.client.client_number for link in dga.client_links) == ["1001", "1002", "1003"]


def test_a_person_is_linked_to_a_client_only_once(db):
    _commit(_client("1001"), Person(contact_number="C1", last_name="Jansen"))
    with unit_of_work() as session:
        person_id = session.scalar(sa.select(Person.id))
    client_id = _ids()["1001"]
    _commit(ClientContact(client_id=client_id, person_id=person_id, function="DGA"))
    with pytest.raises(IntegrityError):
        _commit(ClientContact(client_id=client_id, person_id=person_id, function="directeur"))


def test_a_role_is_held_by_one_team_member_per_client(db):
    _commit(_client("1001"), TeamMember(code="AB", name="Anna"), TeamMember(code="JV", name="Jan"))
    with unit_of_work() as session:
        members = dict(session.execute(sa.select(TeamMember.code, TeamMember.id)).all())
    client_id = _ids()["1001"]
    _commit(RoleAssignment(client_id=client_id, role=Role.FISCAAL, team_member_id=members["AB"]))
    with pytest.raises(IntegrityError):
        _commit(RoleAssignment(client_id=client_id, role=Role.FISCAAL, team_member_id=members["JV"]))


def test_a_role_may_have_one_override_per_product_besides_the_general_assignment(db):
    _commit(_client("1001"), TeamMember(code="AB", name="Anna"), TeamMember(code="JV", name="Jan"))
    with unit_of_work() as session:
        members = dict(session.execute(sa.select(TeamMember.code, TeamMember.id)).all())
    client_id = _ids()["1001"]
    _commit(
        RoleAssignment(client_id=client_id, role=Role.FISCAAL, team_member_id=members["AB"]),
        RoleAssignment(client_id=client_id, role=Role.FISCAAL, team_member_id=members["JV"],
                       product=Product.PAYROLL_RETURN),
    )
    with pytest.raises(IntegrityError):
        _commit(RoleAssignment(client_id=client_id, role=Role.FISCAAL, team_member_id=members["AB"],
                               product=Product.PAYROLL_RETURN))


def test_a_client_takes_a_product_only_once(db):
    _commit(_client("1001"))
    client_id = _ids()["1001"]
    _commit(Subscription(client_id=client_id, product=Product.VAT_RETURN, frequency=Frequency.MONTH))
    with pytest.raises(IntegrityError):
        _commit(Subscription(client_id=client_id, product=Product.VAT_RETURN, frequency=Frequency.QUARTER,
                             quarter_start_month=1))


def test_a_quarter_can_only_start_in_month_1_2_or_3(db):
    _commit(_client("1001"))
    with pytest.raises(IntegrityError):
        _commit(Subscription(client_id=_ids()["1001"], product=Product.VAT_RETURN,
                             frequency=Frequency.QUARTER, quarter_start_month=4))


def test_an_unknown_status_is_rejected_by_the_database(db):
    _commit(_client("1001"))
    with pytest.raises(IntegrityError), db.begin() as conn:
        conn.execute(sa.text("UPDATE client SET status = 'klant' WHERE client_number = '1001'"))


def test_a_share_above_100_percent_is_rejected(db):
    _commit(_client("1001"), Person(contact_number="C1", last_name="Jansen"))
    with unit_of_work() as session:
        person_id = session.scalar(sa.select(Person.id))
    with pytest.raises(IntegrityError):
        _commit(ClientContact(client_id=_ids()["1001"], person_id=person_id, share_percentage=Decimal("100.01")))


def test_deleting_a_client_removes_its_links_but_not_the_person(db):
    _commit(_client("1001"), Person(contact_number="C1", last_name="Jansen"), TeamMember(code="AB", name="A"))
    with unit_of_work() as session:
        person_id = session.scalar(sa.select(Person.id))
        member_id = session.scalar(sa.select(TeamMember.id))
    client_id = _ids()["1001"]
    _commit(ClientContact(client_id=client_id, person_id=person_id),
            BankAccount(client_id=client_id, iban="NL91ABNA0417164300"),
            RoleAssignment(client_id=client_id, role=Role.SALARIS, team_member_id=member_id),
            Subscription(client_id=client_id, product=Product.PAYROLL_RETURN, frequency=Frequency.MONTH))
    with db.begin() as conn:  # plain SQL: the database's ON DELETE rules, not the ORM's cascade
        conn.execute(sa.text("DELETE FROM client WHERE id = :id"), {"id": client_id})
    with unit_of_work() as session:
        for model in (ClientContact, BankAccount, RoleAssignment, Subscription):
            assert session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1


def test_a_team_member_who_holds_a_role_cannot_be_deleted(db):
    _commit(_client("1001"), TeamMember(code="AB", name="A"))
    with unit_of_work() as session:
        member_id = session.scalar(sa.select(TeamMember.id))
    _commit(RoleAssignment(client_id=_ids()["1001"], role=Role.SALARIS, team_member_id=member_id))
    with pytest.raises(IntegrityError), db.begin() as conn:
        conn.execute(sa.text("DELETE FROM team_member WHERE id = :id"), {"id": member_id})


def test_deleting_a_cluster_head_leaves_its_members_without_a_head(db):
    _commit(_client("1001", is_cluster_head=True))
    head_id = _ids()["1001"]
    _commit(_client("1002", cluster_head_id=head_id, billed_to_id=head_id))
    with db.begin() as conn:
        conn.execute(sa.text("DELETE FROM client WHERE id = :id"), {"id": head_id})
    with unit_of_work() as session:
        member = session.scalars(sa.select(Client)).one()
        assert (member.cluster_head_id, member.billed_to_id) == (None, None)


def test_unit_of_work_writes_nothing_when_the_work_fails(db):
    with pytest.raises(RuntimeError), unit_of_work() as session:
        session.add(_client("1001"))
        session.flush()
        raise RuntimeError("half-way")
    assert _ids() == {}
