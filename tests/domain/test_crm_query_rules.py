"""The query manager's filter language (domain/crm_query.py): pure parsing, folding and ranking."""

from __future__ import annotations

from datetime import date

import pytest

from sbrflow.domain.crm_query import (
    PropertyDef,
    QueryError,
    columns_for,
    fold,
    parse_filter,
    parse_filters,
    rank,
    search_terms,
)

CUSTOM = [PropertyDef("Branche", "client", "choice", ("Bouw", "Horeca")), PropertyDef("Omzet", "client", "number"),
          PropertyDef("Lead", "client", "indicator"), PropertyDef("Hobby", "person", "text")]


def test_each_operator_parses_with_the_value_typed_by_its_property():
    assert parse_filter("status = Klant").value == "client"
    assert parse_filter("frequency=Maand").value == "month"
    assert parse_filter("product!=Aangifte BTW").op == "!="
    assert (parse_filter("name~bakker").op, parse_filter("name~bakker").value) == ("~", "bakker")
    assert (parse_filter("email?").op, parse_filter("email?").value) == ("?", None)
    assert parse_filter("email!?").op == "!?"
    assert parse_filter("created<2026-01-31").value == date(2026, 1, 31)
    assert parse_filter("id_expires>31-01-2026").value == date(2026, 1, 31)
    assert parse_filter("ubo=ja").value is True and parse_filter("ubo=nee").value is False
    assert parse_filter("holder=an").value == "AN"
    assert parse_filter("role:Administratie=an").field == "role:administratie"
    assert parse_filter("risk=hoog").value == "high"


def test_custom_properties_and_indicators_resolve_to_their_definition_and_side():
    branche = parse_filter("prop:branche=horeca", CUSTOM)
    assert (branche.field, branche.side, branche.value) == ("prop:Branche", "client", "Horeca")
    assert parse_filter("prop:Omzet>1500,5", CUSTOM).value == "1500.5"
    assert parse_filter("indicator=lead", CUSTOM).value == "Lead"
    assert parse_filter("prop:Hobby~zeil", CUSTOM).side == "person"


def test_bad_filters_say_which_and_list_the_valid_ones():
    with pytest.raises(QueryError, match="'kleur' is not a property you can filter on; valid: number, name, status"):
        parse_filter("kleur=rood", CUSTOM)
    with pytest.raises(QueryError, match="'Lead' is not a custom property \\(it is an indicator: write indicator=NAME\\)"):
        parse_filter("prop:Lead=ja", CUSTOM)
    with pytest.raises(QueryError, match="the operator ~ \\(contains\\) does not apply to prop:Omzet"):
        parse_filter("prop:Omzet~1", CUSTOM)
    with pytest.raises(QueryError, match="'wekelijks' is not a known filing frequency; use one of"):
        parse_filter("frequency=wekelijks")
    with pytest.raises(QueryError, match="give a value"):
        parse_filter("name=")
    with pytest.raises(QueryError) as error:
        parse_filters(["status=klant", "status=gek", "kleur=rood"])
    assert len(str(error.value).splitlines()) == 2


def test_folding_drops_case_and_accents_and_search_takes_at_most_eight_words():
    assert fold("Müller Café ÇELIK Zoë") == "muller cafe celik zoe"
    assert search_terms("  Jösé   de  Vries ") == ["jose", "de", "vries"]
    assert len(search_terms("a b c d e f g h i j")) == 8


def test_the_exact_number_ranks_first_then_numbers_starting_so_in_order_then_names():
    terms = search_terms("1001")
    keys = sorted([("10010", "Zeeman"), ("1001", "Bakkerij"), ("11001", "X 1001"), ("10011", "Aa")],
                  key=lambda hit: rank(hit[0], hit[1], terms, "1001"))
    assert [number for number, _ in keys] == ["1001", "10010", "10011", "11001"]


def test_export_columns_hold_no_bsn_and_one_column_per_custom_property_of_the_side():
    clients = columns_for("clients", CUSTOM)
    assert ("prop:Branche", "Branche") in clients and ("prop:Hobby", "Hobby") not in clients
    assert not any("bsn" in key.lower() for key, _ in clients + columns_for("persons", CUSTOM))
