"""`sbrflow crm status | work-stop | document | pseudo-ubo | same-address` on both databases: output and exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sbrflow.cli.main import app
from sbrflow.tasks.crm_import import import_workbook
from tests.tasks.test_crm_seeds import STRUCTURE, office

runner = CliRunner()


def crm(*args: str):
    return runner.invoke(app, ["crm", *map(str, args)])


def test_crm_status_moves_a_client_with_by_and_note_and_shows_the_log(db, tmp_path):
    import_workbook(office(tmp_path))
    moved = crm("status", "1003", "--to", "Klantacceptatie-concept", "--by", "PK", "--note", "intake")
    assert moved.exit_code == 0, moved.output
    assert "client 1003: client_request → acceptance_draft (by PK)" in moved.output
    shown = crm("status", "1003")
    assert shown.exit_code == 0
    assert "Klantacceptatie-concept (acceptance_draft)" in shown.output
    assert "next steps: acceptance_review" in shown.output and "document engagement_letter: missing" in shown.output
    assert "PK: client_request → acceptance_draft — intake" in shown.output
    report = json.loads(crm("status", "1003", "--json").output)
    assert [entry["by"] for entry in report["log"]] == ["import", "PK"]


def test_crm_status_refuses_a_step_without_permission_and_exits_one_or_two_when_not_found(db, tmp_path):
    import_workbook(office(tmp_path))
    skipped = crm("status", "1003", "--to", "Klant", "--by", "CA")
    assert skipped.exit_code == 1 and "error: client_request cannot go to client directly" in skipped.output
    assert crm("status", "1003", "--to", "concept").exit_code == 1  # --by is required with --to
    missing = crm("status", "4242", "--to", "concept", "--by", "PK")
    assert missing.exit_code == 2 and "no client with number '4242'" in missing.output


def test_work_stop_document_and_pseudo_ubo_commands(db, tmp_path):
    import_workbook(office(tmp_path))
    stop = crm("work-stop", "1002", "--reason", "facturen onbetaald", "--since", "2026-03-01")
    assert stop.exit_code == 0 and "werkstop since 2026-03-01: facturen onbetaald" in stop.output
    assert "no werkstop" in crm("work-stop", "1002", "--lift").output
    assert crm("work-stop", "1002").exit_code == 1  # a reason is needed
    document = crm("document", "1003", "KvK-uittreksel", "--reference", "DMS-9")
    assert document.exit_code == 0 and "KvK extract" in document.output
    assert "document kvk_extract: present" in crm("status", "1003").output
    assert crm("pseudo-ubo", "1002", "C002").exit_code == 0
    assert crm("pseudo-ubo", "1002", "C999").exit_code == 2


def test_crm_same_address_lists_the_others(db, tmp_path):
    import_workbook(office(tmp_path, **STRUCTURE))
    result = crm("same-address", "1001")
    assert result.exit_code == 0
    assert "client   1002" in result.output and "contact  C001" in result.output and "2 others" in result.output
    assert crm("same-address", "nobody").exit_code == 2


def test_a_new_registration_starts_as_prospect_or_klantaanvraag_never_as_klant(db, tmp_path):
    import_workbook(office(tmp_path))
    refused = crm("register", "1010", "--name", "Nieuw B.V.", "--type", "Bedrijf", "--by", "PK", "--status", "Klant")
    assert refused.exit_code == 1 and "cannot start as Klant" in refused.output
    made = crm("register", "1010", "--name", "Nieuw B.V.", "--type", "Bedrijf", "--by", "PK",
               "--status", "Klantaanvraag")
    assert made.exit_code == 0 and "registered as client_request" in made.output
    assert "PK: - → client_request" in crm("status", "1010").output
