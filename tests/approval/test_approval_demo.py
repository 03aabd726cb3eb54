"""`make demo` puts a case to its client (link printed) and approves another through the page's code path."""

from __future__ import annotations

import pytest

from sbrflow.domain.case_states import CaseState
from sbrflow.flows.demo import demo_office
from sbrflow.models import Case
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.approval import approval_page, list_approvals

pytestmark = pytest.mark.flow


def test_the_demo_prints_a_working_link_and_approves_one_case(prefect_harness, db):
    result = demo_office()["approvals"]
    token = result["link"].rsplit("/a/", 1)[1]
    assert approval_page(token).request_id
    with unit_of_work() as session:
        assert session.get(Case, result["waiting_case"]).state is CaseState.WITH_CLIENT
        # Approved through the page's code path; the demo then submits that case and follows it to closed.
        assert session.get(Case, result["approved_case"]).state is CaseState.CLOSED
    decided = list_approvals("decided")
    assert [(r["case_id"], r["decision"]) for r in decided] == [(result["approved_case"], "approved")]


def test_request_approvals_flow_makes_one_request_per_waiting_case(prefect_harness, office):
    from sbrflow.flows.approval import request_approvals

    assert request_approvals() == {"requested": 1, "informed": 0, "blocked_no_recipient": 0}
    assert request_approvals()["requested"] == 0
    assert [r["case_id"] for r in list_approvals("open")] == [office.case_id]
