"""Every table, imported in one place for alembic and for create_all in tools."""

from app.accounts.models import ApiToken, Invitation, ModeratorSector, PasswordReset, User, UserSession
from app.attachments.models import Attachment, AttachmentJurisdiction, AttachmentTag
from app.audit import AuditEntry
from app.cache import ForumVersion
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
from app.moderation.models import Flag
from app.notifications.models import Notification, OutboxMessage, Watch
from app.ratelimit import RateLimitHit
from app.search.models import SavedSearch
from app.taxonomy.models import Instrument, Jurisdiction, Sector, Tag

__all__ = [
    "ApiToken",
    "Attachment",
    "AttachmentJurisdiction",
    "AttachmentTag",
    "AuditEntry",
    "Bookmark",
    "Draft",
    "Flag",
    "ForumVersion",
    "Instrument",
    "Invitation",
    "Jurisdiction",
    "ModeratorSector",
    "Notification",
    "OutboxMessage",
    "PasswordReset",
    "Post",
    "PostRevision",
    "RateLimitHit",
    "ReadState",
    "SavedSearch",
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
