"""The exceptions sbrflow raises for problems a person can act on: one tree under `SbrflowError`.

Every `SbrflowError` is a "a person must fix this" error, not a bug: its message is one clear line (or a
few, for a file with several problems) that names what to fix. A flow that meets one fails with that line
as its state message and one log line, without a traceback (flows/outcome.py, `fails_cleanly`); the CLI
prints it and exits 1 (2 for `NotFound`). Any other exception is a bug and keeps its traceback.

The branches say who acts and how:

    SbrflowError
    ├── InputError (ValueError)          what was asked or typed is wrong: fix the request and ask again
    │   ├── InvalidIdentifier            BSN, RSIN, OB-nummer, IBAN, … malformed or failing its check
    │   ├── InvalidPeriod                a period label, frequency or tax without a rule
    │   ├── PlanningError                a planning request naming a client/product/period that does not fit
    │   ├── UnknownWord                  domain/vocabulary.py: a word not in a column's vocabulary
    │   ├── WorkbookError                integrations/crm/records.py: the CRM workbook cannot be read
    │   ├── ImportRejected               flows/crm.py: an all-or-nothing import found errors, wrote nothing
    │   ├── ExportError                  tasks/crm_export.py: an export that cannot be made as asked
    │   └── SimulatorOptionError         cli/simulate.py: the simulator cannot start with these options
    ├── NotFound (LookupError)           the case, client, member, source, … named does not exist
    │   ├── ReturnNotFound               no stored return document with that id
    │   ├── SourceNotFound               tasks/intake.py: no source package of that name
    │   ├── CrmNotFound                  tasks/crm_status.py: no client, contact or member with that number
    │   ├── CheckpointNotFound           domain/routing.py (also a RoutingRefused)
    │   └── UnknownMember                tasks/team.py (also a TeamAuthError)
    ├── Refused                          a rule says no in the current state: the message says why
    │   ├── RoutingRefused               domain/routing.py
    │   ├── SubmissionError              a submission command that cannot be done as asked
    │   ├── ApprovalError                domain/approval.py: LinkNotValid, DecisionRefused (ValueError),
    │   │                                tasks/approval.py: AlreadyDecided, NoRecipient, CaseNotWithClient
    │   ├── AcceptanceError (ValueError) domain/acceptance.py: a status change that is not a step of the path
    │   ├── AcceptanceIncomplete (ValueError)  tasks/crm_status.py: acceptance papers missing
    │   ├── ManualAssignError            tasks/matching.py: a manual assignment that cannot be carried out
    │   └── TeamAuthError                domain/team_auth.py: SignInRefused, a weak password
    ├── ConfigurationError               the office's setup is wrong: a setting, template, text or source
    │   ├── WorkflowTemplateError        a workflow template file (file, stage, field named)
    │   ├── MessageTemplateError         config/message_texts.py: a message text that cannot be used
    │   ├── SourceConfigError            tasks/intake.py: a source package's settings
    │   └── MailConfigurationError       integrations/mail/smtp.py (also a MailError)
    └── Unavailable                      the outside world is down or busy: try again later, or fix it there
        ├── SourcesFailed                one or more source packages could not be polled (poll-returns)
        ├── SourcePackageError           integrations/source_packages/base.py: TransientSourceError,
        │                                PermanentSourceError (a source down or refusing)
        ├── DigipoortUnavailable         integrations/digipoort/base.py: no useful answer now
        └── LockBusy                     models/locks.py: another run holds the lock (named, since when)

Each class keeps its name and its import path (ConfigurationError is re-exported by config/settings.py,
SourcesFailed by flows/intake.py). Not in the tree, on purpose: `StopRequested` (tasks/shutdown.py, a
SIGTERM signal, not an error), and the integrations' internal signals that are always caught and
translated where they are raised (`UnreadableMessage`, `SignatureError`, `TransientMailError` /
`PermanentMailError`); a `ValueError` raised by a pydantic validator becomes a ConfigurationError or a
WorkflowTemplateError with the field named.
"""

from __future__ import annotations

from typing import Any


class SbrflowError(Exception):
    """Base of every sbrflow error a person must act on; its message says what to fix."""


# --- the branches ------------------------------------------------------------------------------------


class InputError(SbrflowError, ValueError):
    """What was asked or typed is wrong (a period, an identifier, a word, a file): fix it and ask again."""


class NotFound(SbrflowError, LookupError):
    """A case, team member, checkpoint, … that does not exist; the message names it (the CLI exits 2)."""


class Refused(SbrflowError):
    """An action that a rule does not allow in the current state; the message says why."""


class ConfigurationError(SbrflowError):
    """The office's setup is wrong (a setting, template, message text, source); the message names it."""


class Unavailable(SbrflowError):
    """The outside world is down or busy (a source, Digipoort, another run holding a lock): try again later."""


# --- the leaves defined here -------------------------------------------------------------------------


class InvalidIdentifier(InputError):
    """An identifier (BSN, RSIN, OB-nummer, IBAN, …) that is malformed or fails its check."""

    def __init__(self, kind: str, value: str, reason: str, message: str | None = None) -> None:
        self.kind = kind  # bsn, rsin, ob_number, vat_id, payroll_tax_number, kvk_number, iban, email
        self.value = value  # as given; may be personal data (BSN): never log it unmasked
        self.reason = reason  # what is wrong, in plain words
        super().__init__(message or f"{kind} is not valid: {reason}")


class InvalidPeriod(InputError):
    """A tax period, period label, frequency or tax that does not exist or has no rule."""


class WorkflowTemplateError(ConfigurationError):
    """A workflow template file that cannot be read or is invalid; the message names file, stage and field."""


class PlanningError(InputError):
    """A planning request naming a client, team member, product or period that does not exist or does not fit."""


class SubmissionError(Refused):
    """A submission command that cannot be done as asked (wrong state, unknown member); the message says why."""


class ReturnNotFound(NotFound):
    """No stored return document has that id."""


class SourcesFailed(Unavailable):
    """One or more source packages could not be polled; the others were (`summary` holds every source's row)."""

    def __init__(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        failed = [row for row in summary["sources"] if row["status"] == "failed"]
        super().__init__(
            f"{len(failed)} of {len(summary['sources'])} source package(s) failed: "
            + "; ".join(f"{row['source']}: {row['error']}" for row in failed)
        )
