"""Rules of the SBR return parser: what it reads from a return, and what it refuses."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import socket
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sbrflow.domain.enums import Tax
from sbrflow.domain.errors import SbrflowError
from sbrflow.integrations.sbr.generate import payroll_return_xml, vat_return_xbrl
from sbrflow.integrations.sbr.parser import (
    DEFAULT_MAX_BYTES,
    InvalidReturnDocument,
    ParsedReturn,
    ReturnKind,
    parse_return,
)

SAMPLE_NAME = "VB-01_bd-rpt-ob-aangifte-2021.xbrl"
# Where the real sample may be: an explicit folder, a copy next to these tests, or the shared
# folder beside the repository (../shared/samples, as the issue names it).
SAMPLE_DIRS = [
    *([Path(os.environ["SBRFLOW_SAMPLES_DIR"])] if os.environ.get("SBRFLOW_SAMPLES_DIR") else []),
    Path(__file__).resolve().parent / "samples",
    Path(__file__).resolve().parents[3] / "shared" / "samples",
]
OB = "001000044B37"
LH = "111222333L01"
LH_NS = "http://xml.belastingdienst.nl/schemas/Loonaangifte/{year}/01"


@pytest.fixture(scope="module")
def sample() -> bytes:
    for folder in SAMPLE_DIRS:
        if (folder / "sbr" / SAMPLE_NAME).exists():
            return (folder / "sbr" / SAMPLE_NAME).read_bytes()
    reason = f"the real VAT sample sbr/{SAMPLE_NAME} is in none of {[str(d) for d in SAMPLE_DIRS]}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(reason)  # CI must not pass without the one real document we have
    pytest.skip(reason)


@pytest.fixture(scope="module")
def vat() -> bytes:
    return vat_return_xbrl(OB, date(2024, 1, 1), date(2024, 3, 31), owed=12_345, on_input=2_345)


def rejected(data: bytes, **kwargs) -> InvalidReturnDocument:
    with pytest.raises(InvalidReturnDocument) as caught:
        parse_return(data, **kwargs)
    message = str(caught.value)
    # Plain words on one line: no traceback, no chained parser error, no document pasted in.
    assert "\n" not in message and "Traceback" not in message and len(message) < 300
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    return caught.value


def loonaangifte(body: str, *, year: int = 2025, bericht: str = "", lh: str = LH) -> bytes:
    """A small hand-written Loonaangifte around `body` (the children after LhNr)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Loonaangifte xmlns="{LH_NS.format(year=year)}" version="2.0">'
        f"<Bericht><IdBer>MSG-1</IdBer><DatTdAanm>2025-02-10T08:15:00</DatTdAanm>{bericht}"
        "<GebrSwPakket>Loket 4.2</GebrSwPakket></Bericht>"
        f"<AdministratieveEenheid><LhNr>{lh}</LhNr><NmIP>Bakkerij B.V.</NmIP>{body}</AdministratieveEenheid>"
        "</Loonaangifte>"
    ).encode()


def tijdvak(wrapper: str = "VolledigeAangifte", *, start="2025-01-01", end="2025-01-31", collective=None) -> str:
    collective = collective if collective is not None else "<IngLbPh>900</IngLbPh><TotTeBet>1234</TotTeBet><TotGen>1234</TotGen>"
    return (f"<TijdvakAangifte><DatAanvTv>{start}</DatAanvTv><DatEindTv>{end}</DatEindTv>"
            f"<{wrapper}><CollectieveAangifte>{collective}</CollectieveAangifte></{wrapper}></TijdvakAangifte>")


# --- the real sample -------------------------------------------------------------------------


