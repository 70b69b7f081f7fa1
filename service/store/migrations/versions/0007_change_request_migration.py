"""Change requests: the migration path (compatibility views, alternative, consumers' SQL).

Revision ID: 0007
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration (existing change requests have none: NULL)."""
    with op.batch_alter_table("change_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("migration", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("change_requests", schema=None) as batch_op:
        batch_op.drop_column("migration")
