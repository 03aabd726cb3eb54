"""The demo office flow runs for real under Prefect, on both databases, and can run again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sbrflow.flows.demo import demo_office
from sbrflow.models import Client, ClientContact, Person
from sbrflow.models.db import unit_of_work

pytestmark = pytest.mark.flow


def test_the_demo_office_loads_once_however_often_it_runs(prefect_harness, db):
    first = demo_office()
    second = demo_office()
    assert first["summary"] == second["summary"]
    assert first["summary"]["clients"] == 6
    with unit_of_work() as session:
        dga = session.scalars(sa.select(Person).where(Person.contact_number == "C001")).one()
        assert len(dga.client_links) == 3
        head = session.scalars(sa.select(Client).where(Client.client_number == "1001")).one()
        assert head.is_cluster_head
        assert sorted(m.client_number for m in head.cluster_members) == ["1002", "1003", "1004"]
        assert session.scalar(sa.select(sa.func.count()).select_from(ClientContact)) == 5
    # The simulator's port is gone after the demo: its source is left disabled, so later polls skip it.
    from sbrflow.tasks.returns_reads import list_sources

    assert [(s["name"], s["enabled"]) for s in list_sources()] == [("demo-simulator", False)]
