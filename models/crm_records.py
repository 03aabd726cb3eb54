"""The CRM beyond clients and contacts: status log, Wwft structure, documents, relations, locations, addresses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sbrflow.domain.enums import AddressKind, ClientStatus, DocumentKind, RelationType
from sbrflow.models.base import Base, Timestamps, enum_column


class ClientStatusChange(Base):
    """One step of a client's status: who, when, from, to, why (`import` for the workbook import)."""

    __tablename__ = "client_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[ClientStatus | None] = mapped_column(enum_column(ClientStatus, "status_change_from"))
    to_status: Mapped[ClientStatus] = mapped_column(enum_column(ClientStatus, "status_change_to"))
    changed_by: Mapped[str] = mapped_column(sa.String(32))  # team member code, or "import"
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(sa.Text)


class Shareholding(Base):
    """A client holding shares in another client (a holding and its work companies), for UBO chains.

    A person's direct share stays on their contact link (ClientContact.share_percentage).
    """

    __tablename__ = "shareholding"
    __table_args__ = (
        sa.UniqueConstraint("holder_id", "owned_id"),
        sa.CheckConstraint("share_percentage >= 0 AND share_percentage <= 100", name="share_range"),
        sa.CheckConstraint("holder_id <> owned_id", name="not_own_shares"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    owned_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    share_percentage: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))


class ClientDocument(Timestamps, Base):
    """A document acceptance needs, registered per client: a stored file's hash or a reference."""

    __tablename__ = "client_document"
    __table_args__ = (sa.UniqueConstraint("client_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, "client_document_kind"))
    reference: Mapped[str] = mapped_column(sa.String(500))  # path of the stored file or document-system id
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    dated: Mapped[date | None]


class PersonAlias(Base):
    """A contact number merged into a head person (Hoofdcontactnummer): re-imports of it land on the head."""

    __tablename__ = "person_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)


class RelationLink(Base):
    """Relatie bij Klant: a client's bank, notary, previous accountant … (a registration with status Relatie)."""

    __tablename__ = "relation_link"
    __table_args__ = (sa.UniqueConstraint("client_id", "relation_id", "relation_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    relation_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    relation_type: Mapped[RelationType] = mapped_column(enum_column(RelationType, "relation_type"))


class Location(Base):
    """An establishment (vestiging) of a client, with its own address."""

    __tablename__ = "location"
    __table_args__ = (sa.UniqueConstraint("client_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(200))


class GeneralAddressee(Base):
    """Algemene correspondentie: a general addressee at a company ("de directie", "het secretariaat"), no person.

    Tied to a location, it uses the location's address; otherwise the client's correspondence address.
    """

    __tablename__ = "general_addressee"
    __table_args__ = (sa.UniqueConstraint("client_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("location.id", ondelete="SET NULL"))


class Address(Base):
    """A visiting, postal or correspondence address of exactly one client, person or location."""

    __tablename__ = "address"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "kind"),
        sa.UniqueConstraint("person_id", "kind"),
        sa.UniqueConstraint("location_id", "kind"),
        sa.CheckConstraint(
            "(CASE WHEN client_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN person_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN location_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
        sa.Index("ix_address_place", "postcode", "house_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("location.id", ondelete="CASCADE"))
    kind: Mapped[AddressKind] = mapped_column(enum_column(AddressKind, "address_kind"))
    street: Mapped[str | None] = mapped_column(sa.String(200))
    house_number: Mapped[str | None] = mapped_column(sa.String(20))
    house_number_addition: Mapped[str | None] = mapped_column(sa.String(20))
    postcode: Mapped[str | None] = mapped_column(sa.String(12))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    country: Mapped[str] = mapped_column(sa.String(2), default="NL", server_default="NL")
