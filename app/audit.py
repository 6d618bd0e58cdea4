"""The audit trail: one append-only row per moderator or admin action, written in the transaction
of the action it records. Shared by every domain that audits (accounts, forum, moderation,
taxonomy), so it lives below them all; moderation reads it (the audit log page)."""

import json
from datetime import datetime

from sqlalchemy import DateTime, Text
from sqlmodel import Field, Session, SQLModel

from app.cache import bump
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


def record(
    session: Session,
    actor,
    action: str,
    target_type: str,
    target_id: int | None,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    detail = json.dumps({"before": before, "after": after}, sort_keys=True) if before or after else ""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        detail=detail,
    )
    session.add(entry)
    bump(session)  # audited actions can change kept values (app.cache)
    return entry
