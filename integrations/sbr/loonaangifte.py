"""Payroll returns: the Loonaangifte XML message (aangifte loonheffingen).

Layout (Berichtspecificatie aangifte loonheffingen; DESIGN.md, "Payroll return"):

    Loonaangifte xmlns=".../schemas/Loonaangifte/{YYYY}/01"
      Bericht: IdBer, DatTdAanm, ContPers, TelNr, RelNr, GebrSwPakket
      AdministratieveEenheid: LhNr, NmIP,
        TijdvakAangifte: DatAanvTv, DatEindTv, VolledigeAangifte | AanvullendeAangifte
          CollectieveAangifte: … TotTeBet, SaldoCorrectiesVoorgaandTijdvak*, TotGen
          InkomstenverhoudingInitieel*   (employees: NatuurlijkPersoon/SofiNr, wages, …)
        TijdvakCorrectie*: DatAanvTv, DatEindTv, CollectieveAangifte, InkomstenverhoudingInitieel*

Personal data: this module reads Bericht, LhNr, the period dates and the collective TotTeBet,
TotGen and Saldo — nothing under InkomstenverhoudingInitieel is ever looked at. So no value of an
employee can reach the record, an error message or a log line.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element

from sbrflow.domain.enums import Tax
from sbrflow.integrations.sbr.errors import InvalidReturnDocument
from sbrflow.integrations.sbr.record import CorrectedPeriod, ParsedReturn, ReturnKind
from sbrflow.integrations.sbr.safexml import (
    SCHEMA_LIMIT,
    TEXT_LIMIT,
    amount,
    bounded,
    child_text,
    children,
    fiscal_id,
    iso_date,
    namespace,
    only_child,
    period,
    require,
    timestamp,
)

_NAMESPACE = re.compile(r"/Loonaangifte/\d{4}/\d{2}/?$")
_WRAPPERS = {"VolledigeAangifte": ReturnKind.RETURN, "AanvullendeAangifte": ReturnKind.SUPPLEMENTARY}


def parse_loonaangifte(root: Element, *, sha256: str, size: int) -> ParsedReturn:
    """Read a Loonaangifte message; raise InvalidReturnDocument when it is not a usable one."""
    schema = namespace(root.tag)
    if not _NAMESPACE.search(schema):
        raise InvalidReturnDocument(
            "the Loonaangifte element is not in a Loonaangifte namespace "
            "(http://xml.belastingdienst.nl/schemas/Loonaangifte/YYYY/01)",
            code="wrong_type",
        )
    bericht = only_child(root, "Bericht", "Loonaangifte")
    unit = only_child(root, "AdministratieveEenheid", "Loonaangifte")
    if unit is None:
        raise InvalidReturnDocument("no AdministratieveEenheid in the Loonaangifte", code="missing")
    where = "AdministratieveEenheid"
    lh_text = require(child_text(unit, "LhNr", where), "AdministratieveEenheid/LhNr")
    lh_number = fiscal_id(lh_text, "L", "LhNr")
    filed = only_child(unit, "TijdvakAangifte", where)
    # TijdvakCorrectie blocks sit next to TijdvakAangifte; also accepted inside it.
    blocks = children(unit, "TijdvakCorrectie")
    if filed is not None:
        blocks += children(filed, "TijdvakCorrectie")

    balances: dict[tuple[date, date], Decimal] = {}
    amount_total: Decimal | None = None
    if filed is not None:
        start, end = _period(filed, "TijdvakAangifte")
        kind, collective = _collective(filed)
        due = child_text(collective, "TotTeBet", "CollectieveAangifte")
        amount_due = amount(require(due, "CollectieveAangifte/TotTeBet"), "TotTeBet")
        grand = child_text(collective, "TotGen", "CollectieveAangifte")
        amount_total = amount(grand, "TotGen") if grand is not None else None
        balances = _balances(collective)
    elif blocks:
        kind = ReturnKind.CORRECTION  # a message of corrections only (an earlier year)
    else:
        raise InvalidReturnDocument(
            "the Loonaangifte has neither TijdvakAangifte nor TijdvakCorrectie: it files no period",
            code="missing",
        )
    corrected = tuple(_corrected(block, balances) for block in blocks)
    if filed is None:
        if any(c.amount_due is None for c in corrected):
            raise InvalidReturnDocument(
                "a TijdvakCorrectie has no CollectieveAangifte/TotTeBet", code="missing"
            )
        start = min(c.period_start for c in corrected)
        end = max(c.period_end for c in corrected)
        amount_due = sum((c.amount_due for c in corrected), Decimal(0))

    totals = [("TotTeBet", amount_due)]
    if amount_total is not None:
        totals.append(("TotGen", amount_total))
    return ParsedReturn(
        tax=Tax.LH,
        kind=kind,
        fiscal_id=lh_number,
        period_start=start,
        period_end=end,
        amount_due=amount_due,
        schema=bounded(schema, "the Loonaangifte namespace", SCHEMA_LIMIT),
        sha256=sha256,
        size=size,
        # GebrSwPakket is one field: name and version together.
        software_name=bounded(child_text(bericht, "GebrSwPakket", "Bericht"), "GebrSwPakket", TEXT_LIMIT),
        message_ref=bounded(child_text(bericht, "IdBer", "Bericht"), "IdBer", TEXT_LIMIT),
        created_at=timestamp(child_text(bericht, "DatTdAanm", "Bericht")),
        amount_total=amount_total,
        totals=tuple(totals),
        corrected_periods=corrected,
    )


def _period(parent: Element, where: str) -> tuple[date, date]:
    start, end = (
        iso_date(require(child_text(parent, name, where), f"{where}/{name}"), f"{where}/{name}")
        for name in ("DatAanvTv", "DatEindTv")
    )
    return period(start, end, where)


def _collective(filed: Element) -> tuple[ReturnKind, Element]:
    wrappers = [child for name in _WRAPPERS for child in children(filed, name)]
    if len(wrappers) != 1:
        raise InvalidReturnDocument(
            "TijdvakAangifte must hold exactly one VolledigeAangifte or AanvullendeAangifte "
            f"(found {len(wrappers)})",
            code="missing" if not wrappers else "ambiguous",
        )
    wrapper = wrappers[0]
    name = wrapper.tag.rpartition("}")[2]
    collective = only_child(wrapper, "CollectieveAangifte", name)
    if collective is None:
        raise InvalidReturnDocument(f"{name} has no CollectieveAangifte", code="missing")
    return _WRAPPERS[name], collective


def _balances(collective: Element) -> dict[tuple[date, date], Decimal]:
    """Saldo per corrected period, as the current period's collective part states it."""
    found: dict[tuple, Decimal] = {}
    for block in children(collective, "SaldoCorrectiesVoorgaandTijdvak"):
        key = _period(block, "SaldoCorrectiesVoorgaandTijdvak")
        text = require(child_text(block, "Saldo", "SaldoCorrectiesVoorgaandTijdvak"),
                       "SaldoCorrectiesVoorgaandTijdvak/Saldo")
        found[key] = amount(text, "Saldo")
    return found


def _corrected(block: Element, balances: dict[tuple[date, date], Decimal]) -> CorrectedPeriod:
    start, end = _period(block, "TijdvakCorrectie")
    collective = only_child(block, "CollectieveAangifte", "TijdvakCorrectie")
    text = child_text(collective, "TotTeBet", "TijdvakCorrectie/CollectieveAangifte")
    return CorrectedPeriod(
        period_start=start,
        period_end=end,
        amount_due=amount(text, "TijdvakCorrectie TotTeBet") if text is not None else None,
        balance=balances.get((start, end)),
    )
