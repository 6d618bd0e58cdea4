"""search: filter tokens in the index

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 10:40:00

The index gains `meta` (SQLite) / `meta_tsv` (PostgreSQL): tokens for sector, jurisdictions,
instruments, tags, lock state, author and attachment kinds, so filters narrow the full-text match
itself. Every post is indexed again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_FTS = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "title, body, tags, attachments, tokenize = 'porter unicode61 remove_diacritics 2')"
)
NEW_FTS = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "title, body, tags, attachments, meta, tokenize = 'porter unicode61 remove_diacritics 2')"
)


def upgrade() -> None:
    from app.search.index import rebuild

    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_index")
        op.execute(NEW_FTS)
    else:
        op.execute("ALTER TABLE search_index ADD COLUMN meta_tsv tsvector NOT NULL DEFAULT ''::tsvector")
        op.execute("CREATE INDEX ix_search_index_meta_tsv ON search_index USING gin (meta_tsv)")
    rebuild(op.get_bind(), recent=False)  # the recent index comes with 0013, filled from this one


def downgrade() -> None:
    # The older index shape comes back empty: run `forum search reindex` with the older code.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_index")
        op.execute(OLD_FTS)
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_index_meta_tsv")
        op.execute("ALTER TABLE search_index DROP COLUMN meta_tsv")
