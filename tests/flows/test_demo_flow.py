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
    # Messages: the approval mail of the case waiting for its client and the escalations of the cases due
    # 30 November reach the demo's own SMTP server, once; the mail of the case approved meanwhile is cancelled.
    assert first["messages"]["escalations"] == 3
    assert first["messages"]["sent"] == first["messages"]["received_by_smtp_server"] == 4
    # Again: no reminder or escalation twice; only the new link the approval demo makes on every run is mailed.
    assert second["messages"]["queued"] == second["messages"]["escalations"] == 0
    assert second["messages"]["sent"] == second["messages"]["received_by_smtp_server"] <= 1
    # The approved demo case went to the Digipoort simulator and was followed to closed, once.
    assert first["submission"]["closed"] == 1 and second["submission"].get("delivered", 0) == 0
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
