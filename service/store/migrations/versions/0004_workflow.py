"""Workflow: a compatible slot beside the breaking one, decision reasons, comments, the
no-known-reader waiver, token expiry, a note (comment or reason) on notices, product SLAs,
product retirement (a change request of kind `retirement`).

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


# Plain ADD/DROP COLUMN (no batch copy): SQLite cannot rebuild a table that other tables
# rows reference while foreign keys are enforced, and it adds and drops columns in place.


def upgrade() -> None:
    """Apply this migration."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("change_requests", sa.Column("compatible_product_id", sa.Integer()))
    op.add_column("change_requests", sa.Column("decision_reason", sa.Text()))
    op.add_column(
        "change_requests",
        sa.Column("kind", sa.String(length=20), server_default="schema", nullable=False),
    )
    if not sqlite:  # SQLite cannot add a constraint in place; the application keeps it
        op.create_foreign_key(
            op.f("fk_change_requests_compatible_product_id_products"),
            "change_requests",
            "products",
            ["compatible_product_id"],
            ["id"],
        )
    op.create_index(
        op.f("uq_change_requests_compatible_product_id"),
        "change_requests",
        ["compatible_product_id"],
        unique=True,
    )
    # An open compatible proposal moves to its own slot, so a breaking one may be proposed beside it.
    op.execute(
        "UPDATE change_requests SET compatible_product_id = open_product_id, "
        "open_product_id = NULL WHERE open_product_id IS NOT NULL AND breaking = false"
    )
    op.add_column(
        "products",
        sa.Column(
            "waive_notice_without_readers", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.add_column("products", sa.Column("slas", sa.JSON(), server_default="{}", nullable=False))
    op.add_column("products", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tokens", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("notices", sa.Column("note", sa.Text(), nullable=True))
    op.add_column("notices", sa.Column("note_author", sa.String(length=320), nullable=True))
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
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index(
        op.f("ix_change_request_comments_change_request_id"), table_name="change_request_comments"
    )
    op.drop_table("change_request_comments")
    op.drop_column("notices", "note_author")
    op.drop_column("notices", "note")
    op.drop_column("tokens", "expires_at")
    op.drop_column("products", "retired_at")
    op.drop_column("products", "slas")
    op.drop_column("products", "waive_notice_without_readers")
    op.execute(
        "UPDATE change_requests SET open_product_id = compatible_product_id "
        "WHERE compatible_product_id IS NOT NULL AND open_product_id IS NULL"
    )
    op.drop_index(op.f("uq_change_requests_compatible_product_id"), table_name="change_requests")
    if not sqlite:
        op.drop_constraint(
            op.f("fk_change_requests_compatible_product_id_products"),
            "change_requests",
            type_="foreignkey",
        )
    op.drop_column("change_requests", "kind")
    op.drop_column("change_requests", "decision_reason")
    op.drop_column("change_requests", "compatible_product_id")
