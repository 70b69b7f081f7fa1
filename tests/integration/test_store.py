"""The store itself: migrations, SQLite pragmas, the append-only audit log, the outbox table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from service.settings import Settings
from service.store.db import Database, alembic_config
from service.store.tables import Base


@pytest.fixture
def db(database_url: str) -> Database:
    """A migrated database."""
    database = Database(Settings(database_url=database_url))
    database.migrate()
    return database


def test_migrations_create_every_table_and_running_them_again_changes_nothing(db: Database) -> None:
    db.migrate()
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with db.reading() as session:
        version = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == ScriptDirectory.from_config(alembic_config(db.engine)).get_current_head()
    db.dispose()


def test_the_outbox_has_the_columns_the_scheduler_needs(db: Database) -> None:
    columns = {c["name"] for c in inspect(db.engine).get_columns("notices")}
    assert {
        "id", "change_request_id", "recipient", "kind", "due_at", "state", "attempts",
        "next_attempt_at", "last_error", "message_id", "delivered_at", "lease_until", "created_at",
    } <= columns  # fmt: skip
    db.dispose()


def test_the_audit_log_refuses_updates_and_deletes(db: Database) -> None:
    with db.writing() as session:
        session.execute(
            text("INSERT INTO audit_log (at, actor, action, entity) VALUES (:at, 'a', 'b', 'c')"),
            {"at": datetime.now(UTC)},
        )
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), db.writing() as session:
            session.execute(text(statement))
    with db.reading() as session:
        assert session.execute(text("SELECT actor FROM audit_log")).scalars().all() == ["a"]
    db.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(tmp_path: object) -> None:
    database = Database(Settings(database_url=f"sqlite:///{tmp_path}/nested/dir/s.db"))
    database.migrate()
    with database.reading() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    with pytest.raises(DBAPIError), database.writing() as session:
        session.execute(
            text(
                "INSERT INTO tokens (principal_id, token_hash, created_at) VALUES (999, 'h', :at)"
            ),
            {"at": datetime.now(UTC)},
        )
    database.dispose()
