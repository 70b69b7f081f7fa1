"""Notices: a webhook's stored error keeps only the receiver's status, never its reply.

Releases before the webhook hardening stored `"<code> <receiver's reason>: <first 200
characters of its reply>"` in `notices.last_error`; this rewrites each such value to what
the code now writes (`notifications.webhook.safe_detail`: the code and the standard reason
phrase). Steward's own words (a refused target, a transport error) and e-mail errors stay.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from notifications.webhook import safe_detail

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_NOTICES = sa.table(
    "notices",
    sa.column("id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("last_error", sa.Text),
)


def upgrade() -> None:
    """Rewrite every webhook notice's last_error to its safe form."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_NOTICES.c.id, _NOTICES.c.last_error).where(
            _NOTICES.c.channel == "webhook", _NOTICES.c.last_error.is_not(None)
        )
    ).all()
    changed = [
        {"key": id_, "safe": safe_detail(error)}
        for id_, error in rows
        if safe_detail(error) != error
    ]
    if changed:
        connection.execute(
            _NOTICES.update()
            .where(_NOTICES.c.id == sa.bindparam("key"))
            .values(last_error=sa.bindparam("safe")),
            changed,
        )


def downgrade() -> None:
    """Nothing to undo: the replies are gone for good, as intended."""
