"""The query manager on both databases: filters with AND, bad filters named with the valid ones, exports, saved queries."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook

from sbrflow.domain.crm_query import QueryError
from sbrflow.domain.errors import NotFound
from sbrflow.tasks import crm_properties, crm_query, crm_risk


def numbers(*where: str, subject: str = "clients") -> list[str]:
    result = crm_query.run_query(list(where), subject=subject)
    key = "client_number" if subject == "clients" else "contact_number"
    return [row[key] if subject == "clients" else f"{row['client_number']}/{row[key]}" for row in result["rows"]]


def test_product_and_frequency_hold_for_the_same_subscription(crm):
    assert numbers("product=vat_return", "frequency=month") == ["1001", "1003"]
    # 1001 files payroll quarterly but VAT monthly: "monthly payroll" is 1003 only.
    assert numbers("product=payroll_return", "frequency=month") == ["1003"]
    assert numbers("frequency=quarter") == ["1001", "1002"]
    assert numbers("product!=payroll_return") == ["10010", "1002"]


def test_three_filters_select_the_dgas_of_monthly_vat_clients(crm):
    rows = crm_query.run_query(["product=vat_return", "frequency=month", "function=DGA"], subject="persons")["rows"]
    assert [(r["client_number"], r["contact_number"], r["function"]) for r in rows] == [
        ("1001", "P1", "DGA"), ("1003", "P1", "DGA")]
    # As clients: those having a DGA among their contacts.
    assert numbers("product=vat_return", "frequency=month", "function=dga") == ["1001", "1003"]


def test_operators_is_not_contains_empty_and_not_empty(crm):
    assert numbers("status=client") == ["1001", "1002", "1003"]
    assert numbers("status!=klant") == ["10010"]
    assert numbers("name~MULLER") == ["1001", "1003"]  # Bakkerij Müller too: accents do not matter
    assert numbers("name~transport") == ["1003"]
    assert numbers("legal_form?") == ["10010"]
    assert numbers("legal_form!?", "legal_form!=bv") == ["1002"]
    assert numbers("email?", subject="persons") == ["1002/P2"]
    assert numbers("has_email=nee", subject="persons") == ["1002/P2"]
    assert numbers("city~haag") == ["1003"]
    assert numbers("city?") == ["10010"]
    assert numbers("holder=an") == ["1001", "1003"]
    assert numbers("role:fiscaal=BO") == ["1003"]
    assert numbers("role:fiscaal?") == ["1001", "10010", "1002"]  # by number, as text
    assert numbers("ubo=ja", subject="persons") == ["1001/P1", "1002/P2", "1003/P1"]
    assert numbers("person_name~vries", "primary=ja", subject="persons") == ["1001/P1"]


def test_before_and_after_on_dates(crm):
    assert numbers("created>2000-01-01") == ["1001", "10010", "1002", "1003"]
    assert numbers("created<2000-01-01") == []


def test_an_unknown_property_names_it_and_lists_the_valid_ones(crm):
    with pytest.raises(QueryError) as error:
        crm_query.run_query(["prodcut=vat_return"])
    message = str(error.value)
    assert "'prodcut' is not a property you can filter on" in message
    assert "product" in message and "function" in message and "indicator" in message


def test_a_bad_value_names_the_filter_and_lists_the_accepted_values(crm):
    with pytest.raises(QueryError) as error:
        crm_query.run_query(["frequency=weekly", "status=klant", "risk=medium", "created<31-31-2026"])
    lines = str(error.value).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("'frequency=weekly': 'weekly' is not a known filing frequency; use one of:")
    assert "risk class; use one of: low, high, unacceptable" in lines[1]
    assert "is not a date; write it as YYYY-MM-DD" in lines[2]


def test_an_operator_a_property_does_not_take_lists_the_ones_it_does(crm):
    with pytest.raises(QueryError, match=r"the operator < \(before\) does not apply to status; use one of: = \(is\)"):
        crm_query.run_query(["status<client"])
    with pytest.raises(QueryError, match="takes no value"):
        crm_query.run_query(["email?x"])
    with pytest.raises(QueryError, match="is not a filter"):
        crm_query.run_query(["just words"])
    with pytest.raises(QueryError, match="not what a query lists"):
        crm_query.run_query(["status=client"], subject="cases")


def test_custom_properties_indicators_and_risk_are_queryable(crm):
    crm_properties.define_property("Branche", kind="choice", target="client", by="AN", choices=["Bouw", "Horeca"])
    crm_properties.define_property("Omzet", kind="number", target="client", by="AN")
    crm_properties.define_property("Lead", kind="indicator", target="client", by="AN")
    crm_properties.define_property("Oud-medewerker", kind="indicator", target="person", by="AN")
    crm_properties.set_value("1002", "Branche", "horeca", by="BO")
    crm_properties.set_value("1001", "Branche", "Bouw", by="BO")
    crm_properties.set_value("1001", "Omzet", "1500000", by="BO")
    crm_properties.set_value("1003", "Omzet", "90000,50", by="BO")
    crm_properties.set_value("10010", "lead", by="BO")
    crm_properties.set_value("P2", "Oud-medewerker", by="BO")
    crm_risk.set_risk("1003", "high", motivation="cash business", by="AN")
    assert numbers("prop:Branche=Horeca") == ["1002"]
    assert numbers("prop:branche!=horeca") == ["1001", "10010", "1003"]
    assert numbers("prop:Branche?") == ["10010", "1003"]
    assert numbers("prop:Omzet>100000") == ["1001"]
    assert numbers("prop:Omzet<100000") == ["1003"]
    assert numbers("indicator=Lead") == ["10010"]
    assert numbers("indicator!=lead", "status=client") == ["1001", "1002", "1003"]
    assert numbers("indicator=Oud-medewerker", subject="persons") == ["1002/P2"]
    assert numbers("indicator=Oud-medewerker") == ["1002"]
    assert numbers("risk=high") == ["1003"]
    assert numbers("risk?") == ["1001", "10010", "1002"]
    with pytest.raises(QueryError, match="'Bouwjaar' is not a custom property; valid: Branche, Omzet"):
        crm_query.run_query(["prop:Bouwjaar=2000"])
    with pytest.raises(QueryError, match="'Prospect' is not an indicator; valid: Lead, Oud-medewerker"):
        crm_query.run_query(["indicator=Prospect"])
    with pytest.raises(QueryError, match="'Zorg' is not a choice of Branche; valid: Bouw, Horeca"):
        crm_query.run_query(["prop:Branche=Zorg"])
    with pytest.raises(QueryError, match="is not a number"):
        crm_query.run_query(["prop:Omzet>veel"])


def test_the_xlsx_export_holds_the_rows_and_columns_and_never_a_bsn(crm, tmp_path):
    crm_properties.define_property("Branche", kind="text", target="client", by="AN")
    crm_properties.set_value("10010", "Branche", "=HYPERLINK(\"x\")", by="AN")
    path = tmp_path / "selectie.xlsx"
    result = crm_query.export_query(["status!=suspect"], path)
    sheet = load_workbook(path).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Cliëntnummer", "Naam", "Status", "Type", "Rechtsvorm", "Plaats", "Risicoclassificatie",
                       "Producten", "Indicatoren", "Branche"]
    assert [r[0] for r in rows[1:]] == ["1001", "10010", "1002", "1003"] and result["count"] == 4
    assert rows[1][1] == "Bakkerij Müller B.V." and rows[1][7] == "payroll_return/quarter, vat_return/month"
    assert rows[2][9] == "=HYPERLINK(\"x\")" and sheet.cell(3, 10).data_type == "s"  # text, not a formula
    flat = " ".join(str(v) for r in rows for v in r)
    assert "111222333" not in flat and "123456782" not in flat


def test_the_csv_export_of_persons_has_their_client_and_no_bsn(crm, tmp_path):
    path = tmp_path / "dga.csv"
    crm_query.export_query(["function=DGA"], path, subject="persons")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0][:6] == ["Contactnummer", "Naam", "E-mail", "Functie", "Cliëntnummer", "Cliënt"]
    assert [(r[0], r[4]) for r in rows[1:]] == [("P1", "1001"), ("P2", "1002"), ("P1", "1003")]
    assert rows[1][1] == "José de Vries" and rows[1][6] == "Ja"
    assert "123456782" not in path.read_text(encoding="utf-8-sig")
    with pytest.raises(QueryError, match="export to a .xlsx or a .csv file"):
        crm_query.export_query(["function=DGA"], tmp_path / "dga.pdf")


def test_saved_queries_are_private_unless_shared(crm):
    crm_query.save_query("maand-btw", ["product=vat_return", "frequency=month"], by="AN")
    crm_query.save_query("dga", ["function=DGA"], by="AN", subject="persons", shared=True)
    assert [row["client_number"] for row in crm_query.run_saved("maand-btw", by="AN")["rows"]] == ["1001", "1003"]
    with pytest.raises(NotFound, match="no saved query 'maand-btw' that BO may run; available: dga"):
        crm_query.run_saved("maand-btw", by="BO")
    shared = crm_query.run_saved("dga", by="BO")
    assert shared["saved"]["owner"] == "AN" and shared["subject"] == "persons" and shared["count"] == 3
    assert [(q["name"], q["owner"]) for q in crm_query.list_saved(by="BO")] == [("dga", "AN")]
    assert [q["name"] for q in crm_query.list_saved(by="AN")] == ["dga", "maand-btw"]
    # A member's own query of the same name comes before a shared one.
    crm_query.save_query("dga", ["function=directeur"], by="BO", subject="persons")
    assert crm_query.run_saved("dga", by="BO")["saved"]["owner"] == "BO"
    assert crm_query.run_saved("dga", by="AN")["saved"]["owner"] == "AN"


def test_saving_a_query_checks_its_filters_and_member(crm):
    with pytest.raises(QueryError, match="not a property"):
        crm_query.save_query("x", ["prodcut=vat_return"], by="AN")
    with pytest.raises(NotFound, match="no team member with code 'ZZ'"):
        crm_query.save_query("x", ["status=client"], by="ZZ")
    with pytest.raises(QueryError, match="at least one filter"):
        crm_query.save_query("x", [], by="AN")
    assert crm_query.list_saved(by="AN") == []
