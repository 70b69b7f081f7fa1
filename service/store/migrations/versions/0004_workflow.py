"""Workflow: a compatible slot beside the breaking one, decision reasons, comments, the
no-known-reader waiver, token expiry, a note (comment or reason) on notices, product SLAs.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("change_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compatible_product_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decision_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_change_requests_compatible_product_id_products"),
            "products",
            ["compatible_product_id"],
            ["id"],
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_change_requests_compatible_product_id"), ["compatible_product_id"]
        )
    # An open compatible proposal moves to its own slot, so a breaking one may be proposed beside it.
    op.execute(
        "UPDATE change_requests SET compatible_product_id = open_product_id, "
        "open_product_id = NULL WHERE open_product_id IS NOT NULL AND breaking = false"
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "waive_notice_without_readers",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("slas", sa.JSON(), server_default="{}", nullable=False))
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("note_author", sa.String(length=320), nullable=True))
    op.create_table(
        "change_request_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("change_request_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_request_id"],
            ["change_requests.id"],
            name=op.f("fk_change_request_comments_change_request_id_change_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["principals.id"],
            name=op.f("fk_change_request_comments_author_id_principals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_request_comments")),
    )
    op.create_index(
        op.f("ix_change_request_comments_change_request_id"),
        "change_request_comments",
        ["change_request_id"],
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index(
        op.f("ix_change_request_comments_change_request_id"), table_name="change_request_comments"
    )
    op.drop_table("change_request_comments")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_column("note_author")
        batch_op.drop_column("note")
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("slas")
        batch_op.drop_column("waive_notice_without_readers")
    op.execute(
        "UPDATE change_requests SET open_product_id = compatible_product_id "
        "WHERE compatible_product_id IS NOT NULL AND open_product_id IS NULL"
    )
    with op.batch_alter_table("change_requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_change_requests_compatible_product_id"), type_="unique"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_change_requests_compatible_product_id_products"), type_="foreignkey"
        )
        batch_op.drop_column("decision_reason")
        batch_op.drop_column("compatible_product_id")
