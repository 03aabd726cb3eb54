"""SQLAlchemy tables of sbrflow. Importing this package registers every table on Base.metadata."""

from sbrflow.models.base import Base
from sbrflow.models.crm import (
    BankAccount,
    Client,
    ClientContact,
    Person,
    RoleAssignment,
    Subscription,
    TeamMember,
)

__all__ = [
    "BankAccount",
    "Base",
    "Client",
    "ClientContact",
    "Person",
    "RoleAssignment",
    "Subscription",
    "TeamMember",
]