def test_the_real_2021_sample_parses_to_its_known_values(sample):
    parsed = parse_return(sample)

    assert parsed.tax is Tax.OB
    assert parsed.kind is ReturnKind.RETURN
    assert parsed.fiscal_id == "001000044B37"
    assert (parsed.period_start, parsed.period_end) == (date(2021, 10, 1), date(2021, 10, 31))
    assert parsed.amount_due == Decimal("3240")
    assert parsed.schema == "http://www.nltaxonomie.nl/nt15/bd/20201209/entrypoints/bd-rpt-ob-aangifte-2021.xsd"
    assert (parsed.software_name, parsed.software_version) == ("ApplicatieNaam", "ApplicatieVersie")
    assert parsed.software == "ApplicatieNaam ApplicatieVersie"
    assert parsed.message_ref == "OB-KTG00-AG"
    assert parsed.created_at == datetime(2020, 11, 15, 12, 54)
    assert parsed.sha256 == "f7c574fc0d1b2758c1327be552d7a39f03404e78bd2603044e870b85c1207e00"
    assert parsed.sha256 == hashlib.sha256(sample).hexdigest()
    assert parsed.size == 5132
    assert parsed.total("ValueAddedTaxOwed") == Decimal("3240")
    assert parsed.total("ValueAddedTaxOnInput") == Decimal("0")
    assert parsed.total("ValueAddedTaxSuppliesServicesGeneralTariff") == Decimal("3150")
    assert parsed.total("ValueAddedTaxSuppliesServicesReducedTariff") == Decimal("90")
    assert parsed.total("TaxedTurnoverSuppliesServicesGeneralTariff") == Decimal("15000")
    assert parsed.total("SuppliesToCountriesOutsideTheEC") == Decimal("4000")
    assert len(parsed.totals) == 22
    assert parsed.amount_total is None and parsed.corrected_periods == ()


def test_the_json_form_has_the_keys_the_cli_promises(sample):
    data = parse_return(sample).to_json_dict()

    assert {"tax", "kind", "fiscal_id", "period_start", "period_end", "amount_due", "sha256", "software",
            "schema"} <= data.keys()
    assert data["tax"] == "OB" and data["kind"] == "return"
    assert data["period_start"] == "2021-10-01" and data["period_end"] == "2021-10-31"
    assert data["amount_due"] == "3240"
    assert data["software"] == "ApplicatieNaam ApplicatieVersie"
    assert json.loads(json.dumps(data)) == data


def test_a_parsed_return_cannot_be_changed(sample):
    parsed = parse_return(sample)
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.amount_due = Decimal(0)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("release", "year"),
    [("nt14/bd/20191211", 2020), ("nt15/bd/20201209", 2021), ("nt16/bd/20211208", 2022),
     ("nt17/bd/20221207", 2023), ("nt18/bd/20231213", 2024), ("nt19/bd/20241211", 2025),
     ("nt20/bd/20251210", 2026)],
)
def test_a_return_reads_the_same_whatever_the_taxonomy_year(sample, release, year):
    data = sample.replace(b"nt15/bd/20201209", release.encode()).replace(b"-2021.xsd", f"-{year}.xsd".encode())

    parsed = parse_return(data)

    assert (parsed.fiscal_id, parsed.amount_due, parsed.kind) == (OB, Decimal("3240"), ReturnKind.RETURN)
    assert parsed.schema == f"http://www.nltaxonomie.nl/{release}/entrypoints/bd-rpt-ob-aangifte-{year}.xsd"


def test_prefixes_do_not_matter_only_local_names(sample):
    data = sample.replace(b"xbrli:", b"x:").replace(b"xmlns:xbrli=", b"xmlns:x=").replace(b"bd-i:", b"bd:")
    data = data.replace(b"xmlns:bd-i=", b"xmlns:bd=")

    assert parse_return(data).amount_due == Decimal("3240")


@pytest.mark.parametrize(
    "scheme",
    ["www.belastingdienst.nl/omzetbelastingnummer", "http://www.belastingdienst.nl/omzetbelastingnummer",
     "https://www.belastingdienst.nl/omzetbelastingnummer/", "HTTP://WWW.Belastingdienst.nl/omzetbelastingnummer"],
)
def test_the_identifier_scheme_is_accepted_with_and_without_http(sample, scheme):
    data = sample.replace(b'scheme="www.belastingdienst.nl/omzetbelastingnummer"', f'scheme="{scheme}"'.encode())

    assert parse_return(data).fiscal_id == OB


@pytest.mark.parametrize("written", ["001000044B37", "001000044b37", " 0010.00044 B37 ", "1000044B37"])
def test_the_fiscal_id_is_normalised_upper_case_without_separators_and_padded(written):
    data = vat_return_xbrl(written, date(2024, 1, 1), date(2024, 1, 31))

    assert parse_return(data).fiscal_id == OB


def test_whitespace_before_the_declaration_is_tolerated_but_hashed(sample):
    data = b"\r\n  " + sample
    parsed = parse_return(data)

    assert parsed.amount_due == Decimal("3240")
    assert parsed.sha256 == hashlib.sha256(data).hexdigest() != hashlib.sha256(sample).hexdigest()


