"""Routing tables: the template versions cases run on, and who ticked which checkpoint of a case.

A stage's assignee is `tax_case_stage.team_member_id` (models/cases.py); the audit trail of every
routing move is `audit_event` (models/matching.py), append-only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sbrflow.models.base import Base


class TemplateVersion(Base):
    """A workflow template version as routing first used it (stages, checkpoints, SBR settings).

    Stored once per code × version: a case keeps the version it started with (`tax_case.template_code`,
    `template_version`) and reads its stages' checkpoints from here, so a later template file —
    a new version, or an edit without raising the version — does not change a running case.
    """

    __tablename__ = "workflow_template_version"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # WorkflowTemplate.model_dump(mode="json")
    stored_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class CaseCheckpoint(Base):
    """Who ticked checkpoint `position` of stage `stage_code` of a case, and when (NULL: unticked again).

    A row appears on the first tick; the checkpoint's text and whether it is mandatory come from the
    case's template version. Every tick and untick is also an audit event.
    """

    __tablename__ = "tax_case_checkpoint"
    __table_args__ = (sa.UniqueConstraint("case_id", "stage_code", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("tax_case.id", ondelete="CASCADE"))
    stage_code: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int]  # 1-based within the stage
    ticked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team_member.id", ondelete="RESTRICT"))
    ticked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
