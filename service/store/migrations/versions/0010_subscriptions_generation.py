"""Products: a generation of their subscriptions, bumped by every subscribe and unsubscribe.

An API process keeps a product's subscriptions as typed values between proposals and reads
them again only when this number moved (it is read with the product's row, which the
proposal locks, so a subscription committed by another process is never missed). Existing
products start at 0: no process has kept anything of them yet.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add products.subscriptions_generation, 0 for every product."""
    op.add_column(
        "products",
        sa.Column("subscriptions_generation", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    """Drop the column (in place: SQLite drops columns since 3.35, and copying the table
    would break the foreign keys that point at it)."""
    op.drop_column("products", "subscriptions_generation")
