"""CRM: clients, persons, contacts, bank accounts, team members, roles, subscriptions.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_number', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('company', 'person', name='client_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('suspect', 'prospect', 'acceptance_draft', 'acceptance_review', 'acceptance_admin', 'client', 'former_client', name='client_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('legal_form', sa.Enum('natural_person', 'sole_proprietorship', 'general_partnership', 'partnership', 'limited_partnership', 'bv', 'nv', 'foundation', 'association', 'cooperative', 'other', name='legal_form', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('rsin', sa.String(length=9), nullable=True),
    sa.Column('bsn', sa.String(length=9), nullable=True),
    sa.Column('ob_number', sa.String(length=12), nullable=True),
    sa.Column('vat_id', sa.String(length=14), nullable=True),
    sa.Column('payroll_tax_number', sa.String(length=12), nullable=True),
    sa.Column('kvk_number', sa.String(length=8), nullable=True),
    sa.Column('sbr_enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('ideal_enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('is_cluster_head', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('cluster_head_id', sa.Integer(), nullable=True),
    sa.Column('billed_to_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['billed_to_id'], ['client.id'], name=op.f('fk_client_billed_to_id_client'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cluster_head_id'], ['client.id'], name=op.f('fk_client_cluster_head_id_client'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client')),
    sa.UniqueConstraint('client_number', name=op.f('uq_client_client_number'))
    )
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_bsn'), ['bsn'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_cluster_head_id'), ['cluster_head_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_ob_number'), ['ob_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_payroll_tax_number'), ['payroll_tax_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_rsin'), ['rsin'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_status'), ['status'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_number', sa.String(length=32), nullable=False),
    sa.Column('initials', sa.String(length=20), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('name_prefix', sa.String(length=20), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('bsn', sa.String(length=9), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('id_document_type', sa.String(length=40), nullable=True),
    sa.Column('id_document_number', sa.String(length=40), nullable=True),
    sa.Column('id_document_expires_on', sa.Date(), nullable=True),
    sa.Column('id_verified_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('contact_number', name=op.f('uq_person_contact_number'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_email'), ['email'], unique=False)

    op.create_table('team_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_member')),
    sa.UniqueConstraint('code', name=op.f('uq_team_member_code'))
    )
    op.create_table('bank_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_bank_account_client_id_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_account')),
    sa.UniqueConstraint('client_id', 'iban', name=op.f('uq_bank_account_client_id_iban'))
    )
    op.create_table('client_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('function', sa.String(length=60), nullable=True),
    sa.Column('is_primary', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('portal_access', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('share_percentage', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('is_pseudo_ubo', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.CheckConstraint('share_percentage IS NULL OR (share_percentage >= 0 AND share_percentage <= 100)', name=op.f('ck_client_contact_share_percentage_range')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_client_contact_client_id_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_client_contact_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_contact')),
    sa.UniqueConstraint('client_id', 'person_id', name=op.f('uq_client_contact_client_id_person_id'))
    )
    with op.batch_alter_table('client_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_contact_person_id'), ['person_id'], unique=False)

    op.create_table('role_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('relatiebeheerder', 'accountant', 'fiscaal', 'administratie', 'salaris', 'secretariaat', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('team_member_id', sa.Integer(), nullable=False),
    sa.Column('product', sa.Enum('vat_return', 'payroll_return', 'income_tax', 'corporate_tax', 'annual_accounts', name='role_product', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_role_assignment_client_id_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_member_id'], ['team_member.id'], name=op.f('fk_role_assignment_team_member_id_team_member'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_assignment'))
    )
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_assignment_team_member_id'), ['team_member_id'], unique=False)
        batch_op.create_index('uq_role_assignment_client_role', ['client_id', 'role'], unique=True, sqlite_where=sa.text('product IS NULL'), postgresql_where=sa.text('product IS NULL'))
        batch_op.create_index('uq_role_assignment_client_role_product', ['client_id', 'role', 'product'], unique=True, sqlite_where=sa.text('product IS NOT NULL'), postgresql_where=sa.text('product IS NOT NULL'))

    op.create_table('subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('product', sa.Enum('vat_return', 'payroll_return', 'income_tax', 'corporate_tax', 'annual_accounts', name='product', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('frequency', sa.Enum('month', 'quarter', 'half_year', 'year', 'four_weekly', name='frequency', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('quarter_start_month', sa.SmallInteger(), nullable=True),
    sa.Column('active_from', sa.Date(), nullable=True),
    sa.Column('active_until', sa.Date(), nullable=True),
    sa.CheckConstraint('active_until IS NULL OR active_from IS NULL OR active_until >= active_from', name=op.f('ck_subscription_active_range_ordered')),
    sa.CheckConstraint('quarter_start_month IS NULL OR quarter_start_month IN (1, 2, 3)', name=op.f('ck_subscription_quarter_start_month_valid')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_subscription_client_id_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription')),
    sa.UniqueConstraint('client_id', 'product', name=op.f('uq_subscription_client_id_product'))
    )


def downgrade() -> None:
    op.drop_table('subscription')
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.drop_index('uq_role_assignment_client_role_product', sqlite_where=sa.text('product IS NOT NULL'), postgresql_where=sa.text('product IS NOT NULL'))
        batch_op.drop_index('uq_role_assignment_client_role', sqlite_where=sa.text('product IS NULL'), postgresql_where=sa.text('product IS NULL'))
        batch_op.drop_index(batch_op.f('ix_role_assignment_team_member_id'))

    op.drop_table('role_assignment')
    with op.batch_alter_table('client_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_contact_person_id'))

    op.drop_table('client_contact')
    op.drop_table('bank_account')
    op.drop_table('team_member')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_email'))

    op.drop_table('person')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_status'))
        batch_op.drop_index(batch_op.f('ix_client_rsin'))
        batch_op.drop_index(batch_op.f('ix_client_payroll_tax_number'))
        batch_op.drop_index(batch_op.f('ix_client_ob_number'))
        batch_op.drop_index(batch_op.f('ix_client_cluster_head_id'))
        batch_op.drop_index(batch_op.f('ix_client_bsn'))

    op.drop_table('client')
