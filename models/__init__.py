"""SQLAlchemy tables of sbrflow. Importing this package registers every table on Base.metadata."""

from sbrflow.models.approval import ApprovalRequest
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
from sbrflow.models.crm_people import CrmNote, CrmNoteVersion, FollowUp
from sbrflow.models.crm_query import ClientRisk, ClientRiskChange, CrmProperty, CrmPropertyValue, SavedQuery
from sbrflow.models.crm_records import (
    Address,
    ClientDocument,
    ClientStatusChange,
    GeneralAddressee,
    Location,
    PersonAlias,
    RelationLink,
    Shareholding,
)
from sbrflow.models.locks import AppLock
from sbrflow.models.matching import AuditEvent, CaseDocument, ReturnMatch
from sbrflow.models.messages import Message
from sbrflow.models.returns import DocumentStatus, SourceKind, SourcePackage, TaxReturnDocument
from sbrflow.models.routing import CaseCheckpoint, TemplateVersion
from sbrflow.models.submission import DeliveryState, Submission
from sbrflow.models.team import ApiToken, TeamAccount, TeamSession

__all__ = [
    "CrmNote",
    "CrmNoteVersion",
    "FollowUp",
    "ClientRisk",
    "ClientRiskChange",
    "CrmProperty",
    "CrmPropertyValue",
    "SavedQuery",
    "ApiToken",
    "TeamAccount",
    "TeamSession",
    "ApprovalRequest",
    "Address",
    "ClientDocument",
    "ClientStatusChange",
    "GeneralAddressee",
    "Location",
    "PersonAlias",
    "RelationLink",
    "Shareholding",
    "AppLock",
    "AuditEvent",
    "CaseDocument",
    "ReturnMatch",
    "BankAccount",
    "Base",
    "Case",
    "CaseCheckpoint",
    "CaseStage",
    "Client",
    "DocumentStatus",
    "Message",
    "ClientContact",
    "Person",
    "RoleAssignment",
    "SourceKind",
    "DeliveryState",
    "Submission",
    "SourcePackage",
    "Subscription",
    "TaxReturnDocument",
    "TemplateVersion",
    "TeamMember",
]
