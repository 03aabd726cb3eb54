"""The return as the client knows it: XBRL element names → the rubrieken of the paper/online form.

Sources checked (2026-11-30):
- The box → XML element table of Microsoft's "VAT declaration for Netherlands" (Dynamics 365
  Finance documentation, MicrosoftDocs): 1a–4b turnover / VAT pairs, 5a `ValueAddedTaxOwed`,
  5b `ValueAddedTaxOnInput`, 5c subtotal 5a − 5b (no element), 5d
  `SmallEntrepreneurProvisionReduction`, 5g `ValueAddedTaxOwedToBePaidBack`; 1e, 3a, 3b and 3c have a
  turnover element only. Business Central's NL localisation (codeunit "Digital Tax. Decl. Mgt.") maps
  the same names to its electronic tax codes 1A … 5G.
- The real sample `samples/sbr/VB-01_bd-rpt-ob-aangifte-2021.xbrl` (Nederlandse Taxonomie NT15,
  bd-rpt-ob-aangifte-2021): every element named below for the return occurs in it, and its numbers add
  up (1a 15000 / 3150, 1b 1500 / 90, 5a 3240 = 3150 + 90, 5g 3240); tests/domain/test_vat_form.py checks it.
- Dutch labels: the Belastingdienst's "Aangifte omzetbelasting" form (rubrieken 1 to 5). 5e and 5f
  ("schatting") are on the paper form but have no element in the SBR return, so they are not shown.
- Suppletie (bd-rpt-ob-suppletie): `ValueAddedTaxAmountTotalOld` (declared before),
  `ValueAddedTaxAmountTotalNew`, `ValueAddedTaxToBePaidAdditionalToBePaidBack` (the difference); the
  last two are also what integrations/sbr/xbrl.py reads as amount_due / amount_total.
- Payroll (Loonaangifte): only the collective `TotTeBet` and `TotGen` — the parser keeps nothing else,
  so no employee's data can reach this page.

Matched on local names: the namespaces change every taxonomy year, the names have not since NT14.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Rubriek:
    """One line of the form: its code, Dutch label and the elements of its two columns."""

    code: str
    label: str
    turnover: str | None  # "Bedrag waarover omzetbelasting wordt berekend"
    vat: str | None  # "Omzetbelasting"


@dataclass(frozen=True, slots=True)
class Section:
    """A group of rubrieken under its heading (1 Prestaties binnenland, …)."""

    number: str
    title: str
    rubrieken: tuple[Rubriek, ...]


VAT_SECTIONS: tuple[Section, ...] = (
    Section("1", "Prestaties binnenland", (
        Rubriek("1a", "Leveringen/diensten belast met hoog tarief",
                "TaxedTurnoverSuppliesServicesGeneralTariff", "ValueAddedTaxSuppliesServicesGeneralTariff"),
        Rubriek("1b", "Leveringen/diensten belast met laag tarief",
                "TaxedTurnoverSuppliesServicesReducedTariff", "ValueAddedTaxSuppliesServicesReducedTariff"),
        Rubriek("1c", "Leveringen/diensten belast met overige tarieven, behalve 0%",
                "TaxedTurnoverSuppliesServicesOtherRates", "ValueAddedTaxSuppliesServicesOtherRates"),
        Rubriek("1d", "Privégebruik", "TaxedTurnoverPrivateUse", "ValueAddedTaxPrivateUse"),
        Rubriek("1e", "Leveringen/diensten belast met 0% of niet bij u belast", "SuppliesServicesNotTaxed", None),
    )),
    Section("2", "Verleggingsregelingen binnenland", (
        Rubriek("2a", "Leveringen/diensten waarbij de omzetbelasting naar u is verlegd",
                "TurnoverSuppliesServicesByWhichVATTaxationIsTransferred",
                "ValueAddedTaxSuppliesServicesByWhichVATTaxationIsTransferred"),
    )),
    Section("3", "Prestaties naar of in het buitenland", (
        Rubriek("3a", "Leveringen naar landen buiten de EU (uitvoer)", "SuppliesToCountriesOutsideTheEC", None),
        Rubriek("3b", "Leveringen naar of diensten in landen binnen de EU", "SuppliesToCountriesWithinTheEC", None),
        Rubriek("3c", "Installatie/afstandsverkopen binnen de EU", "InstallationDistanceSalesWithinTheEC", None),
    )),
    Section("4", "Prestaties vanuit het buitenland aan u verricht", (
        Rubriek("4a", "Leveringen/diensten uit landen buiten de EU",
                "TurnoverFromTaxedSuppliesFromCountriesOutsideTheEC",
                "ValueAddedTaxOnSuppliesFromCountriesOutsideTheEC"),
        Rubriek("4b", "Leveringen/diensten uit landen binnen de EU",
                "TurnoverFromTaxedSuppliesFromCountriesWithinTheEC", "ValueAddedTaxOnSuppliesFromCountriesWithinTheEC"),
    )),
    Section("5", "Voorbelasting, kleineondernemersregeling en totaal", (
        Rubriek("5a", "Verschuldigde omzetbelasting (rubrieken 1a t/m 4b)", None, "ValueAddedTaxOwed"),
        Rubriek("5b", "Voorbelasting", None, "ValueAddedTaxOnInput"),
        Rubriek("5c", "Subtotaal (rubriek 5a min 5b)", None, None),  # computed: no element
        Rubriek("5d", "Vermindering volgens de kleineondernemersregeling", None, "SmallEntrepreneurProvisionReduction"),
        Rubriek("5g", "Totaal te betalen / terug te vragen", None, "ValueAddedTaxOwedToBePaidBack"),
    )),
)
SUPPLETIE_OLD = "ValueAddedTaxAmountTotalOld"
SUPPLETIE_NEW = "ValueAddedTaxAmountTotalNew"
SUPPLETIE_DIFFERENCE = "ValueAddedTaxToBePaidAdditionalToBePaidBack"
PAYROLL_TOTALS: tuple[tuple[str, str], ...] = (
    ("TotTeBet", "Totaal te betalen over dit tijdvak"),
    ("TotGen", "Generaal totaal (inclusief correcties over eerdere tijdvakken)"),
)


@dataclass(frozen=True, slots=True)
class FormLine:
    """One rubriek with its amounts (None: the column does not exist or the return leaves it out)."""

    code: str
    label: str
    turnover: Decimal | None
    vat: Decimal | None
    has_turnover: bool
    has_vat: bool


@dataclass(frozen=True, slots=True)
class FormSection:
    number: str
    title: str
    lines: tuple[FormLine, ...]


def vat_form(totals: Mapping[str, Decimal]) -> tuple[FormSection, ...]:
    """The VAT return's facts (local name → amount) laid out as rubrieken 1a–5g, 5c computed."""
    sections = []
    for section in VAT_SECTIONS:
        lines = []
        for r in section.rubrieken:
            vat = totals.get(r.vat) if r.vat else None
            if r.code == "5c":
                owed, on_input = totals.get("ValueAddedTaxOwed"), totals.get("ValueAddedTaxOnInput")
                vat = ((owed or Decimal(0)) - (on_input or Decimal(0))
                       if owed is not None or on_input is not None else None)
            lines.append(FormLine(
                code=r.code, label=r.label,
                turnover=totals.get(r.turnover) if r.turnover else None, vat=vat,
                has_turnover=r.turnover is not None, has_vat=r.vat is not None or r.code == "5c",
            ))
        sections.append(FormSection(section.number, section.title, tuple(lines)))
    return tuple(sections)


@dataclass(frozen=True, slots=True)
class SuppletieSummary:
    """A correction as the client reads it: what was declared, what it is now, the difference."""

    old_total: Decimal | None
    new_total: Decimal | None
    difference: Decimal | None


def suppletie_summary(totals: Mapping[str, Decimal]) -> SuppletieSummary:
    """Old total, new total and difference of a suppletie (difference = new − old when not stated)."""
    old, new = totals.get(SUPPLETIE_OLD), totals.get(SUPPLETIE_NEW)
    difference = totals.get(SUPPLETIE_DIFFERENCE)
    if difference is None and old is not None and new is not None:
        difference = new - old
    return SuppletieSummary(old, new, difference)


def payroll_totals(totals: Mapping[str, Decimal]) -> tuple[tuple[str, Decimal], ...]:
    """The collective totals of a payroll return, labelled; never any employee's figures."""
    return tuple((label, totals[name]) for name, label in PAYROLL_TOTALS if name in totals)


def known_elements() -> frozenset[str]:
    """Every element name the form reads (for checking the table against a real document)."""
    names = {n for s in VAT_SECTIONS for r in s.rubrieken for n in (r.turnover, r.vat) if n}
    return frozenset(names)
