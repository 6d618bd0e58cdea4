"""Small in-process caches, per worker, that can never serve stale data.

`LRU` is a bounded map shared by a worker's threads. `kept()` keeps a value computed over the
whole forum (thread counts per sector, the coverage matrix, the taxonomy) and recomputes it only
when the forum's version has moved. The version is one row (`forum_version`), bumped in the same
transaction as every new post (new threads and replies) and every audit entry (moves, merges,
splits, reclassification and taxonomy edits are all recorded). It is read in one cheap statement,
so two workers agree at once, with no message between them. Ids could not serve: on PostgreSQL
they are taken at INSERT, so a transaction holding a lower id can commit after a higher one."""

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Any

from sqlalchemy import BigInteger, select, update
from sqlmodel import Field, Session, SQLModel


class ForumVersion(SQLModel, table=True):
    """One row, bumped in the same transaction as every write that can change a value kept here (a
    new post; anything recorded in the audit log). On PostgreSQL its row lock makes the numbers
    follow commit order, which ids taken at INSERT do not."""

    __tablename__ = "forum_version"

    id: int = Field(default=1, primary_key=True)
    value: int = Field(default=0, sa_type=BigInteger)


# Every LRU made, so that clearing them all (tests) needs to know none of their modules.
_ALL: list["LRU"] = []


class LRU:
    """A thread-safe map of at most `size` entries, the least recently used dropped first."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = Lock()
        _ALL.append(self)

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


KEPT = LRU(64)


_BUMP = (
    update(ForumVersion.__table__)
    .where(ForumVersion.__table__.c.id == 1)
    .values(value=ForumVersion.__table__.c.value + 1)
)


def bump(session: Session) -> None:
    """Move the forum's version, in the caller's transaction (see the module docstring). Built
    once, in Core: every post runs it."""
    session.connection().execute(_BUMP)
    session.info.pop("forum_version", None)


def forum_version(session: Session) -> int:
    """Read once per read-only session: a page shows the forum as of its first statement, and a
    value computed from newer data is only ever filed under an older version, never the reverse.
    Read every time in a session that writes, so nothing computed before its own write is reused
    after it."""
    if not session.info.get("writes", True) and "forum_version" in session.info:
        return session.info["forum_version"]
    version = session.execute(select(ForumVersion.value).where(ForumVersion.id == 1)).scalar() or 0
    session.info["forum_version"] = version
    return version


def kept(session: Session, key: tuple, compute: Callable[[], Any]) -> Any:
    """compute(), or the value it gave at the same forum version. The value is shared by requests:
    plain data or rendered HTML, never ORM objects."""
    full_key = (session.get_bind().dialect.name, *key, forum_version(session))
    value = KEPT.get(full_key)
    if value is None:
        value = compute()
        KEPT.put(full_key, value)
    return value


def clear_all() -> None:
    """For tests: each test's database starts again from the same ids."""
    for cache in _ALL:
        cache.clear()
