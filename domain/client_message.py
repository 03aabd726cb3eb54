"""The message a client gets with their return: placeholders and how amounts are written in Dutch.

A template's `sbr.message` may name only these placeholders; config/workflows.py checks that when
the template is loaded (file, field and name in the error), so a typo never reaches a client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sbrflow.domain.payment_reference import format_payment_reference

PLACEHOLDERS = frozenset(
    {
        "client_name",
        "period_label",
        "product",
        "deadline",
        "amount_due",
        "payment_reference",
        "approval_url",
    }
)
_MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)
PRODUCT_NAMES = {
    "vat_return": "aangifte omzetbelasting",
    "payroll_return": "aangifte loonheffingen",
    "income_tax": "aangifte inkomstenbelasting",
    "corporate_tax": "aangifte vennootschapsbelasting",
    "annual_accounts": "jaarrekening",
}


def format_euros(amount: Decimal | int) -> str:
    """An amount as the Belastingdienst writes it: `€ 1.234`, `€ 1.234,56` with cents, `€ -12` below 0."""
    value = Decimal(amount)
    cents = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    whole, _, fraction = f"{abs(cents):.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"€ {sign}{grouped}" + (f",{fraction}" if fraction != "00" else "")


def amount_due_text(amount: Decimal | int) -> str:
    """`€ 1.234 te betalen`, `€ 56 terug te ontvangen`, or `niets te betalen` for zero."""
    value = Decimal(amount)
    if value > 0:
        return f"{format_euros(value)} te betalen"
    if value < 0:
        return f"{format_euros(-value)} terug te ontvangen"
    return "niets te betalen"


def format_date(day: date) -> str:
    """A date in Dutch words: `31 januari 2026`."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What a client message can say about one case."""

    client_name: str
    period_label: str
    product: str  # a Product value
    deadline: date | None
    amount_due: Decimal | None
    payment_reference: str | None  # 16 digits, ungrouped
    approval_url: str | None


def placeholder_values(facts: MessageFacts) -> dict[str, str]:
    """The text for every placeholder; unknown facts become a dash, never `None` in a client's mail."""
    return {
        "client_name": facts.client_name,
        "period_label": facts.period_label,
        "product": PRODUCT_NAMES.get(facts.product, facts.product),
        "deadline": format_date(facts.deadline) if facts.deadline else "-",
        "amount_due": amount_due_text(facts.amount_due) if facts.amount_due is not None else "-",
        "payment_reference": format_payment_reference(facts.payment_reference) if facts.payment_reference else "-",
        "approval_url": facts.approval_url or "-",
    }
