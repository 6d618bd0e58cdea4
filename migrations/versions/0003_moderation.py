"""moderation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:16:22.063956
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('moderator_sector',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sector_id'], ['sector.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'sector_id')
    )
    op.create_table('flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('resolver_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolver_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('post_id', 'reporter_id')
    )
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.create_index('ix_flag_open', ['resolved_at', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_flag_post_id'), ['post_id'], unique=False)

    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pinned_globally', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_thread_listing'))
        batch_op.create_index('ix_thread_listing', ['pinned_globally', 'last_activity_at', 'id'], unique=False)
        batch_op.create_foreign_key('fk_thread_merged_into_id_thread', 'thread', ['merged_into_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.drop_constraint('fk_thread_merged_into_id_thread', type_='foreignkey')
        batch_op.drop_index('ix_thread_listing')
        batch_op.create_index(batch_op.f('ix_thread_listing'), ['pinned', 'last_activity_at', 'id'], unique=False)
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('pinned_globally')

    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flag_post_id'))
        batch_op.drop_index('ix_flag_open')

    op.drop_table('flag')
    op.drop_table('moderator_sector')
