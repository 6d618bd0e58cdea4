"""Documents attached to posts. The bytes live in storage under their SHA-256; rows point at them."""

import enum
from datetime import datetime

from sqlalchemy import DateTime, Index, Text
from sqlmodel import Field, SQLModel

from app.timeutil import utcnow


class DocumentKind(enum.StrEnum):
    legislation = "legislation"
    case_law = "case_law"
    treaty = "treaty"
    guidance = "guidance"
    analysis = "analysis"
    template = "template"
    presentation = "presentation"
    other = "other"


# What people read for each kind, in pages and the library (translated where shown).
DOCUMENT_KIND_LABELS = {
    "legislation": "Legislation",
    "case_law": "Judgment / case law",
    "treaty": "Treaty text",
    "guidance": "Guidance / handbook",
    "analysis": "Analysis / opinion",
    "template": "Template",
    "presentation": "Presentation",
    "other": "Other",
}


class Attachment(SQLModel, table=True):
    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_kind_id", "kind", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True, ondelete="CASCADE")
    uploader_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    # For display only, cleaned; never part of a path on disk.
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64, index=True)
    kind: str = Field(default=DocumentKind.other.value, max_length=20)
    language: str = Field(default="", max_length=8)
    # ok | unreadable | encrypted | none (images, RTF): whether text could be extracted for search.
    text_status: str = Field(default="none", max_length=12)
    text: str = Field(default="", sa_type=Text())
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class AttachmentTag(SQLModel, table=True):
    __tablename__ = "attachment_tag"

    attachment_id: int = Field(foreign_key="attachment.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, index=True)


class AttachmentJurisdiction(SQLModel, table=True):
    __tablename__ = "attachment_jurisdiction"

    attachment_id: int = Field(foreign_key="attachment.id", primary_key=True, ondelete="CASCADE")
    jurisdiction_id: int = Field(foreign_key="jurisdiction.id", primary_key=True, index=True)
