"""The office's CRM: clients, persons and their links, team members, roles, subscriptions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, LegalForm, Product, Role
from sbrflow.models.base import Base, Timestamps, enum_column


class Client(Timestamps, Base):
    """A company or natural person served by the office (klant)."""

    __tablename__ = "client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[ClientKind] = mapped_column(enum_column(ClientKind, "client_kind"))
    name: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[ClientStatus] = mapped_column(
        enum_column(ClientStatus, "client_status"), default=ClientStatus.PROSPECT, index=True
    )
    legal_form: Mapped[LegalForm | None] = mapped_column(enum_column(LegalForm, "legal_form"))
    # Fiscal identifiers are indexed, not unique: two clients with the same number is a data error
    # that matching must report as "ambiguous" rather than something the schema hides.
    rsin: Mapped[str | None] = mapped_column(sa.String(9), index=True)
    bsn: Mapped[str | None] = mapped_column(sa.String(9), index=True)
    ob_number: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    vat_id: Mapped[str | None] = mapped_column(sa.String(14))
    payroll_tax_number: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    kvk_number: Mapped[str | None] = mapped_column(sa.String(8))
    sbr_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    ideal_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_cluster_head: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    cluster_head_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("client.id", ondelete="SET NULL"), index=True
    )
    billed_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="SET NULL"))
    # Werkstop (AuditCase): while set, planning starts no new case for the client (reason work_stop).
    work_stop: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    work_stop_reason: Mapped[str | None] = mapped_column(sa.String(200))
    work_stop_since: Mapped[date | None]

    cluster_head: Mapped[Client | None] = relationship(
        remote_side=[id], foreign_keys=[cluster_head_id], back_populates="cluster_members"
    )
    cluster_members: Mapped[list[Client]] = relationship(
        foreign_keys=[cluster_head_id], back_populates="cluster_head"
    )
    billed_to: Mapped[Client | None] = relationship(remote_side=[id], foreign_keys=[billed_to_id])
    contacts: Mapped[list[ClientContact]] = relationship(
        back_populates="client", cascade="all, delete-orphan", passive_deletes=True
    )
    bank_accounts: Mapped[list[BankAccount]] = relationship(
        back_populates="client", cascade="all, delete-orphan", passive_deletes=True
    )
    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="client", cascade="all, delete-orphan", passive_deletes=True
    )
    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="client", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"Client({self.client_number!r}, {self.name!r}, {self.status})"


class Person(Timestamps, Base):
    """A natural person (contactpersoon); can be contact for several clients."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    initials: Mapped[str | None] = mapped_column(sa.String(20))
    first_name: Mapped[str | None] = mapped_column(sa.String(100))
    name_prefix: Mapped[str | None] = mapped_column(sa.String(20))  # tussenvoegsel
    last_name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    # Indexed for the duplicate warnings (same BSN; same name and date of birth) on 75,000 persons.
    bsn: Mapped[str | None] = mapped_column(sa.String(9), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(index=True)
    # Wwft identification of the person (needed when the person is a UBO).
    id_document_type: Mapped[str | None] = mapped_column(sa.String(40))
    id_document_number: Mapped[str | None] = mapped_column(sa.String(40))
    id_document_expires_on: Mapped[date | None]
    id_verified_on: Mapped[date | None]
    id_verified_by: Mapped[str | None] = mapped_column(sa.String(32))  # team member code
    id_verification_method: Mapped[str | None] = mapped_column(sa.String(60))  # in person, video call, eIDAS…

    client_links: Mapped[list[ClientContact]] = relationship(
        back_populates="person", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:  # no BSN, no date of birth: personal data stays out of logs
        return f"Person({self.contact_number!r})"


class ClientContact(Base):
    """A person's link to a client, with the function they have there."""

    __tablename__ = "client_contact"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "person_id"),
        sa.CheckConstraint(
            "share_percentage IS NULL OR (share_percentage >= 0 AND share_percentage <= 100)",
            name="share_percentage_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    function: Mapped[str | None] = mapped_column(sa.String(60))  # DGA, directeur, administratie…
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    portal_access: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    share_percentage: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))  # for UBO
    is_pseudo_ubo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The location (vestiging) of the client where this person works: their address is the location's.
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("location.id", ondelete="SET NULL"))
    # AuditCase's "Bedrijf" tab: the person's (e.g. a DGA's) post goes to this client's business address.
    correspondence_at_client: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    client: Mapped[Client] = relationship(back_populates="contacts")
    person: Mapped[Person] = relationship(back_populates="client_links")


class BankAccount(Base):
    """An IBAN of a client."""

    __tablename__ = "bank_account"
    __table_args__ = (sa.UniqueConstraint("client_id", "iban"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    iban: Mapped[str] = mapped_column(sa.String(34))

    client: Mapped[Client] = relationship(back_populates="bank_accounts")


class TeamMember(Timestamps, Base):
    """An employee of the office (medewerker)."""

    __tablename__ = "team_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Permissions on the acceptance path (domain/acceptance.py): who may approve a new client
    # (ter goedkeuring → centrale administratie) and who registers it centrally (→ Klant).
    client_approver: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    central_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    def __repr__(self) -> str:
        return f"TeamMember({self.code!r})"


class RoleAssignment(Base):
    """Which team member holds a role for a client; optionally only for one product.

    One general assignment per client × role (product NULL) and at most one override per
    client × role × product. NULLs never collide in a plain unique constraint, so both rules
    are partial unique indexes (SQLite and PostgreSQL alike).
    """

    __tablename__ = "role_assignment"
    __table_args__ = (
        sa.Index(
            "uq_role_assignment_client_role",
            "client_id",
            "role",
            unique=True,
            sqlite_where=sa.text("product IS NULL"),
            postgresql_where=sa.text("product IS NULL"),
        ),
        sa.Index(
            "uq_role_assignment_client_role_product",
            "client_id",
            "role",
            "product",
            unique=True,
            sqlite_where=sa.text("product IS NOT NULL"),
            postgresql_where=sa.text("product IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    # A member who still holds roles cannot be deleted; deactivate them and reassign instead.
    team_member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("team_member.id", ondelete="RESTRICT"), index=True
    )
    product: Mapped[Product | None] = mapped_column(enum_column(Product, "role_product"))

    client: Mapped[Client] = relationship(back_populates="role_assignments")
    team_member: Mapped[TeamMember] = relationship()


class Subscription(Base):
    """A product a client takes, with its filing frequency and active range."""

    __tablename__ = "subscription"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "product"),
        sa.CheckConstraint(
            "quarter_start_month IS NULL OR quarter_start_month IN (1, 2, 3)",
            name="quarter_start_month_valid",
        ),
        sa.CheckConstraint(
            "active_until IS NULL OR active_from IS NULL OR active_until >= active_from",
            name="active_range_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    product: Mapped[Product] = mapped_column(enum_column(Product, "product"))
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency, "frequency"))
    # 1 = Jan–Mar…; 2 and 3 are shifted quarters (Feb–Apr, Mar–May). Only for quarterly filing.
    quarter_start_month: Mapped[int | None] = mapped_column(sa.SmallInteger)
    active_from: Mapped[date | None]
    active_until: Mapped[date | None]

    client: Mapped[Client] = relationship(back_populates="subscriptions")
