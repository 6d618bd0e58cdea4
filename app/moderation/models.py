"""Moderation's own table: flags on posts."""

from datetime import datetime

from sqlalchemy import DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.timeutil import utcnow


class Flag(SQLModel, table=True):
    """A member's report on a post; one per member and post."""

    __tablename__ = "flag"
    __table_args__ = (
        UniqueConstraint("post_id", "reporter_id"),
        Index("ix_flag_open", "resolved_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True, ondelete="CASCADE")
    reporter_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    reason: str = Field(max_length=20)  # off_topic | inappropriate | confidential | spam | other
    note: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    resolved_at: datetime | None = Field(default=None, sa_type=DateTime())
    resolution: str = Field(default="", max_length=20)  # hidden | dismissed
    resolver_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
