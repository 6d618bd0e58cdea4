"""search: the newest posts in a small index of their own (SQLite)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:40:00

FTS5's bm25 reads the whole list of rows of every phrase to weigh it, so a common word costs the
same however small the window it ranks. `search_index_recent` has the shape of `search_index` and
holds every post from `search_index_floor.floor` on (the newest FORUM_SEARCH_RECENT, 50,000 by
default); a search whose newest matches fill the window there is answered there. Filled here from
the index as it is. PostgreSQL ranks differently and needs nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "title, body, tags, attachments, meta, context, taxonomy, stems"


def upgrade() -> None:
    from app.config import get_settings  # the size asked for, as the running forum will read it

    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE VIRTUAL TABLE search_index_recent USING fts5({COLUMNS}, "
        "tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    op.execute("CREATE TABLE search_index_floor (id INTEGER PRIMARY KEY, floor INTEGER)")
    keep = get_settings().search_recent
    newest = op.get_bind().execute(sa.text("SELECT max(id) FROM post")).scalar() or 0
    floor = max(1, newest - keep + 1) if keep else None
    op.get_bind().execute(
        sa.text("INSERT INTO search_index_floor (id, floor) VALUES (1, :floor)"), {"floor": floor}
    )
    if floor is not None:
        op.get_bind().execute(
            sa.text(
                f"INSERT INTO search_index_recent (rowid, {COLUMNS}) "  # noqa: S608
                f"SELECT rowid, {COLUMNS} FROM search_index WHERE rowid >= :floor"
            ),
            {"floor": floor},
        )
        op.execute("INSERT INTO search_index_recent (search_index_recent) VALUES ('optimize')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE IF EXISTS search_index_floor")
    op.execute("DROP TABLE IF EXISTS search_index_recent")
