"""Alembic environment: migrates the engine handed over in `config.attributes`, or the URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from service.store.tables import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run the migrations on a live connection, in one transaction."""
    config = context.config
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


# Alembic sets `context.config` when it runs this file; a plain import (doctest collection) does not.
if hasattr(context, "config"):
    run_migrations_online()
