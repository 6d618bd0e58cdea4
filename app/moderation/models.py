"""The audit trail: one append-only row per moderator or admin action."""

from datetime import datetime

from sqlalchemy import DateTime, Text
from sqlmodel import Field, SQLModel

from app.timeutil import utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True, ondelete="SET NULL")
    action: str = Field(max_length=60, index=True)
    target_type: str = Field(max_length=40)
    target_id: int | None = None
    reason: str = Field(default="", max_length=1000)
    # JSON text of what changed ({"before": ..., "after": ...}) where it applies.
    detail: str = Field(default="", sa_type=Text())
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(), index=True)
