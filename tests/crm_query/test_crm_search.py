"""`crm search` on both databases: accent- and case-insensitive, over numbers, names and e-mail, exact number first."""

from __future__ import annotations

from sbrflow.models import Client, Person
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_search import search


def _found(text: str) -> list[tuple[str, str]]:
    return [(hit["kind"], hit["number"]) for hit in search(text)]


def test_search_ignores_accents_and_case_in_both_directions(crm):
    assert ("client", "1001") in _found("muller")  # Bakkerij Müller
    assert ("client", "1001") in _found("MÜLLER")
    assert ("person", "P3") in _found("muller")  # Piet Müller
    assert ("person", "P1") in _found("jose")  # José de Vries
    assert ("client", "1002") in _found("cafe hoekje")
    assert ("person", "P4") in _found("zoe")


def test_search_finds_a_person_by_e_mail_and_by_contact_number_and_lists_their_clients(crm):
    hits = search("jose@muller.example")
    assert hits[0]["kind"] == "person" and hits[0]["number"] == "P1"
    assert hits[0]["clients"] == ["1001", "1003"]
    assert _found("P2")[0] == ("person", "P2")


def test_search_ranks_the_exact_client_number_first_then_numbers_starting_so(crm):
    assert _found("1001")[:2] == [("client", "1001"), ("client", "10010")]
    assert _found("10010")[0] == ("client", "10010")


def test_every_word_must_match_and_empty_text_finds_nothing(crm):
    assert _found("muller transport") == [("client", "1003")]
    assert _found("muller zeeman") == []
    assert search("   ") == []


def test_the_search_follows_renames_and_deletes(crm):
    with unit_of_work() as session:
        client = session.query(Client).filter_by(client_number="1002").one()
        client.name = "Brasserie Noël"
        session.delete(session.query(Person).filter_by(contact_number="P4").one())
    assert _found("noel") == [("client", "1002")]
    assert _found("hoekje") == []
    assert ("person", "P4") not in _found("zeeman")
