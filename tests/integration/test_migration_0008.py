"""Migration 0008 on SQLite and PostgreSQL: identical subscriptions stored before it (the old
read-then-write check could race) do not make the upgrade fail; the first of them keeps the
fingerprint, so a new identical one is refused by the store, and the downgrade undoes it."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from service.domain import subscription_fingerprint
from service.settings import Settings
from service.store.db import Database, alembic_config
from service.store.tables import SubscriptionRow

from .test_product_reminders import empty_url as empty_url  # a fixture

SUB = (
    "INSERT INTO subscriptions (product_id, consumer_id, columns, sql, version, channels,"
    " all_changes, created_at) VALUES (1, 1, :columns, NULL, NULL, '[\"email\"]', false,"
    " CURRENT_TIMESTAMP)"
)
FINGERPRINTED = (
    "INSERT INTO subscriptions (product_id, consumer_id, columns, sql, version, channels,"
    " all_changes, fingerprint, created_at) VALUES (1, 1, '[\"shop.orders.amount\"]', NULL,"
    " NULL, '[\"email\"]', false, :fingerprint, CURRENT_TIMESTAMP)"
)


def test_migration_0008_keeps_old_duplicates_and_refuses_new_ones(empty_url: str) -> None:
    db = Database(Settings(database_url=empty_url))
    command.upgrade(alembic_config(db.engine), "0007")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO principals (email, is_admin, created_at)"
                " VALUES ('c@example.com', false, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO products (name, description, dialect, notice_period, sunset_period,"
                " require_distinct_approver, created_at)"
                " VALUES ('sales.orders', '', 'postgres', 'P14D', 'P30D', false, CURRENT_TIMESTAMP)"
            )
        )
        for columns in ('["shop.orders.amount"]', '["shop.orders.amount"]', "null"):
            conn.execute(text(SUB), {"columns": columns})
    db.migrate()  # two identical rows: no failure
    with db.reading() as session:
        subs = session.scalars(select(SubscriptionRow).order_by(SubscriptionRow.id)).all()
        amount = subscription_fingerprint(["shop.orders.amount"], None, None, ["email"], False)
        everything = subscription_fingerprint(None, None, None, ["email"], False)
        assert [s.fingerprint for s in subs] == [amount, None, everything]
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text(FINGERPRINTED), {"fingerprint": amount})
    command.downgrade(alembic_config(db.engine), "0007")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM subscriptions")).scalar() == 3
    db.dispose()
