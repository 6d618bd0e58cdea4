"""Saved searches. The full-text index itself (table search_index) is engine-specific DDL in the
migrations: an FTS5 virtual table on SQLite, a table of tsvectors with GIN indexes on PostgreSQL."""

from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from app.timeutil import utcnow


class SavedSearch(SQLModel, table=True):
    __tablename__ = "saved_search"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    query: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    # Posts up to this id were already checked for this search: only newer ones can notify.
    last_post_id: int = 0
