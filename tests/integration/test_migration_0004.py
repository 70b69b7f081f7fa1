"""Migration 0004 on SQLite and PostgreSQL: an open compatible change request moves to its own
slot (so a breaking one may be proposed beside it), new columns get their defaults, and the
downgrade puts it back."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from service.settings import Settings
from service.store.db import Database, alembic_config
from service.store.tables import ChangeRequestRow, ProductRow

from .test_product_reminders import empty_url as empty_url  # a fixture

CR = (
    "INSERT INTO change_requests (product_id, open_product_id, state, summary, source,"
    " schema_json, renames, bump, breaking, changes, impact, base_version, target_version,"
    " proposer_id, created_at, row_version) VALUES (1, 1, 'proposed', 's', 'x', '{}', '{}',"
    " :bump, :breaking, '[]', '{}', '1.0.0', '1.1.0', 1, CURRENT_TIMESTAMP, 1)"
)


def test_migration_0004_moves_open_compatible_requests_to_their_own_slot(empty_url: str) -> None:
    db = Database(Settings(database_url=empty_url))
    command.upgrade(alembic_config(db.engine), "0003")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO principals (email, is_admin, created_at)"
                " VALUES ('o@example.com', false, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO products (name, description, dialect, notice_period, sunset_period,"
                " require_distinct_approver, created_at)"
                " VALUES ('sales.orders', '', 'postgres', 'P14D', 'P30D', false, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(text(CR), {"bump": "minor", "breaking": False})
    db.migrate()
    with db.reading() as session:
        cr = session.scalars(select(ChangeRequestRow)).one()
        assert (cr.open_product_id, cr.compatible_product_id) == (None, 1)
        product = session.scalars(select(ProductRow)).one()
        assert (product.waive_notice_without_readers, product.slas) == (False, {})
    with db.engine.begin() as conn:  # the breaking slot is free beside it
        conn.execute(text(CR), {"bump": "major", "breaking": True})
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM change_requests WHERE breaking = true"))
    command.downgrade(alembic_config(db.engine), "0003")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT open_product_id FROM change_requests")).scalar() == 1
    db.dispose()
