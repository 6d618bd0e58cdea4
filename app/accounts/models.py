"""Accounts: users, their sessions and tokens, invitations and password resets."""

import enum
from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from app.timeutil import utcnow


class Role(enum.StrEnum):
    expert = "expert"
    moderator = "moderator"
    admin = "admin"


class UserStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"
    deactivated = "deactivated"


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    # Stored lower-cased: addresses are unique regardless of case.
    email: str = Field(max_length=320, unique=True)
    display_name: str = Field(max_length=120)
    # For @mentions: letters, digits, dots, hyphens and underscores, unique, derived from the name.
    handle: str = Field(max_length=40, unique=True)
    organisation: str = Field(default="", max_length=200)
    country: str = Field(default="", max_length=2)
    role: str = Field(default=Role.expert.value, max_length=20)
    status: str = Field(default=UserStatus.active.value, max_length=20)
    suspended_until: datetime | None = Field(default=None, sa_type=DateTime())
    suspension_reason: str = Field(default="", max_length=1000)
    password_hash: str = Field(max_length=255)
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    # Mail for notifications: each one, a daily digest, or none.
    mail_preference: str = Field(default="each", max_length=10)
    digest_sent_at: datetime | None = Field(default=None, sa_type=DateTime())

    def is_suspended(self, now: datetime) -> bool:
        if self.status != UserStatus.suspended:
            return False
        return self.suspended_until is None or self.suspended_until > now

    def can_sign_in(self, now: datetime) -> bool:
        return self.status != UserStatus.deactivated and not self.is_suspended(now)


class UserSession(SQLModel, table=True):
    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    # SHA-256 of the cookie's token: a stolen database copy holds no usable session.
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    ip_address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime())


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    # The first characters, shown so that people can tell their tokens apart.
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime())
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime())


class Invitation(SQLModel, table=True):
    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    role: str = Field(max_length=20)
    inviter_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    expires_at: datetime = Field(sa_type=DateTime())
    accepted_at: datetime | None = Field(default=None, sa_type=DateTime())
    accepted_user_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime())

    def state(self, now: datetime) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "pending"


class PasswordReset(SQLModel, table=True):
    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    # A digest of the user's email and password hash when the link was made: once either
    # changes the link no longer matches and is void.
    fingerprint: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    expires_at: datetime = Field(sa_type=DateTime())
    used_at: datetime | None = Field(default=None, sa_type=DateTime())


class ModeratorSector(SQLModel, table=True):
    """A moderator with rows here acts only in these sectors; one without rows, in all."""

    __tablename__ = "moderator_sector"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    sector_id: int = Field(foreign_key="sector.id", primary_key=True, ondelete="CASCADE")
