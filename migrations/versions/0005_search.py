"""search

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 08:26:58.027956
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('saved_search',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('query', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_post_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('saved_search', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_search_user_id'), ['user_id'], unique=False)

    # The full-text index, one row per post (keyed by post id), built by `forum search reindex`.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_index USING fts5("
            "title, body, tags, attachments, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE TABLE search_index ("
            "post_id integer PRIMARY KEY REFERENCES post(id) ON DELETE CASCADE, "
            "title text NOT NULL DEFAULT '', body text NOT NULL DEFAULT '', "
            "tags text NOT NULL DEFAULT '', attachments text NOT NULL DEFAULT '', "
            "title_tsv tsvector NOT NULL, attachments_tsv tsvector NOT NULL, document_tsv tsvector NOT NULL)"
        )
        for column in ("title_tsv", "attachments_tsv", "document_tsv"):
            op.execute(f"CREATE INDEX ix_search_index_{column} ON search_index USING gin ({column})")
    # Posts written before this revision are indexed by 0007, which adds the filter tokens.


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS search_index")
    with op.batch_alter_table('saved_search', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_search_user_id'))

    op.drop_table('saved_search')
