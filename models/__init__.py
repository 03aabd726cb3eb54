"""SQLAlchemy tables of sbrflow. Importing this package registers every table on Base.metadata."""

from sbrflow.models.base import Base
from sbrflow.models.cases import Case, CaseStage
from sbrflow.models.crm import (
    BankAccount,
    Client,
    ClientContact,
    Person,
    RoleAssignment,
    Subscription,
    TeamMember,
)
from sbrflow.models.locks import AppLock
from sbrflow.models.matching import AuditEvent, CaseDocument, ReturnMatch
from sbrflow.models.returns import DocumentStatus, SourceKind, SourcePackage, TaxReturnDocument

__all__ = [
    "AppLock",
    "AuditEvent",
    "CaseDocument",
    "ReturnMatch",
    "BankAccount",
    "Base",
    "Case",
    "CaseStage",
    "Client",
    "DocumentStatus",
    "ClientContact",
    "Person",
    "RoleAssignment",
    "SourceKind",
    "SourcePackage",
    "Subscription",
    "TaxReturnDocument",
    "TeamMember",
]
