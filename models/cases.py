"""Cases: one per client × product × tax period, and the stages each case moves through.

The table is `tax_case`, not `case`: CASE is a reserved word in SQL, and hand-written SQL
(benchmarks, reports) should not need quoting.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sbrflow.domain.case_states import CaseState, StageState
from sbrflow.domain.enums import Frequency, Product, Role
from sbrflow.models.base import Base, Timestamps, enum_column
from sbrflow.models.crm import Client, TeamMember

# JSONB on PostgreSQL so two reason lists compare with `=` (planning's "changes nothing" check);
# text JSON on SQLite. None is SQL NULL, not the JSON text 'null'.
ReasonsJSON = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Case(Timestamps, Base):
    """One client's workflow for one product and tax period (werkproces)."""

    __tablename__ = "tax_case"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "product", "period_label"),
        # Matching ties returns (product, period dates, client) to their cases, set-based; a lookup for
        # one client uses the unique constraint's (client_id, product) prefix.
        sa.Index("ix_tax_case_matching", "product", "period_start", "period_end", "client_id"),
        # Lists, bulk actions and planning's counts select by product and period, then state.
        sa.Index("ix_tax_case_product_period", "product", "period_label", "state"),
        # Planning re-judges the blocked cases on every run; a partial index stays small and costs
        # nothing when the other half million cases are inserted.
        sa.Index("ix_tax_case_blocked", "client_id", "product", sqlite_where=sa.text("state = 'blocked'"),
                 postgresql_where=sa.text("state = 'blocked'")),
        sa.CheckConstraint("quarter_start_month IN (1, 2, 3)", name="quarter_start_month_valid"),
        sa.CheckConstraint("period_end >= period_start", name="period_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Cases are the office's history: a client with cases is made former_client, never deleted.
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="RESTRICT"))
    product: Mapped[Product] = mapped_column(enum_column(Product, "case_product"))
    period_label: Mapped[str] = mapped_column(sa.String(16))  # domain.periods label, e.g. 2026-Q1-FEB
    period_start: Mapped[date]
    period_end: Mapped[date]
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency, "case_frequency"))
    quarter_start_month: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")
    # The template version the case started with; a newer template does not change a running case.
    template_code: Mapped[str] = mapped_column(sa.String(64))
    template_version: Mapped[int]
    state: Mapped[CaseState] = mapped_column(enum_column(CaseState, "case_state"))
    current_stage: Mapped[str | None] = mapped_column(sa.String(64))  # a stage code of the template
    # Statutory deadline and the one after the Algemene termijnenwet shift; NULL for products
    # without a deadline rule in domain.periods (income tax, corporate tax, annual accounts).
    deadline: Mapped[date | None]
    deadline_effective: Mapped[date | None]
    # While blocked: [{"code": <domain.readiness.Reason>, "message": "..."}]; NULL otherwise.
    blocked_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(ReasonsJSON)

    client: Mapped[Client] = relationship()
    stages: Mapped[list[CaseStage]] = relationship(
        back_populates="case", cascade="all, delete-orphan", passive_deletes=True, order_by="CaseStage.position"
    )

    def __repr__(self) -> str:
        return f"Case({self.id}, client={self.client_id}, {self.product}, {self.period_label!r}, {self.state})"


class CaseStage(Base):
    """One stage of a case with the team member who holds its role (filled by routing)."""

    __tablename__ = "tax_case_stage"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "stage_code"),
        sa.UniqueConstraint("case_id", "position"),
        # Mijn werk: a member's assigned open stages, without the done ones of every past period (0015).
        sa.Index("ix_tax_case_stage_active_member", "team_member_id", sqlite_where=sa.text("state = 'active'"),
                 postgresql_where=sa.text("state = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("tax_case.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1-based order in the template version of the case
    stage_code: Mapped[str] = mapped_column(sa.String(64))
    # Copied from the template version with the checkpoints (routing, 0005): a later version renames nothing.
    name: Mapped[str | None] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, "case_stage_role"))
    # The assignee; NULL until routing assigns one (or when nobody holds the role).
    team_member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("team_member.id", ondelete="RESTRICT"), index=True
    )
    state: Mapped[StageState] = mapped_column(enum_column(StageState, "stage_state"), default=StageState.PENDING)
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team_member.id", ondelete="RESTRICT"))

    case: Mapped[Case] = relationship(back_populates="stages")
    team_member: Mapped[TeamMember | None] = relationship(foreign_keys=[team_member_id])
