"""post created_at index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:44:50.183303
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.create_index('ix_post_created_at', ['created_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index('ix_post_created_at')


