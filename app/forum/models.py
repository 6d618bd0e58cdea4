"""Threads, posts, revisions, reading state, drafts and bookmarks."""

import enum
from datetime import datetime

from sqlalchemy import DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.timeutil import utcnow


class PostState(enum.StrEnum):
    visible = "visible"
    hidden = "hidden"
    deleted = "deleted"


class Thread(SQLModel, table=True):
    __tablename__ = "thread"
    __table_args__ = (
        # The lists: pinned first, then by last activity, with the id as the keyset tie-breaker.
        # Site-wide lists sort by the site-wide pin, sector lists by the sector pin.
        Index("ix_thread_listing", "pinned_globally", "last_activity_at", "id"),
        Index("ix_thread_sector_listing", "sector_id", "pinned", "last_activity_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    slug: str = Field(max_length=120)
    sector_id: int = Field(foreign_key="sector.id")
    author_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    last_activity_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    last_post_id: int | None = None
    locked: bool = False
    pinned: bool = False
    # Pinned on the home page and the list of all threads too (administrators only).
    pinned_globally: bool = False
    # Set when merged into another thread: its permalink redirects there.
    merged_into_id: int | None = Field(default=None, foreign_key="thread.id")
    # Visible posts other than the opening one; kept by SQL increments, never read-modify-write.
    reply_count: int = 0


class ThreadJurisdiction(SQLModel, table=True):
    __tablename__ = "thread_jurisdiction"

    thread_id: int = Field(foreign_key="thread.id", primary_key=True, ondelete="CASCADE")
    jurisdiction_id: int = Field(foreign_key="jurisdiction.id", primary_key=True, index=True)


class ThreadInstrument(SQLModel, table=True):
    __tablename__ = "thread_instrument"

    thread_id: int = Field(foreign_key="thread.id", primary_key=True, ondelete="CASCADE")
    instrument_id: int = Field(foreign_key="instrument.id", primary_key=True, index=True)


class ThreadTag(SQLModel, table=True):
    __tablename__ = "thread_tag"

    thread_id: int = Field(foreign_key="thread.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, index=True)


class Post(SQLModel, table=True):
    __tablename__ = "post"
    __table_args__ = (
        Index("ix_post_thread_path", "thread_id", "path"),
        # Search turns before:/after: into a range of post ids through this index.
        Index("ix_post_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="thread.id", index=True, ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="post.id")
    author_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    body: str = Field(sa_type=Text())
    # Rendered and sanitised once, at write time.
    body_html: str = Field(sa_type=Text())
    revision: int = 1
    state: str = Field(default=PostState.visible.value, max_length=20)
    hidden_reason: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    edited_at: datetime | None = Field(default=None, sa_type=DateTime())
    # Detected when written ("en", "fr", "es", "ar"): the index stems the post in its language.
    language: str = Field(default="", max_length=8)
    # Materialised path of zero-padded ids ("0000000001.0000000007"): ordering by it gives the
    # tree in depth-first order with one indexed query.
    path: str = Field(default="", sa_type=Text())
    depth: int = 0


class PostRevision(SQLModel, table=True):
    __tablename__ = "post_revision"
    __table_args__ = (UniqueConstraint("post_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True, ondelete="CASCADE")
    revision: int
    body: str = Field(sa_type=Text())
    editor_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    reason: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class ReadState(SQLModel, table=True):
    __tablename__ = "read_state"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    thread_id: int = Field(foreign_key="thread.id", primary_key=True, ondelete="CASCADE")
    last_read_post_id: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class Draft(SQLModel, table=True):
    __tablename__ = "draft"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    # "thread" for a new thread, "reply:{thread_id}" or "reply:{thread_id}:{parent_id}".
    key: str = Field(max_length=80)
    title: str = Field(default="", max_length=200)
    body: str = Field(default="", sa_type=Text())
    # JSON of the other fields (sector, jurisdictions, instruments, tags).
    fields: str = Field(default="", sa_type=Text())
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class Bookmark(SQLModel, table=True):
    __tablename__ = "bookmark"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    post_id: int = Field(foreign_key="post.id", primary_key=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
