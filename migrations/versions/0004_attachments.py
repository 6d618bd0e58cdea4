"""attachments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 08:21:29.667459
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=True),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('text_status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploader_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index('ix_attachment_kind_id', ['kind', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)

    op.create_table('attachment_jurisdiction',
    sa.Column('attachment_id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'], ),
    sa.PrimaryKeyConstraint('attachment_id', 'jurisdiction_id')
    )
    with op.batch_alter_table('attachment_jurisdiction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_jurisdiction_jurisdiction_id'), ['jurisdiction_id'], unique=False)

    op.create_table('attachment_tag',
    sa.Column('attachment_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], ),
    sa.PrimaryKeyConstraint('attachment_id', 'tag_id')
    )
    with op.batch_alter_table('attachment_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_tag_tag_id'), ['tag_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('attachment_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_tag_tag_id'))

    op.drop_table('attachment_tag')
    with op.batch_alter_table('attachment_jurisdiction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_jurisdiction_jurisdiction_id'))

    op.drop_table('attachment_jurisdiction')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachment_post_id'))
        batch_op.drop_index('ix_attachment_kind_id')

    op.drop_table('attachment')

