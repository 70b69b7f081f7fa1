"""Notice batches: a notice to many recipients queued as one row, its outbox rows written later.

A proposal, an approval or a release that reaches hundreds of readers wrote one outbox row
per recipient in its own transaction (each with four index entries and two foreign-key
checks: most of a large proposal's time on PostgreSQL). It now writes one batch row;
the rows are written from it after the answer, by the API process or the scheduler, before
any of them is due to be sent. Nothing to move: existing notices are rows already.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create notice_batches."""
    op.create_table(
        "notice_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("change_request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("batch", sa.String(length=40), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("note_author", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_request_id"],
            ["change_requests.id"],
            name=op.f("fk_notice_batches_change_request_id_change_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_batches")),
    )
    op.create_index(
        op.f("ix_notice_batches_change_request_id"), "notice_batches", ["change_request_id"]
    )


def downgrade() -> None:
    """Write every batch's rows, then drop the table: no notice is lost."""
    from sqlalchemy.orm import Session

    from service.store.outbox import expand

    expand(Session(bind=op.get_bind()))
    op.drop_index(op.f("ix_notice_batches_change_request_id"), table_name="notice_batches")
    op.drop_table("notice_batches")
