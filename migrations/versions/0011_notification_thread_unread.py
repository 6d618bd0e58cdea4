"""notification: unread notifications looked up by member and thread

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:05:00

The thread page counts its reader's unread notifications about that thread: with this index the
count visits those rows only, not every unread notification the member has.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch_op:
        batch_op.create_index(
            "ix_notification_user_thread_unread", ["user_id", "thread_id", "read_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch_op:
        batch_op.drop_index("ix_notification_user_thread_unread")
