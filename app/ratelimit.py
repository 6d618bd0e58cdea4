"""Rate limits counted in the database, so they hold across several server processes."""

from datetime import datetime, timedelta

from sqlalchemy import DateTime, Index, delete, func, select
from sqlmodel import Field, Session, SQLModel

from app.timeutil import utcnow


class RateLimitHit(SQLModel, table=True):
    __tablename__ = "rate_limit_hit"
    __table_args__ = (Index("ix_rate_limit_hit_key_time", "key", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


def count(session: Session, key: str, window_seconds: int) -> int:
    since = utcnow() - timedelta(seconds=window_seconds)
    statement = select(func.count()).where(RateLimitHit.key == key, RateLimitHit.created_at > since)
    return session.execute(statement).scalar_one()


def hit(session: Session, key: str) -> None:
    session.add(RateLimitHit(key=key))


def exceeded(session: Session, key: str, limit: int, window_seconds: int) -> bool:
    return count(session, key, window_seconds) >= limit


def clear(session: Session, key: str) -> None:
    session.execute(delete(RateLimitHit).where(RateLimitHit.key == key))
