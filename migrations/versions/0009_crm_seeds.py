"""CRM as the seeds describe it: all client statuses, status log, werkstop, permissions, Wwft structure,
client documents, head-contact aliases, relations at clients, locations, addresses.

Existing data stays: columns are added with defaults, and the client-status CHECK is widened in place.
On SQLite the `client` table is NOT recreated (batch mode would): with foreign keys on, dropping the old
table would cascade-delete every contact, subscription and case. Widening a CHECK is the change SQLite's
documentation allows through `writable_schema` (existing rows satisfy the wider rule).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("suspect", "prospect", "acceptance_draft", "acceptance_review", "acceptance_admin", "client",
                "former_client")
NEW_STATUSES = ("suspect", "prospect", "client_request", "acceptance_draft", "acceptance_review", "acceptance_admin",
                "client", "former_client", "relation", "own_service_provider")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _in(values: Sequence[str]) -> str:
    return "status IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _edit_sqlite_table(table: str, sql: str, params: dict[str, str]) -> None:
    """Rewrite a table's stored CREATE statement in place (no rebuild, so no cascading deletes)."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.execute(sa.text(f"UPDATE sqlite_master SET sql = {sql} WHERE type = 'table' AND name = :table"),
                 {**params, "table": table})
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


LOCATION_FK = ("CONSTRAINT fk_client_contact_location_id_location FOREIGN KEY(location_id) "
               "REFERENCES location (id) ON DELETE SET NULL")


