"""The import-crm flow runs for real under Prefect, publishes its report, and keeps BSNs masked."""

from __future__ import annotations

import json

import openpyxl
import pytest
from prefect.artifacts import Artifact

from sbrflow.flows.crm import ARTIFACT_KEY, import_crm

pytestmark = pytest.mark.flow

BAD_BSN, OTHER_BSN, GOOD_BSN = "999999991", "123456782", "999999990"


def test_the_flow_imports_and_publishes_a_report_without_an_unmasked_bsn(prefect_harness, db, tmp_path):
    book = openpyxl.Workbook()
    clients = book.active
    clients.title = "Cliënten"
    for row in (["Cliëntnummer", "Naam", "Type", "Klantstatus", "BSN", "OB-nummer"],
                [1004, "P. Jansen", "Persoon", "Klant", BAD_BSN, None],
                [1005, "K. de Wit", "Persoon", "Klant", GOOD_BSN, f"{OTHER_BSN[:-1]}0B01"],  # fails the elfproef
                [1006, "A. Smit", "Persoon", "Klant", None, f"{GOOD_BSN}B01"]):
        clients.append(row)
    contacts = book.create_sheet("Contacten")
    for row in (["Contactnummer", "Achternaam", "Cliëntnummer", "BSN"], ["C1", "Wit", 1005, GOOD_BSN],
                ["C1", "Wit", 1004, OTHER_BSN]):
        contacts.append(row)
    path = tmp_path / "office.xlsx"
    book.save(path)

    result = import_crm(str(path), partial=True)

    assert result["written"] and result["counts"]["clients"]["created"] == 1  # 1006; 1005 falls with its OB
    assert len(result["changed_client_ids"]) == 1  # the hook for re-trying unmatched returns
    artifact = Artifact.get(ARTIFACT_KEY)
    table = artifact.data if isinstance(artifact.data, list) else json.loads(artifact.data)
    text = json.dumps(table)
    assert any(row["severity"] == "error" and row["column"] == "BSN" for row in table)
    assert any(row["severity"] == "summary" and row["sheet"] == "clients" for row in table)
    assert any(row["column"] == "OB-nummer" and row["value"].endswith("6780B01") for row in table)
    for bsn in (BAD_BSN, OTHER_BSN, GOOD_BSN, OTHER_BSN[:-1] + "0"):
        assert bsn not in text
