"""Outgoing mail: every message is kept here, sent or not."""

from datetime import datetime

from sqlalchemy import DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.timeutil import utcnow


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=Text())
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(), index=True)
    attempts: int = 0
    last_error: str = Field(default="", max_length=1000)


class Watch(SQLModel, table=True):
    __tablename__ = "watch"
    __table_args__ = (
        UniqueConstraint("user_id", "target_type", "target_id"),
        Index("ix_watch_target", "target_type", "target_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    target_type: str = Field(max_length=20)  # thread | sector | jurisdiction
    target_id: int


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_unread", "user_id", "read_at", "id"),
        # A thread's unread notifications for one member, without visiting the member's others.
        Index("ix_notification_user_thread_unread", "user_id", "thread_id", "read_at"),
        # The list: latest activity first (a collapsed item moves up when it counts up).
        Index("ix_notification_user_created", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    # reply | mention | watched_reply | new_thread | saved_search | flag_outcome | ...
    kind: str = Field(max_length=30)
    thread_id: int | None = Field(default=None, foreign_key="thread.id", ondelete="CASCADE")
    post_id: int | None = Field(default=None, foreign_key="post.id", ondelete="CASCADE")
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    read_at: datetime | None = Field(default=None, sa_type=DateTime())
    # How many events of this kind in this thread it stands for while unread ("5 new replies").
    count: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # When it went out by mail, alone or in a digest (null: not yet, or never for "none").
    mailed_at: datetime | None = Field(default=None, sa_type=DateTime())
