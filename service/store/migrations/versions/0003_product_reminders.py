"""Products: per-product reminders before each deadline (existing rows get the old default).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DEFAULT = '["P7D", "P1D"]'


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminders", sa.JSON(), server_default=DEFAULT, nullable=False)
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("reminders")
