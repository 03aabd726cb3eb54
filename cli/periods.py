"""`sbrflow periods …`: tax periods, their deadlines and payment references, from the domain rules."""

from __future__ import annotations

import json
from datetime import date

import typer

from sbrflow.domain.enums import Frequency
from sbrflow.domain.errors import InvalidPeriod

periods_app = typer.Typer(help="Tax periods: labels, dates, deadlines and payment references.", no_args_is_help=True)

_TAX_HELP = "OB (omzetbelasting, VAT) or LH (loonheffingen, payroll)."
_FREQUENCY_HELP = "month, quarter, year, four_weekly or half_year."


def _date(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidPeriod(f"--date {text!r} is not a date; use YYYY-MM-DD") from None


def _default_tax(frequency: str) -> str:
    # Four-weekly and half-year periods exist only for payroll; the rest default to VAT.
    return "LH" if frequency in {Frequency.FOUR_WEEKLY.value, Frequency.HALF_YEAR.value} else "OB"


@periods_app.command("show")
def show(
    tax: str = typer.Option(..., "--tax", help=_TAX_HELP),
    frequency: str = typer.Option(..., "--frequency", help=_FREQUENCY_HELP),
    day: str = typer.Option(None, "--date", help="Any day in the period, YYYY-MM-DD (default: today)."),
    quarter_start_month: int = typer.Option(1, "--quarter-start-month", help="1, or 2/3 for shifted quarters."),
    fiscal_id: str = typer.Option(None, "--fiscal-id", help="OB-nummer (OB) or loonheffingennummer (LH)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """The period containing a day: label, dates, period code, deadline and payment reference."""
    from sbrflow.domain.payment_reference import format_payment_reference, payment_reference
    from sbrflow.domain.periods import period_for

    period = period_for(frequency, _date(day), quarter_start_month)
    reference = payment_reference(fiscal_id, period, tax) if fiscal_id is not None else None
    result = {
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "period_code": period.period_code(tax),
        "deadline": period.deadline(tax).isoformat(),
        "deadline_effective": period.effective_deadline(tax).isoformat(),
        "payment_reference": reference,
    }
    if as_json:
        typer.echo(json.dumps(result))
        return
    names = {"label": "period", "start": "start", "end": "end", "period_code": "period code",
             "deadline": "deadline", "deadline_effective": "effective deadline",
             "payment_reference": "payment reference"}
    for key, name in names.items():
        value = result[key]
        if key == "payment_reference" and value is not None:
            value = f"{value} ({format_payment_reference(value)})"
        if value is not None:
            typer.echo(f"{name:<19} {value}")


@periods_app.command("list")
def list_periods(
    frequency: str = typer.Option(..., "--frequency", help=_FREQUENCY_HELP),
    year: int = typer.Option(..., "--year", help="The year the periods' labels carry."),
    tax: str = typer.Option(None, "--tax", help=_TAX_HELP + " Default: LH for four_weekly/half_year, else OB."),
    quarter_start_month: int = typer.Option(1, "--quarter-start-month", help="1, or 2/3 for shifted quarters."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """The periods of a year with their dates, period codes and deadlines."""
    from sbrflow.domain.periods import periods_of_year

    tax = tax.upper() if tax else _default_tax(frequency)  # the domain rejects an unknown tax
    rows = [
        {"label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat(), "period_code": p.period_code(tax),
         "deadline": p.deadline(tax).isoformat(), "deadline_effective": p.effective_deadline(tax).isoformat()}
        for p in periods_of_year(frequency, year, quarter_start_month)
    ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    typer.echo(f"{'period':<12} {'start':<10}  {'end':<10}  code  {'deadline':<10}  effective")
    for r in rows:
        typer.echo(f"{r['label']:<12} {r['start']}  {r['end']}  {r['period_code']:<4}  {r['deadline']}  "
                   f"{r['deadline_effective']}")
