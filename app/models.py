"""Every table, imported in one place for alembic and for create_all in tools."""

from app.accounts.models import ApiToken, Invitation, PasswordReset, User, UserSession
from app.moderation.models import AuditEntry
from app.notifications.models import OutboxMessage
from app.ratelimit import RateLimitHit

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Invitation",
    "OutboxMessage",
    "PasswordReset",
    "RateLimitHit",
    "User",
    "UserSession",
]
