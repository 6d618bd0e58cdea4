"""search: a thread's title apart from its taxonomy in each reply's context, stems marked by language

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 11:30:00

The index's `context` keeps a reply's thread title and tags, now also stemmed in every language;
the sector, jurisdiction and instrument names move to a column of their own, `taxonomy`, weighted
lowest, which an excluded word does not look at. Stems end with a mark that SQLite's porter
tokenizer leaves alone, so that one language's stem never meets another's by accident. Every post
is indexed again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_FTS = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "title, body, tags, attachments, meta, context, stems, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
NEW_FTS = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "title, body, tags, attachments, meta, context, taxonomy, stems, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)


def upgrade() -> None:
    from app.search.index import rebuild

    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_index")
        op.execute(NEW_FTS)
    else:
        op.execute("ALTER TABLE search_index ADD COLUMN taxonomy text NOT NULL DEFAULT ''")
    rebuild(op.get_bind(), recent=False)  # the recent index comes with 0013, filled from this one


def downgrade() -> None:
    # The older index shape comes back empty: run `forum search reindex` with the older code.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_index")
        op.execute(OLD_FTS)
    else:
        op.execute("ALTER TABLE search_index DROP COLUMN taxonomy")
