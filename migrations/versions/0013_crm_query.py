"""CRM working tools: search structures, custom properties and indicators, saved queries, risk classification.

Search: on PostgreSQL trigram GIN indexes (pg_trgm) over an accent- and case-folded expression of the
client's number and name and the person's number, names and e-mail (`sbrflow_fold`, an IMMUTABLE wrapper
of unaccent + lower); the expression indexes keep themselves up to date. On SQLite an FTS5 table with
diacritics removed, kept up to date by triggers on client and person.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept identical to tasks/crm_search.py (the planner only uses an index whose expression the query repeats).
PG_CLIENT_TEXT = "sbrflow_fold(client_number || ' ' || name)"
PG_PERSON_TEXT = ("sbrflow_fold(contact_number || ' ' || coalesce(first_name, '') || ' ' || coalesce(initials, '')"
                  " || ' ' || coalesce(name_prefix, '') || ' ' || last_name || ' ' || coalesce(email, ''))")
SQLITE_CLIENT_TEXT = "new.client_number || ' ' || new.name"
SQLITE_PERSON_TEXT = ("new.contact_number || ' ' || coalesce(new.first_name, '') || ' ' || coalesce(new.initials, '')"
                      " || ' ' || coalesce(new.name_prefix, '') || ' ' || new.last_name || ' ' || coalesce(new.email, '')")


def _search_up() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute("CREATE OR REPLACE FUNCTION sbrflow_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
                   "AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, coalesce($1, ''))) $$")
        op.execute(f"CREATE INDEX ix_crm_search_client ON client USING gin ({PG_CLIENT_TEXT} gin_trgm_ops)")
        op.execute(f"CREATE INDEX ix_crm_search_person ON person USING gin ({PG_PERSON_TEXT} gin_trgm_ops)")
        return
    # Rowid 2·id for a client, 2·id + 1 for a person: one table, one MATCH.
    op.execute('CREATE VIRTUAL TABLE crm_search_fts USING fts5(body, tokenize = "unicode61 remove_diacritics 2")')
    for table, text, rowid in (("client", SQLITE_CLIENT_TEXT, "2 * {}.id"), ("person", SQLITE_PERSON_TEXT, "2 * {}.id + 1")):
        new_id, old_id = rowid.format("new"), rowid.format("old")
        op.execute(f"CREATE TRIGGER crm_search_{table}_insert AFTER INSERT ON {table} BEGIN "
                   f"INSERT INTO crm_search_fts(rowid, body) VALUES ({new_id}, {text}); END")
        op.execute(f"CREATE TRIGGER crm_search_{table}_update AFTER UPDATE ON {table} BEGIN "
                   f"DELETE FROM crm_search_fts WHERE rowid = {old_id}; "
                   f"INSERT INTO crm_search_fts(rowid, body) VALUES ({new_id}, {text}); END")
        op.execute(f"CREATE TRIGGER crm_search_{table}_delete AFTER DELETE ON {table} BEGIN "
                   f"DELETE FROM crm_search_fts WHERE rowid = {old_id}; END")
        op.execute(f"INSERT INTO crm_search_fts(rowid, body) SELECT {rowid.format(table)}, "
                   f"{text.replace('new.', table + '.')} FROM {table}")


def _search_down() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_crm_search_person")
        op.execute("DROP INDEX IF EXISTS ix_crm_search_client")
        op.execute("DROP FUNCTION IF EXISTS sbrflow_fold(text)")
        return
    for table in ("client", "person"):
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS crm_search_{table}_{event}")
    op.execute("DROP TABLE IF EXISTS crm_search_fts")


def upgrade() -> None:
    op.create_table(
        "crm_property",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("target", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("choices", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("target IN ('client', 'person')", name=op.f("ck_crm_property_target_valid")),
        sa.CheckConstraint("kind IN ('text', 'number', 'date', 'choice', 'indicator')",
                           name=op.f("ck_crm_property_kind_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_property")),
        sa.UniqueConstraint("name", name=op.f("uq_crm_property_name")),
    )
    op.create_table(
        "crm_property_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.String(length=500), nullable=True),
        sa.CheckConstraint("(client_id IS NULL) <> (person_id IS NULL)", name=op.f("ck_crm_property_value_one_owner")),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_crm_property_value_client_id_client"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_crm_property_value_person_id_person"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["property_id"], ["crm_property.id"],
                                name=op.f("fk_crm_property_value_property_id_crm_property"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_property_value")),
        sa.UniqueConstraint("property_id", "client_id", name=op.f("uq_crm_property_value_property_id_client_id")),
        sa.UniqueConstraint("property_id", "person_id", name=op.f("uq_crm_property_value_property_id_person_id")),
    )
    op.create_index(op.f("ix_crm_property_value_client_id"), "crm_property_value", ["client_id"])
    op.create_index(op.f("ix_crm_property_value_person_id"), "crm_property_value", ["person_id"])
    op.create_table(
        "crm_saved_query",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("subject", sa.String(length=10), nullable=False),
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("subject IN ('clients', 'persons')", name=op.f("ck_crm_saved_query_subject_valid")),
        sa.ForeignKeyConstraint(["owner_id"], ["team_member.id"], name=op.f("fk_crm_saved_query_owner_id_team_member"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_saved_query")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_crm_saved_query_owner_id_name")),
    )
    op.create_index(op.f("ix_crm_saved_query_owner_id"), "crm_saved_query", ["owner_id"])
    op.create_table(
        "client_risk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("risk_class", sa.String(length=16), nullable=False),
        sa.Column("motivation", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("risk_class IN ('low', 'high', 'unacceptable')",
                           name=op.f("ck_client_risk_risk_class_valid")),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_client_risk_client_id_client"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_risk")),
        sa.UniqueConstraint("client_id", name=op.f("uq_client_risk_client_id")),
    )
    op.create_index(op.f("ix_client_risk_risk_class"), "client_risk", ["risk_class"])
    op.create_table(
        "client_risk_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("from_class", sa.String(length=16), nullable=True),
        sa.Column("to_class", sa.String(length=16), nullable=False),
        sa.Column("motivation", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("to_class IN ('low', 'high', 'unacceptable')",
                           name=op.f("ck_client_risk_change_to_class_valid")),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_client_risk_change_client_id_client"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_risk_change")),
    )
    op.create_index(op.f("ix_client_risk_change_client_id"), "client_risk_change", ["client_id"])
    _search_up()


def downgrade() -> None:
    _search_down()
    op.drop_index(op.f("ix_client_risk_change_client_id"), table_name="client_risk_change")
    op.drop_table("client_risk_change")
    op.drop_index(op.f("ix_client_risk_risk_class"), table_name="client_risk")
    op.drop_table("client_risk")
    op.drop_index(op.f("ix_crm_saved_query_owner_id"), table_name="crm_saved_query")
    op.drop_table("crm_saved_query")
    op.drop_index(op.f("ix_crm_property_value_person_id"), table_name="crm_property_value")
    op.drop_index(op.f("ix_crm_property_value_client_id"), table_name="crm_property_value")
    op.drop_table("crm_property_value")
    op.drop_table("crm_property")
