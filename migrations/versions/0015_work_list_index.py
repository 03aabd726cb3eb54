"""Mijn werk: a partial index of the active stages by assignee.

`work_list` finds a member's assigned stages among the active ones only; the plain index on
`tax_case_stage.team_member_id` also holds every done stage of every past period (three a case, half a
million cases a year), the partial one only the open work.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tax_case_stage_active_member", "tax_case_stage", ["team_member_id"],
                    sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"))


def downgrade() -> None:
    op.drop_index("ix_tax_case_stage_active_member", table_name="tax_case_stage")
