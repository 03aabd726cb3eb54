"""The exceptions sbrflow raises for problems a user or operator can act on."""

from __future__ import annotations


class SbrflowError(Exception):
    """Base of every sbrflow error; its message says what to fix."""


class InvalidIdentifier(SbrflowError, ValueError):
    """An identifier (BSN, RSIN, OB-nummer, IBAN, …) that is malformed or fails its check."""

    def __init__(self, kind: str, value: str, reason: str, message: str | None = None) -> None:
        self.kind = kind  # bsn, rsin, ob_number, vat_id, payroll_tax_number, kvk_number, iban, email
        self.value = value  # as given; may be personal data (BSN): never log it unmasked
        self.reason = reason  # what is wrong, in plain words
        super().__init__(message or f"{kind} is not valid: {reason}")


class InvalidPeriod(SbrflowError, ValueError):
    """A tax period, period label, frequency or tax that does not exist or has no rule."""


class WorkflowTemplateError(SbrflowError):
    """A workflow template file that cannot be read or is invalid; the message names file, stage and field."""


class PlanningError(SbrflowError, ValueError):
    """A planning request naming a client, team member, product or period that does not exist or does not fit."""


class SubmissionError(SbrflowError):
    """A submission command that cannot be done as asked (wrong state, unknown member); the message says why."""


class NotFound(SbrflowError, LookupError):
    """A case, team member, checkpoint, … that does not exist; the message names it (the CLI exits 2)."""


class ReturnNotFound(SbrflowError, LookupError):
    """No stored return document has that id."""
