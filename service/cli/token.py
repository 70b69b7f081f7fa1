"""`steward token create`: a bearer token for a principal, printed once (stored hashed)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from service.errors import StewardError
from service.settings import Settings
from service.store.db import Database
from service.usecases.auth import create_token


@click.group("token")
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.option("--email", required=True, help="Whose token it is (created if new).")
@click.option("--name", default=None, help="A name for the principal.")
@click.option("--admin", is_flag=True, help="Admins register products and ingest lineage.")
def create(email: str, name: str | None, admin: bool) -> None:
    """Create a token and print it; it cannot be shown again."""
    db = Database(Settings())
    try:
        db.migrate()
        with db.writing() as session:
            principal, secret = create_token(
                session, email=email, name=name, admin=admin, now=datetime.now(UTC)
            )
    except StewardError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    role = "admin" if principal.is_admin else "user"
    click.echo(f"# token for {principal.email} ({role}); shown once, keep it safe", err=True)
    click.echo(secret)
