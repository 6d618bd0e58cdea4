"""API shapes for attachments."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.accounts.schemas import ApiModel


class AttachmentRead(ApiModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    kind: str
    tags: list[str]
    language: str
    post_id: int
    thread_id: int
    jurisdictions: list[str]
    text_status: str
    uploader_id: int | None
    created_at: datetime
    download_url: str


class AttachmentPatch(BaseModel):
    kind: str | None = Field(default=None, max_length=20)
    tags: list[str] | str | None = None
    language: str | None = Field(default=None, max_length=8)
