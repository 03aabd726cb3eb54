"""Returns intake: the source packages we poll and every SBR document they delivered."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sbrflow.domain.enums import Tax
from sbrflow.models.base import Base, Timestamps, enum_column


class SourceKind(StrEnum):
    """How a source package hands over its returns."""

    HTTP = "http"
    FOLDER = "folder"


class DocumentStatus(StrEnum):
    """What intake made of a document: parsed and kept, or kept with the reason it cannot be used."""

    RECEIVED = "received"
    REJECTED = "rejected"


class SourcePackage(Timestamps, Base):
    """A bookkeeping, fiscal or payroll package that delivers returns, configured as data."""

    __tablename__ = "source_package"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[SourceKind] = mapped_column(enum_column(SourceKind, "source_kind"))
    url: Mapped[str | None] = mapped_column(sa.String(500))
    folder: Mapped[str | None] = mapped_column(sa.String(500))
    # The NAME of the environment variable (or `prefect-secret:BLOCK`) holding the API token;
    # the token itself is never stored here.
    token_env: Mapped[str | None] = mapped_column(sa.String(200))
    taxes: Mapped[str] = mapped_column(sa.String(16), default="OB,LH", server_default="OB,LH")
    enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Opaque position in the source's feed; advanced in the same transaction as the documents it covers.
    cursor: Mapped[str | None] = mapped_column(sa.String(500))
    last_polled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    documents: Mapped[list[TaxReturnDocument]] = relationship(back_populates="source_package")

    @property
    def tax_list(self) -> list[str]:
        """The taxes this package delivers, e.g. ['OB', 'LH']."""
        return [t for t in self.taxes.split(",") if t]


class TaxReturnDocument(Timestamps, Base):
    """One SBR document exactly as received, with its parsed record or the reason it was rejected.

    Unique on (source package, source reference) — the same delivery seen twice — and on the
    SHA-256 of the bytes — the same document delivered under another reference; both count as
    duplicates and are not stored again.
    """

    __tablename__ = "tax_return_document"
    __table_args__ = (
        sa.UniqueConstraint("source_package_id", "source_reference"),
        sa.UniqueConstraint("sha256"),
        sa.Index("ix_tax_return_document_period", "fiscal_id", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_package_id: Mapped[int] = mapped_column(
        sa.ForeignKey("source_package.id", ondelete="RESTRICT")
    )
    source_reference: Mapped[str] = mapped_column(sa.String(255))
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.Integer)
    # The exact bytes (approvals are given for them); large documents live content-addressed
    # under var/documents/ and only their path is kept here.
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    content_path: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[DocumentStatus] = mapped_column(enum_column(DocumentStatus, "document_status"), index=True)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    reason_code: Mapped[str | None] = mapped_column(sa.String(32))
    tax: Mapped[Tax | None] = mapped_column(enum_column(Tax, "return_tax", length=2))
    kind: Mapped[str | None] = mapped_column(sa.String(16))
    fiscal_id: Mapped[str | None] = mapped_column(sa.String(12))
    period_start: Mapped[date | None] = mapped_column(sa.Date)
    period_end: Mapped[date | None] = mapped_column(sa.Date)
    amount_due: Mapped[Decimal | None] = mapped_column(sa.Numeric(15, 2))
    amount_total: Mapped[Decimal | None] = mapped_column(sa.Numeric(15, 2))
    schema: Mapped[str | None] = mapped_column(sa.String(255))
    software: Mapped[str | None] = mapped_column(sa.String(120))
    message_ref: Mapped[str | None] = mapped_column(sa.String(120))
    document_created_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=False))

    source_package: Mapped[SourcePackage] = relationship(back_populates="documents")
