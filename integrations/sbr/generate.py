"""Deterministic generators of realistic SBR returns, for tests, the demo and the source simulator.

`vat_return_xbrl` follows the real sample in samples/sbr/ (VB-01_bd-rpt-ob-aangifte-2021.xbrl):
the same comments, namespaces, single `Msg` context, EUR unit, message facts and rubrieken. The
suppletie adds the old/new totals and the difference; the ICP opgaaf lists EU customers as tuples
(NT16 and before) or as dimensional contexts (from NT17; the parser reads both either way).
`payroll_return_xml` writes a Loonaangifte with made-up employees (fake_payroll.py).
Same arguments, same bytes: no clock, no global random state.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape, quoteattr

from sbrflow.integrations.sbr.fake_payroll import FakePayroll, fake_payroll, render_payroll
from sbrflow.integrations.sbr.xbrl import OB_SCHEME

__all__ = ["TAXONOMIES", "FakePayroll", "fake_payroll", "payroll_return_xml", "vat_return_xbrl"]

# Entrypoint year → taxonomy release of the Belastingdienst (nltaxonomie.nl); the namespace and
# the entrypoint file name change together every year.
TAXONOMIES: dict[int, str] = {
    2020: "nt14/bd/20191211",
    2021: "nt15/bd/20201209",
    2022: "nt16/bd/20211208",
    2023: "nt17/bd/20221207",
    2024: "nt18/bd/20231213",
    2025: "nt19/bd/20241211",
    2026: "nt20/bd/20251210",
}
_ENTRYPOINTS = {
    "return": "bd-rpt-ob-aangifte",
    "correction": "bd-rpt-ob-suppletie",
    "icp": "bd-rpt-icp-opgaaf",
}
# Rubrieken of the aangifte, in the sample's (alphabetical) order; all zero unless set below.
_RUBRIEKEN = (
    "InstallationDistanceSalesWithinTheEC", "SmallEntrepreneurProvisionReduction",
    "SuppliesServicesNotTaxed", "SuppliesToCountriesOutsideTheEC", "SuppliesToCountriesWithinTheEC",
    "TaxedTurnoverPrivateUse", "TaxedTurnoverSuppliesServicesGeneralTariff",
    "TaxedTurnoverSuppliesServicesOtherRates", "TaxedTurnoverSuppliesServicesReducedTariff",
    "TurnoverFromTaxedSuppliesFromCountriesOutsideTheEC",
    "TurnoverFromTaxedSuppliesFromCountriesWithinTheEC",
    "TurnoverSuppliesServicesByWhichVATTaxationIsTransferred", "ValueAddedTaxOnInput",
    "ValueAddedTaxOnSuppliesFromCountriesOutsideTheEC", "ValueAddedTaxOnSuppliesFromCountriesWithinTheEC",
    "ValueAddedTaxOwed", "ValueAddedTaxOwedToBePaidBack", "ValueAddedTaxPrivateUse",
    "ValueAddedTaxSuppliesServicesByWhichVATTaxationIsTransferred",
    "ValueAddedTaxSuppliesServicesGeneralTariff", "ValueAddedTaxSuppliesServicesOtherRates",
    "ValueAddedTaxSuppliesServicesReducedTariff",
)
_CUSTOMERS = (("BE", "0477472701"), ("DE", "123456788"), ("FR", "23334175221"), ("AT", "U12345675"))
_TUPLES = {"SuppliesAmount": "IntraCommunitySupplies", "ServicesAmount": "IntraCommunityServices"}

IcpLine = tuple[str, str, int | Decimal, int | Decimal]  # country, VAT number, goods, services


def vat_return_xbrl(
    ob_number: str,
    period_start: date,
    period_end: date,
    *,
    owed: int | Decimal = 3240,
    on_input: int | Decimal = 0,
    previous: int | Decimal = 0,
    kind: str = "return",
    year_namespace: str | None = None,
    scheme: str = OB_SCHEME,
    software: tuple[str, str] = ("sbrflow-simulator", "1.0"),
    message_ref: str | None = None,
    created_at: datetime | None = None,
    icp_lines: Sequence[IcpLine] | None = None,
) -> bytes:
    """A VAT return ("return"), suppletie ("correction"; `previous` = total filed before) or ICP opgaaf."""
    if kind not in _ENTRYPOINTS:
        raise ValueError(f"kind must be 'return', 'correction' or 'icp', not {kind!r}")
    owed, on_input = _euros(owed, "owed"), _euros(on_input, "on_input")
    previous = _euros(previous, "previous")
    year = min(max(period_start.year, min(TAXONOMIES)), max(TAXONOMIES))
    release = year_namespace or TAXONOMIES[year]  # e.g. "nt15/bd/20201209"
    entry_year = _entry_year(release)
    dimensional = kind == "icp" and int(release.split("/")[0][2:]) >= 17
    base = f"http://www.nltaxonomie.nl/{release}"
    href = f"{base}/entrypoints/{_ENTRYPOINTS[kind]}-{entry_year}.xsd"
    created = created_at or datetime.combine(period_end + timedelta(days=10), time(12, 54))
    context = "CD_Opgaaf" if kind == "icp" else "Msg"
    if icp_lines is None:
        icp_lines = _default_icp_lines(ob_number, period_start)

    prefixes = {
        "bd-i": f"{base}/dictionary/bd-data",
        "link": "http://www.xbrl.org/2003/linkbase",
        "xlink": "http://www.w3.org/1999/xlink",
        "iso4217": "http://www.xbrl.org/2003/iso4217",
        "xbrli": "http://www.xbrl.org/2003/instance",
    }
    if kind == "icp" and not dimensional:
        prefixes["bd-t"] = f"{base}/dictionary/bd-tuples"
    if dimensional:
        prefixes["xbrldi"] = "http://xbrl.org/2006/xbrldi"
        prefixes["bd-axes"] = f"{base}/dictionary/bd-axes"
        prefixes["bd-domains"] = f"{base}/dictionary/bd-domains"
    declarations = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in prefixes.items())
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<!--XBRL instance based on taxonomy report namespace {href} -->",
        "<!--Intellectual Property State of the Netherlands -->",
        f"<!--Created on: {created:%d-%m-%Y %H:%M:%S} -->",
        f'<xbrli:xbrl xml:lang="nl" {declarations}>',
        f'  <link:schemaRef xlink:type="simple" xlink:href="{href}"/>',
        _context(context, ob_number, scheme, period_start, period_end),
    ]
    if dimensional:
        for country, vat, *_ in icp_lines:
            out.append(_context(f"ICP_{country}_{vat}", ob_number, scheme, period_start, period_end,
                                member=(country, vat)))
    out += ['  <xbrli:unit id="EUR">', "    <xbrli:measure>iso4217:EUR</xbrli:measure>", "  </xbrli:unit>"]
    reference = message_ref or f"{'ICP' if kind == 'icp' else 'OB'}-{ob_number}-{period_start:%Y%m}"
    out += _message_facts(kind, context, created, reference, software)
    if kind == "icp":
        out += _icp_facts(icp_lines, dimensional)
    else:
        amounts = _rubrieken(owed, on_input)
        if kind == "correction":
            # A suppletie states the new total, the total filed before and the difference.
            del amounts["ValueAddedTaxOwedToBePaidBack"]
            amounts["ValueAddedTaxAmountTotalNew"] = owed - on_input
            amounts["ValueAddedTaxAmountTotalOld"] = previous
            amounts["ValueAddedTaxToBePaidAdditionalToBePaidBack"] = owed - on_input - previous
        out += [_amount(name, amounts[name], context) for name in sorted(amounts)]
    out.append("</xbrli:xbrl>")
    return ("\n".join(out) + "\n").encode("utf-8")


def payroll_return_xml(
    lh_number: str,
    period_start: date,
    period_end: date,
    *,
    employees: int = 20,
    kind: str = "full",
    corrections: Sequence[tuple[date, date]] = (),
    seed: int = 0,
    software: str = "sbrflow-simulator 1.0",
    message_ref: str | None = None,
    created_at: datetime | None = None,
    namespace_year: int | None = None,
) -> bytes:
    """A Loonaangifte ("full" or "supplementary") with fake employees and corrected earlier periods."""
    return render_payroll(fake_payroll(
        lh_number, period_start, period_end, employees=employees, kind=kind, corrections=corrections,
        seed=seed, software=software, message_ref=message_ref, created_at=created_at,
        namespace_year=namespace_year,
    ))


def _entry_year(release: str) -> int:
    """The entrypoint year of a release: known ones from TAXONOMIES, else the year after its date."""
    for year, known in TAXONOMIES.items():
        if known == release:
            return year
    return int(release.rsplit("/", 1)[-1][:4]) + 1  # nt21/bd/20261209 → 2027


def _message_facts(kind: str, context: str, created: datetime, reference: str,
                   software: tuple[str, str]) -> list[str]:
    facts = {
        "ContactType": "BPL",
        "ContactInitials": "J",
        "ContactPrefix": "de",
        "ContactSurname": "Boer",
        "ContactTelephoneNumber": "0201234567",
        "TaxConsultantNumber": "234564",
        "DateTimeCreation": f"{created:%Y%m%d%H%M}",
        "MessageReferenceSupplierICP" if kind == "icp" else "MessageReferenceSupplierVAT": reference,
        "SoftwarePackageVersion": software[1],
        "SoftwarePackageName": software[0],
        "SoftwareVendorAccountNumber": "SWO12345",
    }
    if kind == "icp":
        del facts["ContactType"]  # not in the ICP opgaaf
    return [f'  <bd-i:{name} contextRef="{context}">{escape(value)}</bd-i:{name}>'
            for name, value in facts.items()]


def _rubrieken(owed: int, on_input: int) -> dict[str, int]:
    # Split the VAT owed like a typical shop: ~90 % at 21 % (1a), the rest at 9 % (1b), with the
    # turnover that goes with it — so the figures read like a real return, as in the sample.
    reduced = int(Decimal(owed) * Decimal("0.1"))
    general = owed - reduced
    amounts = dict.fromkeys(_RUBRIEKEN, 0)
    amounts.update({
        "TaxedTurnoverSuppliesServicesGeneralTariff": _whole(Decimal(general) / Decimal("0.21")),
        "TaxedTurnoverSuppliesServicesReducedTariff": _whole(Decimal(reduced) / Decimal("0.09")),
        "ValueAddedTaxSuppliesServicesGeneralTariff": general,
        "ValueAddedTaxSuppliesServicesReducedTariff": reduced,
        "ValueAddedTaxOwed": owed,
        "ValueAddedTaxOnInput": on_input,
        "ValueAddedTaxOwedToBePaidBack": owed - on_input,
    })
    return amounts


def _icp_facts(lines: Sequence[IcpLine], dimensional: bool) -> list[str]:
    out: list[str] = []
    for country, vat, goods, services in lines:
        for element, value in (("SuppliesAmount", goods), ("ServicesAmount", services)):
            euros = _euros(value, element)
            if euros == 0:
                continue
            if dimensional:
                out.append(_amount(element, euros, f"ICP_{country}_{vat}"))
                continue
            out += [
                f"  <bd-t:{_TUPLES[element]}>",
                f'    <bd-i:CountryCodeISO-EC contextRef="CD_Opgaaf">{escape(country)}'
                "</bd-i:CountryCodeISO-EC>",
                "  " + _amount(element, euros, "CD_Opgaaf"),
                f'    <bd-i:VATIdentificationNumberNational contextRef="CD_Opgaaf">{escape(vat)}'
                "</bd-i:VATIdentificationNumberNational>",
                f"  </bd-t:{_TUPLES[element]}>",
            ]
    return out


def _context(context_id: str, ob_number: str, scheme: str, start: date, end: date, *,
             member: tuple[str, str] | None = None) -> str:
    lines = [
        f'  <xbrli:context id="{context_id}">',
        "    <xbrli:entity>",
        f"      <xbrli:identifier scheme={quoteattr(scheme)}>{escape(ob_number)}</xbrli:identifier>",
        "    </xbrli:entity>",
        "    <xbrli:period>",
        f"      <xbrli:startDate>{start.isoformat()}</xbrli:startDate>",
        f"      <xbrli:endDate>{end.isoformat()}</xbrli:endDate>",
        "    </xbrli:period>",
    ]
    if member:
        country, vat = member
        lines += [
            "    <xbrli:scenario>",
            '      <xbrldi:typedMember dimension="bd-axes:VATNumberDimension">'
            f"<bd-domains:VATNumberDomain>{escape(vat)}</bd-domains:VATNumberDomain></xbrldi:typedMember>",
            '      <xbrldi:typedMember dimension="bd-axes:CountryCodeEUDimension">'
            f"<bd-domains:CountryCodeEUDomain>{escape(country)}</bd-domains:CountryCodeEUDomain>"
            "</xbrldi:typedMember>",
            "    </xbrli:scenario>",
        ]
    return "\n".join([*lines, "  </xbrli:context>"])


def _amount(name: str, value: int, context: str) -> str:
    return f'  <bd-i:{name} decimals="INF" contextRef="{context}" unitRef="EUR">{value}</bd-i:{name}>'


def _default_icp_lines(ob_number: str, start: date) -> list[IcpLine]:
    rng = random.Random(f"icp:{ob_number}:{start.isoformat()}")
    return [(country, vat, rng.randrange(500, 60_000), rng.choice((0, rng.randrange(100, 9_000))))
            for country, vat in rng.sample(_CUSTOMERS, 2)]


def _euros(value: int | Decimal, name: str) -> int:
    # VAT returns are in whole euros (decimals="INF"): refuse cents rather than round silently.
    number = Decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"{name} must be whole euros, not {value}")
    return int(number)


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