def test_a_utf16_return_parses_like_its_utf8_original(sample):
    data = sample.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    assert parse_return(data).amount_due == Decimal("3240")


# --- suppletie and ICP -----------------------------------------------------------------------


def test_a_suppletie_is_a_correction_whose_amount_due_is_the_difference():
    data = vat_return_xbrl(OB, date(2025, 4, 1), date(2025, 4, 30), kind="correction", owed=262, previous=210,
                           year_namespace="nt19/bd/20241211")
    parsed = parse_return(data)

    assert parsed.kind is ReturnKind.CORRECTION
    assert parsed.amount_due == Decimal("52")  # ValueAddedTaxToBePaidAdditionalToBePaidBack
    assert parsed.amount_total == Decimal("262")  # ValueAddedTaxAmountTotalNew
    assert parsed.total("ValueAddedTaxAmountTotalOld") == Decimal("210")
    assert parsed.schema.endswith("/nt19/bd/20241211/entrypoints/bd-rpt-ob-suppletie-2025.xsd")


def test_a_suppletie_without_the_difference_is_refused(sample):
    data = sample.replace(b"bd-rpt-ob-aangifte-2021", b"bd-rpt-ob-suppletie-2021")

    assert "ValueAddedTaxToBePaidAdditionalToBePaidBack" in str(rejected(data))


@pytest.mark.parametrize("release", ["nt16/bd/20211208", "nt20/bd/20251210"])
def test_an_icp_listing_owes_nothing_and_totals_its_lines(release):
    lines = [("FR", "23334175221", 1000, 750), ("BE", "0477472701", 1000, 0), ("DE", "123456788", 0, 500)]
    data = vat_return_xbrl(OB, date(2025, 1, 1), date(2025, 3, 31), kind="icp", icp_lines=lines,
                           year_namespace=release)
    parsed = parse_return(data)

    assert parsed.kind is ReturnKind.ICP
    assert parsed.amount_due == Decimal(0)
    assert parsed.amount_total == Decimal(3250)
    assert parsed.message_ref == f"ICP-{OB}-202501"
    assert (b"bd-t:IntraCommunitySupplies" in data) is release.startswith("nt16")


def test_an_icp_listing_counts_abc_supplies_too():
    data = vat_return_xbrl(OB, date(2025, 1, 1), date(2025, 3, 31), kind="icp", icp_lines=[("FR", "1", 100, 0)],
                           year_namespace="nt20/bd/20251210")
    data = data.replace(b"</xbrli:xbrl>", b'<bd-i:ABCSuppliesAmount decimals="INF" contextRef="ICP_FR_1" '
                        b'unitRef="EUR">-40</bd-i:ABCSuppliesAmount></xbrli:xbrl>')

    assert parse_return(data).amount_total == Decimal(60)


# --- payroll returns -------------------------------------------------------------------------


def test_a_full_payroll_return_reads_period_number_and_totals():
    parsed = parse_return(loonaangifte(tijdvak()))

    assert (parsed.tax, parsed.kind, parsed.fiscal_id) == (Tax.LH, ReturnKind.RETURN, LH)
    assert (parsed.period_start, parsed.period_end) == (date(2025, 1, 1), date(2025, 1, 31))
    assert (parsed.amount_due, parsed.amount_total) == (Decimal(1234), Decimal(1234))
    assert parsed.schema == "http://xml.belastingdienst.nl/schemas/Loonaangifte/2025/01"
    assert (parsed.software, parsed.message_ref) == ("Loket 4.2", "MSG-1")
    assert parsed.created_at == datetime(2025, 2, 10, 8, 15)
    assert parsed.totals == (("TotTeBet", Decimal(1234)), ("TotGen", Decimal(1234)))  # not IngLbPh


def test_an_aanvullende_aangifte_is_supplementary():
    parsed = parse_return(loonaangifte(tijdvak("AanvullendeAangifte")))

    assert parsed.kind is ReturnKind.SUPPLEMENTARY and parsed.amount_due == Decimal(1234)


