"""`steward db upgrade|check`: bring the database schema to this release's, once per deploy."""

from __future__ import annotations

import sys

import click

from service.settings import Settings


@click.group("db")
def db() -> None:
    """Manage the database schema (Alembic migrations shipped in the package)."""


@db.command("upgrade")
def upgrade() -> None:
    """Run the migrations to this release's head (safe to run again; one runner at a time)."""
    from service.store.db import Database

    database = Database(Settings())
    try:
        before = database.revision()
        database.migrate()
        after = database.revision()
    finally:
        database.dispose()
    if before == after:
        click.echo(f"steward db: already at {after}", err=True)
    else:
        click.echo(f"steward db: upgraded {before or 'an empty database'} -> {after}", err=True)


@db.command("check")
def check() -> None:
    """Exit 0 when the database is at this release's head, 1 when it needs `steward db upgrade`."""
    from service.store.db import Database, head_revision

    database = Database(Settings())
    try:
        current = database.revision()
    finally:
        database.dispose()
    head = head_revision()
    if current == head:
        click.echo(f"steward db: at {head}")
        return
    click.echo(f"steward db: at {current or 'nothing'}, this release needs {head}", err=True)
    sys.exit(1)
