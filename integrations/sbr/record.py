"""The normalised record of one SBR return, whatever its tax, kind or taxonomy year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sbrflow.domain.enums import Tax


class ReturnKind(StrEnum):
    """What a return document is: a regular return, a correction, an EU listing or a supplement."""

    RETURN = "return"  # aangifte OB, or a Loonaangifte with VolledigeAangifte
    CORRECTION = "correction"  # suppletie OB, or a Loonaangifte of TijdvakCorrectie blocks only
    ICP = "icp"  # opgaaf intracommunautaire prestaties (EU sales listing): no tax due
    SUPPLEMENTARY = "supplementary"  # Loonaangifte with AanvullendeAangifte


@dataclass(frozen=True, slots=True)
class CorrectedPeriod:
    """An earlier payroll period corrected inside a Loonaangifte (one TijdvakCorrectie block)."""

    period_start: date
    period_end: date
    # TotTeBet of the corrected period as it now stands; None when the block has no collective part.
    amount_due: Decimal | None
    # SaldoCorrectiesVoorgaandTijdvak/Saldo: what the correction adds (+) or refunds (−), when stated.
    balance: Decimal | None

    def to_json_dict(self) -> dict[str, str | None]:
        """JSON-ready form: ISO dates, amounts as strings."""
        return {
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "amount_due": _text(self.amount_due),
            "balance": _text(self.balance),
        }


@dataclass(frozen=True, slots=True)
class ParsedReturn:
    """One return as sbrflow stores and matches it; never holds employee data.

    amount_due is what this document makes payable (negative: a refund):
    OB return `ValueAddedTaxOwedToBePaidBack`; OB suppletie `ValueAddedTaxToBePaidAdditionalToBePaidBack`;
    ICP listing 0 (it carries no tax); LH `TotTeBet` of the period (for a message of corrections only:
    the corrected periods' TotTeBet summed). amount_total is the other total the document states:
    LH `TotGen` (period plus corrections), OB suppletie `ValueAddedTaxAmountTotalNew`, ICP the listed
    supplies and services summed; None otherwise.
    """

    tax: Tax
    kind: ReturnKind
    fiscal_id: str  # OB-nummer (001000044B37) or loonheffingennummer (111222333L01)
    period_start: date
    period_end: date
    amount_due: Decimal
    schema: str  # the taxonomy entrypoint href (OB) or the Loonaangifte namespace (LH)
    sha256: str  # of the exact bytes received: approvals are given for this document
    size: int  # bytes
    software_name: str | None = None
    software_version: str | None = None
    message_ref: str | None = None
    created_at: datetime | None = None
    amount_total: Decimal | None = None
    # Collective monetary facts by local name. OB: every rubriek of the return. LH: only TotTeBet
    # and TotGen — the other collective totals add up employees' wages, and with one employee they
    # would be that employee's wage.
    totals: tuple[tuple[str, Decimal], ...] = ()
    corrected_periods: tuple[CorrectedPeriod, ...] = ()

    @property
    def software(self) -> str | None:
        """Software name and version as one string, as the CLI and the inbox show it."""
        text = " ".join(part for part in (self.software_name, self.software_version) if part)
        return text or None

    def total(self, name: str) -> Decimal | None:
        """The collective fact `name` (a local name such as ValueAddedTaxOwed), if the document has it."""
        return dict(self.totals).get(name)

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready form with the keys the CLI promises (tax, kind, fiscal_id, … schema) and more."""
        return {
            "tax": self.tax.value,
            "kind": self.kind.value,
            "fiscal_id": self.fiscal_id,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "amount_due": str(self.amount_due),
            "sha256": self.sha256,
            "software": self.software,
            "schema": self.schema,
            "size": self.size,
            "software_name": self.software_name,
            "software_version": self.software_version,
            "message_ref": self.message_ref,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "amount_total": _text(self.amount_total),
            "totals": {name: str(value) for name, value in self.totals},
            "corrected_periods": [period.to_json_dict() for period in self.corrected_periods],
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