def test_tijdvakcorrectie_blocks_become_corrected_periods_with_their_saldo():
    collective = ("<TotTeBet>1000</TotTeBet><SaldoCorrectiesVoorgaandTijdvak><DatAanvTv>2025-01-01</DatAanvTv>"
                  "<DatEindTv>2025-01-31</DatEindTv><Saldo>-120</Saldo></SaldoCorrectiesVoorgaandTijdvak>"
                  "<TotGen>880</TotGen>")
    correction = ("<TijdvakCorrectie><DatAanvTv>{s}</DatAanvTv><DatEindTv>{e}</DatEindTv><CollectieveAangifte>"
                  "<TotTeBet>{t}</TotTeBet></CollectieveAangifte><InkomstenverhoudingInitieel><NatuurlijkPersoon>"
                  "<SofiNr>123456782</SofiNr></NatuurlijkPersoon></InkomstenverhoudingInitieel></TijdvakCorrectie>")
    body = (tijdvak(start="2025-03-01", end="2025-03-31", collective=collective)
            + correction.format(s="2025-01-01", e="2025-01-31", t="777")
            + correction.format(s="2025-02-01", e="2025-02-28", t="800"))
    parsed = parse_return(loonaangifte(body))

    assert (parsed.amount_due, parsed.amount_total) == (Decimal(1000), Decimal(880))
    first, second = parsed.corrected_periods
    assert (first.period_start, first.period_end, first.amount_due, first.balance) == (
        date(2025, 1, 1), date(2025, 1, 31), Decimal(777), Decimal(-120))
    assert (second.period_start, second.amount_due, second.balance) == (date(2025, 2, 1), Decimal(800), None)
    assert parsed.to_json_dict()["corrected_periods"][0] == {
        "period_start": "2025-01-01", "period_end": "2025-01-31", "amount_due": "777", "balance": "-120"}


def test_a_message_of_corrections_only_is_a_correction_spanning_its_periods():
    block = ("<TijdvakCorrectie><DatAanvTv>{s}</DatAanvTv><DatEindTv>{e}</DatEindTv><CollectieveAangifte>"
             "<TotTeBet>{t}</TotTeBet></CollectieveAangifte></TijdvakCorrectie>")
    body = block.format(s="2024-11-01", e="2024-11-30", t="500") + block.format(s="2024-05-01", e="2024-05-31", t="70")
    parsed = parse_return(loonaangifte(body, year=2024))

    assert parsed.kind is ReturnKind.CORRECTION
    assert (parsed.period_start, parsed.period_end) == (date(2024, 5, 1), date(2024, 11, 30))
    assert parsed.amount_due == Decimal(570) and len(parsed.corrected_periods) == 2


@pytest.mark.parametrize("year", range(2020, 2027))
def test_a_payroll_return_reads_the_same_whatever_the_namespace_year(year):
    parsed = parse_return(loonaangifte(tijdvak(), year=year))

    assert parsed.schema == LH_NS.format(year=year) and parsed.amount_due == Decimal(1234)


def test_an_iso_8859_1_payroll_return_parses():
    data = loonaangifte(tijdvak()).decode().replace('encoding="UTF-8"', 'encoding="iso-8859-1"')
    data = data.replace("Bakkerij B.V.", "Bakkerij Öztürk B.V.").encode("iso-8859-1")

    assert parse_return(data).fiscal_id == LH


def test_a_real_sized_payroll_return_parses_with_its_corrections():
    data = payroll_return_xml(LH, date(2024, 4, 1), date(2024, 4, 30), corrections=[(date(2024, 3, 1), date(2024, 3, 31))])
    parsed = parse_return(data)

    assert parsed.kind is ReturnKind.RETURN and len(parsed.corrected_periods) == 1
    assert parsed.amount_total == parsed.amount_due + parsed.corrected_periods[0].balance


# --- personal data ---------------------------------------------------------------------------


def _bsns(data: bytes) -> set[str]:
    return {found.decode() for found in re.findall(rb"<SofiNr>(\d{9})</SofiNr>", data)}


