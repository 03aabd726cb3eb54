"""Routing tables: the checkpoints of each case's stages, copied from the case's template version.

A stage's assignee is `tax_case_stage.team_member_id` (models/cases.py); the audit trail of every
routing move is `audit_event` (models/matching.py), append-only.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sbrflow.models.base import Base


class CaseCheckpoint(Base):
    """One checkpoint of one stage of one case; copied when routing first enters the case's stages.

    Copied, not looked up: a later template version does not change a running case.
    """

    __tablename__ = "tax_case_checkpoint"
    __table_args__ = (sa.UniqueConstraint("case_id", "stage_code", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("tax_case.id", ondelete="CASCADE"))
    stage_code: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int]  # 1-based within the stage
    text: Mapped[str] = mapped_column(sa.Text)
    mandatory: Mapped[bool]
    ticked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team_member.id", ondelete="RESTRICT"))
    ticked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
