"""Rules for the words offices use in their spreadsheets."""

from __future__ import annotations

import pytest

from sbrflow.domain import vocabulary
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, LegalForm, Product, Role
from sbrflow.domain.vocabulary import (
    UnknownWord,
    bool_label,
    frequency_label,
    label,
    parse_bool,
    parse_client_kind,
    parse_client_status,
    parse_filing_frequency,
    parse_frequency,
    parse_legal_form,
    parse_product,
    parse_role,
)


@pytest.mark.parametrize(
    ("word", "kind"),
    [("Bedrijf", ClientKind.COMPANY), ("company", ClientKind.COMPANY), ("  PERSOON ", ClientKind.PERSON),
     ("person", ClientKind.PERSON), ("Klant-Persoon", ClientKind.PERSON)],
)
def test_client_kind_is_read_from_dutch_or_english(word, kind):
    assert parse_client_kind(word) is kind


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Suspect", ClientStatus.SUSPECT),
        ("prospect", ClientStatus.PROSPECT),
        ("Acceptatie concept", ClientStatus.ACCEPTANCE_DRAFT),
        ("Acceptatie - beoordeling", ClientStatus.ACCEPTANCE_REVIEW),
        ("acceptance_admin", ClientStatus.ACCEPTANCE_ADMIN),
        ("Klant", ClientStatus.CLIENT),
        ("Cliënt", ClientStatus.CLIENT),
        ("CLIENT", ClientStatus.CLIENT),
        ("Oud-klant", ClientStatus.FORMER_CLIENT),
        ("Ex-klant", ClientStatus.FORMER_CLIENT),
        ("Former client", ClientStatus.FORMER_CLIENT),
        ("former_client", ClientStatus.FORMER_CLIENT),
    ],
)
def test_client_status_ignores_case_accents_spaces_and_punctuation(word, status):
    assert parse_client_status(word) is status


@pytest.mark.parametrize(
    ("word", "form"),
    [
        ("BV", LegalForm.BV), ("B.V.", LegalForm.BV), (" b.v ", LegalForm.BV), ("NV", LegalForm.NV),
        ("VOF", LegalForm.GENERAL_PARTNERSHIP), ("V.O.F.", LegalForm.GENERAL_PARTNERSHIP),
        ("Eenmanszaak", LegalForm.SOLE_PROPRIETORSHIP), ("Maatschap", LegalForm.PARTNERSHIP),
        ("CV", LegalForm.LIMITED_PARTNERSHIP), ("Stichting", LegalForm.FOUNDATION),
        ("Vereniging", LegalForm.ASSOCIATION), ("Coöperatie", LegalForm.COOPERATIVE),
        ("Cooperatie U.A.", LegalForm.COOPERATIVE), ("Natuurlijk persoon", LegalForm.NATURAL_PERSON),
        ("sole_proprietorship", LegalForm.SOLE_PROPRIETORSHIP), ("Overig", LegalForm.OTHER),
    ],
)
def test_legal_form_is_read_from_the_usual_abbreviations_and_names(word, form):
    assert parse_legal_form(word) is form


@pytest.mark.parametrize(
    ("word", "frequency"),
    [
        ("Maand", Frequency.MONTH), ("month", Frequency.MONTH), ("Kwartaal", Frequency.QUARTER),
        ("Jaar", Frequency.YEAR), ("4-weken", Frequency.FOUR_WEEKLY), ("Vierweken", Frequency.FOUR_WEEKLY),
        ("four_weekly", Frequency.FOUR_WEEKLY), ("4 weken", Frequency.FOUR_WEEKLY), ("Halfjaar", Frequency.HALF_YEAR),
    ],
)
def test_frequency_is_read_from_dutch_or_english(word, frequency):
    assert parse_frequency(word) is frequency


@pytest.mark.parametrize("word", ["", "   ", None, "Geen", "n.v.t."])
def test_an_empty_frequency_means_the_product_is_not_taken(word):
    assert parse_frequency(word) is None


