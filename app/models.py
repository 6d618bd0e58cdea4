"""Every table, imported in one place for alembic and for create_all in tools."""

from app.accounts.models import ApiToken, Invitation, PasswordReset, User, UserSession
from app.forum.models import (
    Bookmark,
    Draft,
    Post,
    PostRevision,
    ReadState,
    Thread,
    ThreadInstrument,
    ThreadJurisdiction,
    ThreadTag,
)
from app.moderation.models import AuditEntry
from app.notifications.models import Notification, OutboxMessage, Watch
from app.ratelimit import RateLimitHit
from app.taxonomy.models import Instrument, Jurisdiction, Sector, Tag

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Bookmark",
    "Draft",
    "Instrument",
    "Invitation",
    "Jurisdiction",
    "Notification",
    "OutboxMessage",
    "PasswordReset",
    "Post",
    "PostRevision",
    "RateLimitHit",
    "ReadState",
    "Sector",
    "Tag",
    "Thread",
    "ThreadInstrument",
    "ThreadJurisdiction",
    "ThreadTag",
    "User",
    "UserSession",
    "Watch",
]
