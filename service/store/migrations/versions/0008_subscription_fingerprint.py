"""Subscriptions: identical ones refused by the store (a unique fingerprint per consumer).

Each existing subscription gets its fingerprint (`domain.subscription_fingerprint`); of
identical ones already stored (the old read-then-write check could race), the first keeps it
and the others keep NULL, which the unique index allows, so the upgrade never fails on them.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from service.domain import subscription_fingerprint

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _listed(value: Any) -> Any:
    """A JSON column's value as Python (some drivers hand back the text)."""
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
    subs = sa.table(
        "subscriptions",
        sa.column("id", sa.Integer),
        sa.column("product_id", sa.Integer),
        sa.column("consumer_id", sa.Integer),
        sa.column("columns", sa.JSON),
        sa.column("sql", sa.Text),
        sa.column("version", sa.String),
        sa.column("channels", sa.JSON),
        sa.column("all_changes", sa.Boolean),
        sa.column("fingerprint", sa.String),
    )
    connection = op.get_bind()
    seen: set[tuple[int, int, str]] = set()
    rows = connection.execute(
        sa.select(
            subs.c.id,
            subs.c.product_id,
            subs.c.consumer_id,
            subs.c.columns,
            subs.c.sql,
            subs.c.version,
            subs.c.channels,
            subs.c.all_changes,
        ).order_by(subs.c.id)
    ).all()
    for row in rows:
        digest = subscription_fingerprint(
            _listed(row.columns),
            row.sql,
            row.version,
            _listed(row.channels),
            bool(row.all_changes),
        )
        key = (row.product_id, row.consumer_id, digest)
        if key in seen:
            continue  # a duplicate stored before this index: kept, without a fingerprint
        seen.add(key)
        connection.execute(subs.update().where(subs.c.id == row.id).values(fingerprint=digest))
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_subscriptions_fingerprint",
            ["product_id", "consumer_id", "fingerprint"],
            unique=True,
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("uq_subscriptions_fingerprint")
        batch_op.drop_column("fingerprint")