def test_a_plain_quarter_starts_in_january_and_a_shifted_one_in_february_or_march():
    assert parse_filing_frequency("Kwartaal") == (Frequency.QUARTER, 1)
    assert parse_filing_frequency("Kwartaal feb-apr") == (Frequency.QUARTER, 2)
    assert parse_filing_frequency("Kwartaal (mrt - mei)") == (Frequency.QUARTER, 3)
    assert parse_filing_frequency("Maand") == (Frequency.MONTH, None)


@pytest.mark.parametrize("value", ["Ja", "ja", "J", "Yes", "Y", "1", "1.0", "1,0", "True", "WAAR", True, 1, 1.0])
def test_yes_is_read_in_every_way_excel_and_people_write_it(value):
    assert parse_bool(value) is True


@pytest.mark.parametrize("value", ["Nee", "N", "no", "0", "0.0", "False", "ONWAAR", False, 0, 0.0])
def test_no_is_read_in_every_way_excel_and_people_write_it(value):
    assert parse_bool(value) is False


def test_an_empty_yes_no_cell_takes_the_default_or_is_an_error_without_one():
    assert parse_bool("", default=False) is False
    assert parse_bool(None, default=True) is True
    with pytest.raises(UnknownWord):
        parse_bool("")


def test_an_unknown_word_lists_the_accepted_values():
    with pytest.raises(UnknownWord) as caught:
        parse_client_status("Klantje")
    message = str(caught.value)
    assert message.startswith("'Klantje' is not a known client status; use one of: Suspect, Prospect,")
    assert "Geen klant meer" in message and "former_client" in message and "Relatie" in message


def test_an_unknown_frequency_mentions_that_empty_means_not_taken():
    with pytest.raises(UnknownWord) as caught:
        parse_frequency("Wekelijks")
    assert "leave it empty when not taken" in str(caught.value)
    assert "Kwartaal feb-apr" in str(caught.value)


def test_an_unknown_yes_no_value_lists_ja_and_nee():
    with pytest.raises(UnknownWord, match="'misschien' is not a known yes/no value; use one of: Ja, Nee"):
        parse_bool("misschien")


def test_roles_and_products_are_read_for_command_line_filters():
    assert parse_role("Fiscaal") is Role.FISCAAL
    assert parse_role("payroll") is Role.SALARIS
    assert parse_product("Aangifte BTW") is Product.VAT_RETURN
    assert parse_product("vat_return") is Product.VAT_RETURN


@pytest.mark.parametrize("member", [*ClientKind, *ClientStatus, *LegalForm, *Frequency, *Role, *Product])
def test_every_label_an_export_writes_reads_back_as_the_same_member(member):
    parsers = {
        ClientKind: parse_client_kind, ClientStatus: parse_client_status, LegalForm: parse_legal_form,
        Frequency: parse_frequency, Role: parse_role, Product: parse_product,
    }
    assert parsers[type(member)](label(member)) is member


def test_shifted_quarters_and_booleans_have_labels_that_read_back():
    for start in (1, 2, 3):
        assert parse_filing_frequency(frequency_label(Frequency.QUARTER, start)) == (Frequency.QUARTER, start)
    assert frequency_label(None) == ""
    assert parse_bool(bool_label(True)) is True and parse_bool(bool_label(False)) is False


@pytest.mark.parametrize(
    "words",
    [vocabulary._CLIENT_KINDS, vocabulary._CLIENT_STATUSES, vocabulary._LEGAL_FORMS, vocabulary._FREQUENCIES,
     vocabulary._ROLES, vocabulary._PRODUCTS],
)
def test_no_word_means_two_things_in_one_vocabulary(words):
    seen: dict[str, object] = {}
    for member, aliases in words.items():
        for word in (*aliases, member.value, member.name):
            key = vocabulary.word_key(word)
            assert seen.setdefault(key, member) is member, f"{word!r} maps to {seen[key]} and {member}"
