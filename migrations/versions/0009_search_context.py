"""search: every post indexed with its thread's context, its text without Markdown, in its language

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:40:00

The index gains `context` (the thread's title and tags for a reply; the sector, jurisdiction and
instrument names for every post), weighted below the post's own words, and the body is indexed as
the plain text its Markdown renders to. Posts gain `language` (detected when written; posts
written before are detected as they are indexed), and the index `stems`: the post's words stemmed
in that language. Every post is indexed again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_FTS = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "title, body, tags, attachments, meta, tokenize = 'porter unicode61 remove_diacritics 2')"
)
NEW_FTS = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "title, body, tags, attachments, meta, context, stems, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)


def upgrade() -> None:
    from app.search.index import rebuild

    with op.batch_alter_table("post") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=False, server_default=""))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_index")
        op.execute(NEW_FTS)
    else:
        op.execute("ALTER TABLE search_index ADD COLUMN context text NOT NULL DEFAULT ''")
        op.execute("ALTER TABLE search_index ADD COLUMN stems text NOT NULL DEFAULT ''")
    rebuild(op.get_bind(), recent=False)  # the recent index comes with 0013, filled from this one


def downgrade() -> None:
    # The older index shape comes back empty: run `forum search reindex` with the older code.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_index")
        op.execute(OLD_FTS)
    else:
        op.execute("ALTER TABLE search_index DROP COLUMN stems")
        op.execute("ALTER TABLE search_index DROP COLUMN context")
    with op.batch_alter_table("post") as batch_op:
        batch_op.drop_column("language")
