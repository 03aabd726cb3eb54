"""The exception tree (domain/errors.py): every error a person must act on is a SbrflowError in one branch."""

from __future__ import annotations

import importlib

import pytest

from sbrflow.domain import errors
from sbrflow.domain.errors import ConfigurationError, InputError, NotFound, Refused, SbrflowError, Unavailable

BRANCHES = (InputError, NotFound, Refused, ConfigurationError, Unavailable)

# Every domain error of the project, where it lives (its import path is a contract: it must keep working).
DOMAIN_ERRORS = [
    ("sbrflow.domain.errors", "InvalidIdentifier", InputError),
    ("sbrflow.domain.errors", "InvalidPeriod", InputError),
    ("sbrflow.domain.errors", "PlanningError", InputError),
    ("sbrflow.domain.vocabulary", "UnknownWord", InputError),
    ("sbrflow.integrations.crm.records", "WorkbookError", InputError),
    ("sbrflow.flows.crm", "ImportRejected", InputError),
    ("sbrflow.tasks.crm_export", "ExportError", InputError),
    ("sbrflow.cli.simulate", "SimulatorOptionError", InputError),
    ("sbrflow.domain.errors", "ReturnNotFound", NotFound),
    ("sbrflow.tasks.intake", "SourceNotFound", NotFound),
    ("sbrflow.tasks.crm_status", "CrmNotFound", NotFound),
    ("sbrflow.domain.routing", "CheckpointNotFound", NotFound),
    ("sbrflow.tasks.team", "UnknownMember", NotFound),
    ("sbrflow.domain.routing", "RoutingRefused", Refused),
    ("sbrflow.domain.errors", "SubmissionError", Refused),
    ("sbrflow.domain.approval", "ApprovalError", Refused),
    ("sbrflow.domain.approval", "LinkNotValid", Refused),
    ("sbrflow.domain.approval", "DecisionRefused", Refused),
    ("sbrflow.tasks.approval", "AlreadyDecided", Refused),
    ("sbrflow.tasks.approval", "NoRecipient", Refused),
    ("sbrflow.tasks.approval", "CaseNotWithClient", Refused),
    ("sbrflow.domain.acceptance", "AcceptanceError", Refused),
    ("sbrflow.tasks.crm_status", "AcceptanceIncomplete", Refused),
    ("sbrflow.tasks.matching", "ManualAssignError", Refused),
    ("sbrflow.domain.team_auth", "TeamAuthError", Refused),
    ("sbrflow.domain.team_auth", "SignInRefused", Refused),
    ("sbrflow.config.settings", "ConfigurationError", ConfigurationError),
    ("sbrflow.domain.errors", "WorkflowTemplateError", ConfigurationError),
    ("sbrflow.config.message_texts", "MessageTemplateError", ConfigurationError),
    ("sbrflow.tasks.intake", "SourceConfigError", ConfigurationError),
    ("sbrflow.integrations.mail.smtp", "MailConfigurationError", ConfigurationError),
    ("sbrflow.flows.intake", "SourcesFailed", Unavailable),
    ("sbrflow.integrations.source_packages.base", "SourcePackageError", Unavailable),
    ("sbrflow.integrations.source_packages.base", "TransientSourceError", Unavailable),
    ("sbrflow.integrations.source_packages.base", "PermanentSourceError", Unavailable),
    ("sbrflow.integrations.digipoort.base", "DigipoortUnavailable", Unavailable),
    ("sbrflow.models.locks", "LockBusy", Unavailable),
]


@pytest.mark.parametrize(("module", "name", "branch"), DOMAIN_ERRORS, ids=[n for _, n, _ in DOMAIN_ERRORS])
def test_every_domain_error_keeps_its_import_path_and_joins_one_branch_of_the_tree(module, name, branch):
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, SbrflowError) and issubclass(cls, branch)
    assert cls.__name__ == name


@pytest.mark.parametrize(("module", "name", "branch"), DOMAIN_ERRORS, ids=[n for _, n, _ in DOMAIN_ERRORS])
def test_the_tree_is_documented_in_the_module_docstring(module, name, branch):
    assert name in errors.__doc__ and branch.__name__ in errors.__doc__


def test_the_errors_that_were_plain_python_errors_still_are_for_old_callers():
    assert issubclass(errors.NotFound, LookupError) and issubclass(errors.InputError, ValueError)
    assert issubclass(errors.PlanningError, ValueError) and issubclass(errors.InvalidPeriod, ValueError)


def test_sources_failed_names_every_failed_source_in_one_line():
    summary = {"sources": [{"source": "nmbrs", "status": "failed", "error": "connection refused"},
                           {"source": "folder", "status": "ok", "error": ""}]}
    exc = errors.SourcesFailed(summary)
    assert str(exc) == "1 of 2 source package(s) failed: nmbrs: connection refused" and exc.summary is summary