def test_no_employee_bsn_reaches_the_record_its_json_an_error_or_a_log(caplog):
    caplog.set_level(logging.DEBUG)
    data = payroll_return_xml(LH, date(2024, 4, 1), date(2024, 4, 30), employees=20,
                              corrections=[(date(2024, 2, 1), date(2024, 2, 29))])
    bsns = _bsns(data)
    assert len(bsns) == 20

    parsed = parse_return(data)
    outputs = [repr(parsed), str(parsed), json.dumps(parsed.to_json_dict())]
    # Broken variants: cut right after a BSN, a malformed SofiNr, a BSN where the LhNr belongs.
    first = sorted(bsns)[0].encode()
    cut = data.index(first) + len(first)
    broken = [data[:cut], data[:cut].replace(b"<SofiNr>" + first, b"<SofiNr>" + first + b"</Sofi>"),
              re.sub(rb"<LhNr>[^<]*</LhNr>", b"<LhNr>" + first + b"</LhNr>", data),
              data.replace(b"<SofiNr>" + first + b"</SofiNr>", b"<SofiNr>" + first + b"</SofiNr")]
    for variant in broken:
        error = rejected(variant)
        outputs += [str(error), repr(error), repr(error.args)]
    outputs += [record.getMessage() for record in caplog.records]

    for text in outputs:
        for bsn in bsns:
            assert bsn not in text
    assert "SofiNr" not in repr(parsed) and "NatuurlijkPersoon" not in json.dumps(parsed.to_json_dict())


# --- refused documents -----------------------------------------------------------------------


def test_the_error_is_one_class_and_a_sbrflow_error():
    assert issubclass(InvalidReturnDocument, SbrflowError) and issubclass(InvalidReturnDocument, ValueError)


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_return_is_refused_as_truncated(sample, cut):
    error = rejected(sample[: int(len(sample) * cut)])

    assert error.code == "not_xml" and "truncated" in str(error)


def test_an_empty_document_is_refused():
    assert str(rejected(b" \n ")) == "document is empty"


