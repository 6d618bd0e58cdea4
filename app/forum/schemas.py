"""API shapes for threads and posts."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.accounts.schemas import ApiModel


class ThreadCreate(BaseModel):
    title: str = Field(max_length=500)
    body: str = Field(max_length=200_000)
    sector: str = Field(max_length=80)
    jurisdictions: list[str] = Field(default_factory=list, max_length=20)
    instruments: list[str] = Field(default_factory=list, max_length=20)
    tags: list[str] | str = Field(default_factory=list)
    # Importing an archive: when the thread was started (ISO 8601). An administrator's only.
    created_at: datetime | None = None


class ReplyCreate(BaseModel):
    body: str = Field(max_length=200_000)
    parent_id: int | None = None
    # Importing an archive: when the reply was written (ISO 8601). An administrator's only.
    created_at: datetime | None = None


class PostEdit(BaseModel):
    body: str = Field(max_length=200_000)
    base_revision: int
    reason: str = Field(default="", max_length=300)


class PreviewIn(BaseModel):
    body: str = Field(max_length=200_000)


class DraftIn(BaseModel):
    title: str = Field(default="", max_length=500)
    body: str = Field(default="", max_length=200_000)
    fields: dict = Field(default_factory=dict)


class AuthorRead(ApiModel):
    id: int
    display_name: str
    handle: str
    organisation: str
    country: str


class TaxonRead(ApiModel):
    slug: str
    name: str


class JurisdictionRead(ApiModel):
    code: str
    name: str
    kind: str


class InstrumentRead(ApiModel):
    slug: str
    name: str
    short_name: str
    year: int | None


class PostRead(ApiModel):
    id: int
    thread_id: int
    parent_id: int | None
    depth: int
    author: AuthorRead | None
    body: str | None
    body_html: str | None
    revision: int
    state: str
    hidden_reason: str | None = None
    created_at: datetime
    edited_at: datetime | None
    attachments: list | None = None


class ThreadRead(ApiModel):
    id: int
    title: str
    slug: str
    url: str
    sector: TaxonRead
    jurisdictions: list[JurisdictionRead]
    instruments: list[InstrumentRead]
    tags: list[str]
    author: AuthorRead | None
    created_at: datetime
    last_activity_at: datetime
    reply_count: int
    locked: bool
    pinned: bool
    unread: int | None = None


class ThreadDetail(ThreadRead):
    posts: list[PostRead]
    posts_next_cursor: str | None


class RevisionRead(ApiModel):
    revision: int
    body: str
    author: AuthorRead | None
    reason: str
    created_at: datetime
