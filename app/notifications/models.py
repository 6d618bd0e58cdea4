"""Outgoing mail: every message is kept here, sent or not."""

from datetime import datetime

from sqlalchemy import DateTime, Text
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
