"""CRM working tools: custom properties and indicators with their values, saved queries, Wwft risk class.

Custom properties and indicators are defined by an admin (`crm_property`) for clients or for persons;
an indicator is a property without a value (present or not). Saved queries belong to a team member and
are private unless shared. A client's current risk class sits in `client_risk`; every change is a row
of `client_risk_change` (who, when, from, to, motivation).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sbrflow.models.base import Base

PROPERTY_TARGETS = ("client", "person")
PROPERTY_KINDS = ("text", "number", "date", "choice", "indicator")
RISK_CLASSES = ("low", "high", "unacceptable")


class CrmProperty(Base):
    """A custom property (text, number, date, choice) or an indicator (a tag) of clients or of persons."""

    __tablename__ = "crm_property"
    __table_args__ = (
        sa.UniqueConstraint("name"),
        sa.CheckConstraint("target IN ('client', 'person')", name="target_valid"),
        sa.CheckConstraint("kind IN ('text', 'number', 'date', 'choice', 'indicator')", name="kind_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))  # also the import column's header
    target: Mapped[str] = mapped_column(sa.String(10))
    kind: Mapped[str] = mapped_column(sa.String(10))
    choices: Mapped[str | None] = mapped_column(sa.Text)  # JSON list, for kind choice
    created_by: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class CrmPropertyValue(Base):
    """The value of one property for one client or person (an indicator's value is empty: it is set)."""

    __tablename__ = "crm_property_value"
    __table_args__ = (
        sa.UniqueConstraint("property_id", "client_id"),
        sa.UniqueConstraint("property_id", "person_id"),
        sa.CheckConstraint("(client_id IS NULL) <> (person_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    property_id: Mapped[int] = mapped_column(sa.ForeignKey("crm_property.id", ondelete="CASCADE"))
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    value: Mapped[str | None] = mapped_column(sa.String(500))  # canonical text: numbers plain, dates ISO


class SavedQuery(Base):
    """A team member's saved filter list: private unless shared."""

    __tablename__ = "crm_saved_query"
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "name"),
        sa.CheckConstraint("subject IN ('clients', 'persons')", name="subject_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("team_member.id", ondelete="CASCADE"), index=True)
    shared: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    subject: Mapped[str] = mapped_column(sa.String(10))
    filters: Mapped[str] = mapped_column(sa.Text)  # JSON list of the filter texts as given
    saved_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ClientRisk(Base):
    """A client's current Wwft risk class (low, high, unacceptable) and why."""

    __tablename__ = "client_risk"
    __table_args__ = (
        sa.UniqueConstraint("client_id"),
        sa.CheckConstraint("risk_class IN ('low', 'high', 'unacceptable')", name="risk_class_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    risk_class: Mapped[str] = mapped_column(sa.String(16), index=True)
    motivation: Mapped[str] = mapped_column(sa.Text)
    set_by: Mapped[str] = mapped_column(sa.String(32))
    set_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ClientRiskChange(Base):
    """One change of a client's risk class: who, when, from, to, motivation."""

    __tablename__ = "client_risk_change"
    __table_args__ = (
        sa.CheckConstraint("to_class IN ('low', 'high', 'unacceptable')", name="to_class_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    from_class: Mapped[str | None] = mapped_column(sa.String(16))
    to_class: Mapped[str] = mapped_column(sa.String(16))
    motivation: Mapped[str] = mapped_column(sa.Text)
    changed_by: Mapped[str] = mapped_column(sa.String(32))
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
