"""notification: repeated notifications collapse into one unread item with a count

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 13:40:00

Five replies in a watched thread, while its watcher has not read it, are one unread notification
"5 new replies in …" (it keeps the first new post, so opening it starts where reading stopped).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch_op:
        batch_op.add_column(sa.Column("count", sa.Integer(), nullable=False, server_default="1"))
        # The list shows the latest activity first: a collapsed item moves up when it counts up.
        batch_op.create_index("ix_notification_user_created", ["user_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch_op:
        batch_op.drop_index("ix_notification_user_created")
        batch_op.drop_column("count")