def test_a_corrupted_return_is_refused_with_the_line_of_the_fault(sample):
    error = rejected(sample.replace(b"</xbrli:entity>", b"</xbrli:entiy>"))

    assert error.code == "not_xml"
    assert str(error) == "document is not well-formed XML at line 10, column 7: mismatched tag"


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b'{"tax": "OB", "amount_due": "3240"}', b"\xff\xfe\x00garbage",
     b"tax;amount\nOB;3240\n"],
    ids=["png", "json", "binary", "csv"],
)
def test_a_document_that_is_not_xml_is_refused(data):
    assert rejected(data).code == "not_xml"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<Loonaangifte xmlns="http://xml.belastingdienst.nl/schemas/Loonaangifte/2025/01">&lol9;</Loonaangifte>"""


def test_a_billion_laughs_document_is_refused_for_its_dtd():
    error = rejected(BILLION_LAUGHS)

    assert error.code == "dtd" and "DTD" in str(error)


def test_an_external_entity_to_a_local_file_is_refused_and_not_read(tmp_path, sample):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-42")
    data = sample.replace(
        b"<xbrli:xbrl ", f'<!DOCTYPE xbrli:xbrl [<!ENTITY xxe SYSTEM "file://{secret}">]>\n<xbrli:xbrl '.encode(), 1
    ).replace(b">ApplicatieNaam<", b">&xxe;<")

    error = rejected(data)

    assert error.code == "dtd" and "TOPSECRET" not in str(error)


@pytest.mark.parametrize(
    "doctype",
    [b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">',
     b'<!DOCTYPE x [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>',
     b"<!DOCTYPE x>"],
    ids=["external-dtd", "parameter-entity", "plain-doctype"],
)
def test_any_dtd_is_refused_without_touching_the_network(monkeypatch, doctype):
    def no_network(*args, **kwargs):
        raise AssertionError("the parser opened a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    data = b'<?xml version="1.0"?>\n' + doctype + b"\n<x>&lt;</x>"

    assert rejected(data).code == "dtd"


def test_a_document_over_the_size_limit_is_refused_before_parsing(sample):
    error = rejected(sample, max_bytes=5_000)
    assert error.code == "too_large"
    assert str(error) == "document is 5,132 bytes, larger than the 5,000 bytes limit"

    huge = b"<x>" + b" " * DEFAULT_MAX_BYTES + b"</x>"
    assert "larger than the 32.0 MiB limit" in str(rejected(huge))


def test_a_deeply_nested_document_does_not_crash_the_parser(vat):
    depth = 100_000
    data = vat.replace(b"</xbrli:xbrl>", b"<deep>" * depth + b"</deep>" * depth + b"</xbrli:xbrl>")

    assert parse_return(data).amount_due == Decimal(10_000)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"<!-- no DOCTYPE --><html><head><title>Login</title></head><body><p>Session expired</p></body></html>",
         "root element is <html>"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title></channel></rss>',
         "root element is <rss>"),
        (b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body/></soap:Envelope>',
         "root element is <Envelope>"),
        (b"<!DOCTYPE html><html><body>Bad gateway</body></html>", "DTD"),
    ],
    ids=["html", "rss", "soap", "html-doctype"],
)
def test_valid_xml_that_is_no_return_is_refused_as_the_wrong_type(data, fragment):
    assert fragment in str(rejected(data))


def test_a_document_of_employee_data_alone_is_refused_without_quoting_it():
    error = rejected(b"<NatuurlijkPersoon><SofiNr>123456782</SofiNr></NatuurlijkPersoon>")

    assert error.code == "wrong_type" and "123456782" not in str(error)


@pytest.mark.parametrize("encoding", ["x-unknown", "rot13", "utf-32", "shift_jis"])
def test_a_document_in_an_unreadable_encoding_is_refused(encoding):
    data = f'<?xml version="1.0" encoding="{encoding}"?><Loonaangifte/>'.encode()

    assert "character encoding that cannot be read" in str(rejected(data))


def test_an_xbrl_report_of_another_tax_is_refused_as_the_wrong_type(sample):
    error = rejected(sample.replace(b"bd-rpt-ob-aangifte-2021", b"bd-rpt-vpb-aangifte-2021"))

    assert error.code == "wrong_type" and "'bd-rpt-vpb-aangifte-2021.xsd'" in str(error)


@pytest.mark.parametrize(
    ("old", "new", "code", "fragment"),
    [
        (b"<link:schemaRef", b"<link:linkbaseRef", "missing", "no link:schemaRef"),
        (b'scheme="www.belastingdienst.nl/omzetbelastingnummer"', b'scheme="www.belastingdienst.nl/fiscaalnummer"',
         "wrong_type", "no omzetbelastingnummer identifier in xbrli:entity"),
        (b">001000044B37<", b"><", "missing", "has no xbrli:identifier"),
        (b">001000044B37<", b">NL001000044B37<", "bad_value", "is not an OB-nummer"),
        (b"<xbrli:startDate>2021-10-01</xbrli:startDate>", b"", "missing", "no xbrli:startDate"),
        (b"2021-10-31", b"2021-09-30", "bad_value", "ends (2021-09-30) before it starts (2021-10-01)"),
        (b"2021-10-31", b"31-10-2021", "bad_value", "xbrli:endDate is not a date (YYYY-MM-DD): '31-10-2021'"),
        (b"2021-10-31", b"2021-10-32", "bad_value", "not a date"),
        (b">3240</bd-i:ValueAddedTaxOwedToBePaidBack", b">3.240,00</bd-i:ValueAddedTaxOwedToBePaidBack",
         "bad_value", "ValueAddedTaxOwedToBePaidBack is not an amount in euros: '3.240,00'"),
        (b">3240</bd-i:ValueAddedTaxOwedToBePaidBack", b">1E9</bd-i:ValueAddedTaxOwedToBePaidBack",
         "bad_value", "not an amount"),
        (b">3240</bd-i:ValueAddedTaxOwedToBePaidBack", b">12345678901234</bd-i:ValueAddedTaxOwedToBePaidBack",
         "bad_value", "not an amount"),
        (b">ApplicatieNaam<", b">" + b"A" * 51 + b"<", "bad_value", "SoftwarePackageName is longer than 50"),
        (b'<bd-i:ValueAddedTaxOwedToBePaidBack decimals="INF" contextRef="Msg" unitRef="EUR">3240'
         b"</bd-i:ValueAddedTaxOwedToBePaidBack>", b"", "missing", "no ValueAddedTaxOwedToBePaidBack fact"),
        (b'<bd-i:ValueAddedTaxOwed decimals="INF" contextRef="Msg"', b'<bd-i:ValueAddedTaxOwed decimals="INF" '
         b'contextRef="Other"', "bad_value", "refers to context 'Other'"),
    ],
    ids=["no-schemaref", "other-scheme", "no-identifier", "btw-id", "no-start", "backwards", "dutch-date",
         "no-such-day", "dutch-amount", "exponent", "too-many-digits", "endless-software", "no-amount-due",
         "unknown-context"],
)
def test_a_vat_return_missing_or_garbling_a_required_fact_is_refused(sample, old, new, code, fragment):
    assert old in sample
    error = rejected(sample.replace(old, new, 1))

    assert error.code == code and fragment in str(error)


def test_a_vat_return_for_two_clients_or_two_values_of_one_fact_is_refused(sample):
    same_id = sample.replace(b"<xbrli:unit", sample[sample.index(b"<xbrli:context"):sample.index(b"<xbrli:unit")]
                             + b"<xbrli:unit")
    assert "xbrli:context 'Msg' is defined twice" in str(rejected(same_id))

    second = (b'<xbrli:context id="Two"><xbrli:entity><xbrli:identifier scheme="www.belastingdienst.nl/'
              b'omzetbelastingnummer">123456782B01</xbrli:identifier></xbrli:entity><xbrli:period><xbrli:startDate>'
              b"2021-10-01</xbrli:startDate><xbrli:endDate>2021-10-31</xbrli:endDate></xbrli:period></xbrli:context>")
    assert "more than one omzetbelastingnummer" in str(rejected(sample.replace(b"<xbrli:unit", second + b"<xbrli:unit")))

    twice = b'<bd-i:ValueAddedTaxOwed decimals="INF" contextRef="Msg" unitRef="EUR">1</bd-i:ValueAddedTaxOwed>'
    error = rejected(sample.replace(b"</xbrli:xbrl>", twice + b"</xbrli:xbrl>"))
    assert error.code == "ambiguous" and "ValueAddedTaxOwed is given twice" in str(error)


@pytest.mark.parametrize(
    ("data", "code", "fragment"),
    [
        (loonaangifte(tijdvak()).replace(b' xmlns="http://xml.belastingdienst.nl/schemas/Loonaangifte/2025/01"', b""),
         "wrong_type", "not in a Loonaangifte namespace"),
        (loonaangifte(tijdvak(), lh=""), "missing", "no AdministratieveEenheid/LhNr"),
        (loonaangifte(tijdvak(), lh="111222333B01"), "bad_value", "LhNr is not a loonheffingennummer"),
        (loonaangifte(""), "missing", "neither TijdvakAangifte nor TijdvakCorrectie"),
        (loonaangifte(tijdvak(collective="<TotGen>5</TotGen>")), "missing", "no CollectieveAangifte/TotTeBet"),
        (loonaangifte(tijdvak(collective="<TotTeBet>12,50</TotTeBet>")), "bad_value", "TotTeBet is not an amount"),
        (loonaangifte(tijdvak("Aangifte")), "missing", "exactly one VolledigeAangifte or AanvullendeAangifte"),
        (loonaangifte(tijdvak(start="2025-02-01", end="2025-01-31")), "bad_value", "before it starts"),
        (loonaangifte(tijdvak() + tijdvak()), "ambiguous", "2 TijdvakAangifte elements"),
        (loonaangifte(tijdvak()).replace(b"MSG-1", b"M" * 200), "bad_value", "IdBer is longer than 50"),
    ],
    ids=["no-namespace", "no-lhnr", "ob-number", "no-period", "no-totebet", "bad-totebet", "no-wrapper",
         "backwards", "two-periods", "endless-idber"],
)
def test_a_payroll_return_missing_or_garbling_a_required_part_is_refused(data, code, fragment):
    error = rejected(data)

    assert error.code == code and fragment in str(error)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32), edits=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(
    [b"", b"<", b">", b"/", b'"', b"&", b"x", b"-", b"\xff", b"<a>", b"</a>", b"<!--", b'contextRef="Q" ']),
    st.integers(0, 30)), min_size=1, max_size=4))
def test_any_mangled_return_either_parses_or_is_refused_never_crashes(vat, seed, edits):
    payroll = payroll_return_xml(LH, date(2025, 4, 1), date(2025, 4, 30), employees=2,
                                 corrections=[(date(2025, 3, 1), date(2025, 3, 31))])
    data = bytearray((vat, payroll)[seed % 2])
    for where, insert, cut in edits:
        at = int(where * (len(data) - 1))
        data[at:at + cut] = insert
    try:
        parsed = parse_return(bytes(data))
    except InvalidReturnDocument:
        return
    assert isinstance(parsed, ParsedReturn) and parsed.sha256 == hashlib.sha256(data).hexdigest()


def test_the_parser_takes_bytes_not_text(sample):
    with pytest.raises(TypeError):
        parse_return(sample.decode())  # type: ignore[arg-type]
    assert isinstance(parse_return(bytearray(sample)), ParsedReturn)
