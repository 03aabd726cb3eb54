"""`sbrflow crm note|follow-up|add-person|merge-persons|delete-person` and follow-ups in `work list`, both databases."""

from __future__ import annotations

import json
from datetime import date, timedelta

from typer.testing import CliRunner

from sbrflow.cli.main import app
from tests.tasks.test_crm_people import BSN, _office

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(map(str, args)))


def test_notes_are_added_edited_listed_and_shown_with_their_history(db):
    _office()
    added = run("crm", "note", "add", "--client", "1001", "--title", "Bel na 10 uur", "--text", "Eigenaar weg",
                "--in-cases", "--by", "AD", "--json")
    assert added.exit_code == 0, added.output
    note_id = json.loads(added.stdout)["id"]
    edited = run("crm", "note", "edit", str(note_id), "--text", "Eigenaar na 11 uur", "--pinned", "--by", "BO")
    assert edited.exit_code == 0 and f"note {note_id}: version 2 (pinned, text changed)" in edited.output
    listed = run("crm", "note", "list", "--client", "1001")
    assert "[pinned] [in cases] Bel na 10 uur" in listed.output and "1 notes" in listed.output
    shown = run("crm", "note", "show", str(note_id))
    assert "Eigenaar na 11 uur" in shown.output and "v1 " in shown.output and "v2 " in shown.output
    bad = run("crm", "note", "add", "--client", "1001", "--title", "x", "--text", "y", "--priority", "urgent",
              "--by", "AD")
    assert bad.exit_code == 1 and "valid are: low, normal, high" in bad.output
    assert run("crm", "note", "show", "4242").exit_code == 2


def test_a_follow_up_is_in_the_work_list_from_its_date_until_done(db):
    _office()
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    later = (date.today() + timedelta(days=30)).isoformat()
    made = run("crm", "follow-up", "add", "--client", "1001", "--title", "Bel over jaarrekening", "--on", yesterday,
               "--to", "BO", "--by", "AD", "--json")
    assert made.exit_code == 0, made.output
    follow_up_id = json.loads(made.stdout)["follow_up_id"]
    assert run("crm", "follow-up", "add", "--person", "5001", "--title", "Later", "--on", later, "--to", "BO",
               "--by", "AD").exit_code == 0
    listed = run("work", "list", "--member", "BO")
    assert listed.exit_code == 0 and "follow-ups due (1):" in listed.output
    assert "Bel over jaarrekening" in listed.output and "Later" not in listed.output
    (item,) = json.loads(run("work", "list", "--member", "BO", "--json").stdout)
    assert item["kind"] == "follow_up" and item["follow_up_id"] == follow_up_id and item["due_on"] == yesterday
    assert "2 follow-ups" in run("crm", "follow-up", "list", "--member", "BO").output
    assert run("crm", "follow-up", "done", str(follow_up_id), "--by", "BO").exit_code == 0
    assert json.loads(run("work", "list", "--member", "BO", "--json").stdout) == []
    assert "nothing open for BO" in run("work", "list", "--member", "BO").output


def test_add_person_warns_lists_the_candidates_without_the_bsn_and_creates_nothing(db):
    _office()
    warned = run("crm", "add-person", "--first-name", "Jan", "--last-name", "Jansen", "--bsn", BSN, "--by", "AD")
    assert warned.exit_code == 1
    assert "contact 5001 Jan de Vries <jan@bakkerij.example>, contact of 1001: same BSN" in warned.output
    assert "--use CONTACT_NUMBER" in warned.output and BSN not in warned.output
    linked = run("crm", "add-person", "--first-name", "Jan", "--last-name", "Jansen", "--bsn", BSN,
                 "--client", "1002", "--function", "DGA", "--use", "5001", "--by", "AD")
    assert linked.exit_code == 0 and "contact 5001 linked at client 1002 as DGA" in linked.output
    forced = run("crm", "add-person", "--first-name", "Jan", "--last-name", "Jansen", "--email",
                 "jan@bakkerij.example", "--force", "--by", "AD")
    assert forced.exit_code == 0 and "contact S00001 created" in forced.output
    assert "looks like contact 5001: same e-mail" in forced.output


def test_merge_and_delete_persons_from_the_command_line(db):
    _office()
    assert run("crm", "add-person", "--last-name", "Smit", "--first-name", "P.", "--by", "AD").exit_code == 0
    merged = run("crm", "merge-persons", "5002", "S00001", "--by", "BO")
    assert merged.exit_code == 0 and "S00001 is now an alias of 5002" in merged.output
    again = run("crm", "merge-persons", "5002", "S00001", "--by", "BO")
    assert again.exit_code == 1 and "merged into 5002 already" in again.output
    refused = run("crm", "delete-person", "5002", "--by", "BO", "--reason", "AVG")
    assert refused.exit_code == 1 and "only admins delete persons" in refused.output
    deleted = run("crm", "delete-person", "5002", "--by", "AD", "--reason", "AVG-verzoek")
    assert deleted.exit_code == 0 and "contact 5002 (and its merged numbers S00001) deleted by AD" in deleted.output
    assert run("crm", "delete-person", "5002", "--by", "AD", "--reason", "x").exit_code == 2
