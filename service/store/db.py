"""Engines and sessions: SQLite in WAL mode with foreign keys on, PostgreSQL as is; migrations."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from service.errors import StewardError
from service.settings import Settings
from service.store.tables import NOTICE_BATCHES, json_serializer

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
WRITE = "steward_write"
#: Execution option of `Database.read` on SQLite: no BEGIN (the statement is its snapshot).
SINGLE = "steward_single_statement"
# Key of the PostgreSQL advisory lock held while migrating: replicas that start at the same
# moment with migrations on run them one after the other (the later ones find nothing to do).
MIGRATION_LOCK = 0x5357_4D49_4752  # "SWMIGR"

T = TypeVar("T")


class SchemaOutOfDate(StewardError):
    """The database is not at this release's schema and this process was told not to migrate."""

    code = "schema_out_of_date"


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database; SQLite gets WAL, foreign keys, BEGIN IMMEDIATE."""
    settings.ensure_database_directory()
    url = settings.database_url
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, json_serializer=json_serializer)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        json_serializer=json_serializer,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (not the driver) decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # WAL with synchronous=NORMAL stays consistent on power loss; only the last commit may go.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writing transaction takes the write lock at once, so two writers serialise
        # instead of one failing on a stale snapshot; readers never block writers (WAL).
        options = conn.get_execution_options()
        if options.get(SINGLE, False) or options.get("isolation_level") == "AUTOCOMMIT":
            return  # a single-statement read (Database.read): the statement is its snapshot
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE, False) else "BEGIN")

    return engine


def alembic_config(engine: Engine) -> Config:
    """Alembic's configuration, built from the package so migrations run from an install."""
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (`alembic upgrade head`), one migrator at a time."""
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), "head")  # SQLite: BEGIN IMMEDIATE serialises
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            command.upgrade(alembic_config(engine), "head")
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            lock.commit()


def head_revision() -> str:
    """The newest migration this release ships."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


class Database:
    """The engine plus two session factories: one for reading, one that writes."""

    def __init__(self, settings: Settings) -> None:
        """Connect (lazily) to the configured database."""
        self.settings = settings
        self.engine = make_engine(settings)
        #: set when a committed operation queued a notice batch, to be written out
        self.notice_batches = threading.Event()
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(**{WRITE: True}), expire_on_commit=False
        )
        # Reads of single statements, without transaction round trips (see `read`). SQLite's
        # driver is in autocommit always (BEGIN is ours to send, see make_engine), so there
        # it only skips the BEGIN, without SQLAlchemy switching the connection's isolation
        # level on every checkout and back on every return. PostgreSQL's get a pool of
        # their own, in autocommit from the start and without the pre-ping round trip:
        # `read` replaces a dead connection instead of testing each one first.
        self._single: Engine
        if self.engine.dialect.name == "sqlite":
            self._single = self.engine.execution_options(**{SINGLE: True})
        else:
            self._single = create_engine(
                settings.database_url,
                isolation_level="AUTOCOMMIT",
                pool_pre_ping=False,
                json_serializer=json_serializer,
            )

    def migrate(self) -> None:
        """Run the migrations to head."""
        migrate(self.engine)

    def revision(self) -> str | None:
        """The migration the database is at (None: never migrated)."""
        return current_revision(self.engine)

    def require_current(self) -> None:
        """Refuse to serve a database another release's schema: `steward db upgrade` first."""
        current, head = self.revision(), head_revision()
        if current != head:
            raise SchemaOutOfDate(
                f"the database is at migration {current or 'none'} but this release needs "
                f"{head}: run `steward db upgrade` once, then start the replicas",
                current=current,
                head=head,
            )

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for one read-only request; rolled back at the end."""
        with self._read() as session:
            try:
                yield session
            finally:
                session.rollback()

    def read(self, work: Callable[[Connection], T]) -> T:
        """WORK, a read of single statements (each its own consistent snapshot), on a plain
        connection in autocommit mode: no BEGIN, ROLLBACK or ping round trips. A pooled
        connection found dead (the database restarted; SQLAlchemy then drops the pool's
        other connections too) is replaced and WORK run once more: a read is safe to repeat.
        """
        try:
            with self._single.connect() as connection:
                return work(connection)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        with self._single.connect() as connection:
            return work(connection)

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session for one operation: committed when the block succeeds, else rolled back.
        One that queued a notice batch sets `notice_batches` once committed (the API writes
        the batch out after its answer, service/api/fan_out.py)."""
        with self._write() as session:
            with session.begin():
                yield session
            if session.info.pop(NOTICE_BATCHES, False):
                self.notice_batches.set()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        if self._single.engine is not self.engine:
            self._single.engine.dispose()