def _set_status_check(old: Sequence[str], new: Sequence[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _edit_sqlite_table("client", "replace(sql, :old, :new)", {"old": _in(old), "new": _in(new)})
    else:
        op.drop_constraint(op.f("ck_client_client_status"), "client", type_="check")
        op.create_check_constraint(op.f("ck_client_client_status"), "client", _in(new))


def _drop_columns(table: str, *names: str) -> None:
    for name in names:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")  # SQLite ≥ 3.35: no table rebuild
        else:
            op.drop_column(table, name)


def upgrade() -> None:
    _set_status_check(OLD_STATUSES, NEW_STATUSES)
    op.add_column("client", sa.Column("work_stop", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("client", sa.Column("work_stop_reason", sa.String(length=200), nullable=True))
    op.add_column("client", sa.Column("work_stop_since", sa.Date(), nullable=True))
    op.add_column("person", sa.Column("id_verified_by", sa.String(length=32), nullable=True))
    op.add_column("person", sa.Column("id_verification_method", sa.String(length=60), nullable=True))
    op.add_column("client_contact", sa.Column("correspondence_at_client", sa.Boolean(), server_default=sa.false(),
                                              nullable=False))
    op.add_column("team_member", sa.Column("client_approver", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("team_member", sa.Column("central_admin", sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table(
        "client_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("from_status", _enum("status_change_from", *NEW_STATUSES), nullable=True),
        sa.Column("to_status", _enum("status_change_to", *NEW_STATUSES), nullable=False),
        sa.Column("changed_by", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_client_status_change_client_id_client"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_status_change")),
    )
    op.create_index(op.f("ix_client_status_change_client_id"), "client_status_change", ["client_id"])

    op.create_table(
        "shareholding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("owned_id", sa.Integer(), nullable=False),
        sa.Column("share_percentage", sa.Numeric(5, 2), nullable=False),
        sa.CheckConstraint("share_percentage >= 0 AND share_percentage <= 100", name=op.f("ck_shareholding_share_range")),
        sa.CheckConstraint("holder_id <> owned_id", name=op.f("ck_shareholding_not_own_shares")),
        sa.ForeignKeyConstraint(["holder_id"], ["client.id"], name=op.f("fk_shareholding_holder_id_client"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owned_id"], ["client.id"], name=op.f("fk_shareholding_owned_id_client"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shareholding")),
        sa.UniqueConstraint("holder_id", "owned_id", name=op.f("uq_shareholding_holder_id_owned_id")),
    )
    op.create_index(op.f("ix_shareholding_owned_id"), "shareholding", ["owned_id"])

    op.create_table(
        "client_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("client_document_kind", "engagement_letter", "kvk_extract"), nullable=False),
        sa.Column("reference", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("dated", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_client_document_client_id_client"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_document")),
        sa.UniqueConstraint("client_id", "kind", name=op.f("uq_client_document_client_id_kind")),
    )

    op.create_table(
        "person_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_number", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_person_alias_person_id_person"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_alias")),
        sa.UniqueConstraint("contact_number", name=op.f("uq_person_alias_contact_number")),
    )
    op.create_index(op.f("ix_person_alias_person_id"), "person_alias", ["person_id"])

    op.create_table(
        "relation_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("relation_id", sa.Integer(), nullable=False),
        sa.Column("relation_type", _enum("relation_type", "bank", "notary", "previous_accountant", "insurer",
                                         "lawyer", "tax_advisor", "pension_fund", "other"), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_relation_link_client_id_client"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["relation_id"], ["client.id"], name=op.f("fk_relation_link_relation_id_client"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relation_link")),
        sa.UniqueConstraint("client_id", "relation_id", "relation_type",
                            name=op.f("uq_relation_link_client_id_relation_id_relation_type")),
    )
    op.create_index(op.f("ix_relation_link_relation_id"), "relation_link", ["relation_id"])

    op.create_table(
        "location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_location_client_id_client"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location")),
        sa.UniqueConstraint("client_id", "code", name=op.f("uq_location_client_id_code")),
    )

    op.create_table(
        "address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("kind", _enum("address_kind", "visiting", "postal", "correspondence"), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("house_number", sa.String(length=20), nullable=True),
        sa.Column("house_number_addition", sa.String(length=20), nullable=True),
        sa.Column("postcode", sa.String(length=12), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=2), server_default="NL", nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN client_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN person_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN location_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_address_one_owner"),
        ),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_address_client_id_client"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"], name=op.f("fk_address_location_id_location"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_address_person_id_person"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address")),
        sa.UniqueConstraint("client_id", "kind", name=op.f("uq_address_client_id_kind")),
        sa.UniqueConstraint("location_id", "kind", name=op.f("uq_address_location_id_kind")),
        sa.UniqueConstraint("person_id", "kind", name=op.f("uq_address_person_id_kind")),
    )
    op.create_index("ix_address_place", "address", ["postcode", "house_number"])

    op.create_table(
        "general_addressee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_general_addressee_client_id_client"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"],
                                name=op.f("fk_general_addressee_location_id_location"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_general_addressee")),
        sa.UniqueConstraint("client_id", "name", name=op.f("uq_general_addressee_client_id_name")),
    )
    # A contact tied to a location. SQLite adds a column with a REFERENCES clause without a table rebuild.
    if op.get_bind().dialect.name == "sqlite":
        # An added column holds NULL everywhere, so the new foreign key holds; it goes in as a table constraint.
        op.execute("ALTER TABLE client_contact ADD COLUMN location_id INTEGER")
        _edit_sqlite_table("client_contact", "substr(rtrim(sql), 1, length(rtrim(sql)) - 1) || ', ' || :fk || ')'", {"fk": LOCATION_FK})
    else:
        op.add_column("client_contact", sa.Column("location_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_client_contact_location_id_location"), "client_contact", "location",
                              ["location_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _edit_sqlite_table("client_contact", "replace(sql, :fk, '')", {"fk": ", " + LOCATION_FK})
        op.execute("ALTER TABLE client_contact DROP COLUMN location_id")
    else:
        op.drop_constraint(op.f("fk_client_contact_location_id_location"), "client_contact", type_="foreignkey")
        op.drop_column("client_contact", "location_id")
    op.drop_table("general_addressee")
    op.drop_index("ix_address_place", table_name="address")
    op.drop_table("address")
    op.drop_table("location")
    op.drop_index(op.f("ix_relation_link_relation_id"), table_name="relation_link")
    op.drop_table("relation_link")
    op.drop_index(op.f("ix_person_alias_person_id"), table_name="person_alias")
    op.drop_table("person_alias")
    op.drop_table("client_document")
    op.drop_index(op.f("ix_shareholding_owned_id"), table_name="shareholding")
    op.drop_table("shareholding")
    op.drop_index(op.f("ix_client_status_change_client_id"), table_name="client_status_change")
    op.drop_table("client_status_change")
    _drop_columns("team_member", "central_admin", "client_approver")
    _drop_columns("client_contact", "correspondence_at_client")
    _drop_columns("person", "id_verification_method", "id_verified_by")
    _drop_columns("client", "work_stop_since", "work_stop_reason", "work_stop")
    # Statuses the older schema does not know fall back to the nearest it does.
    op.execute("UPDATE client SET status = 'prospect' WHERE status = 'client_request'")
    op.execute("UPDATE client SET status = 'former_client' WHERE status IN ('relation', 'own_service_provider')")
    _set_status_check(NEW_STATUSES, OLD_STATUSES)
