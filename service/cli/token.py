"""`steward token create|list|revoke`: bearer tokens, printed once (stored hashed), expiring."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from service.domain import email_address, parse_duration, principal_name
from service.errors import StewardError
from service.settings import Settings
from service.store.db import Database
from service.usecases.auth import create_token, list_tokens, revoke_token

T = TypeVar("T")


def _rule(
    rule: Callable[[str], str],
) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """A click callback checking an option by the rule the API checks it by (exit 2, nothing
    stored, when it fails)."""

    def check(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return rule(value.strip())
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc

    return check


@contextmanager
def _session() -> Iterator[Session]:
    db = Database(Settings())
    try:
        db.migrate()
        with db.writing() as session:
            yield session
    except StewardError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()


def _run(work: Callable[[Session], T]) -> T:
    with _session() as session:
        return work(session)


@click.group("token")
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.option(
    "--email",
    required=True,
    callback=_rule(email_address),
    help="Whose token it is (created if new).",
)
@click.option(
    "--name", default=None, callback=_rule(principal_name), help="A name for the principal."
)
@click.option("--admin", is_flag=True, help="Admins register products and ingest lineage.")
@click.option("--expires", default=None, help="Lifetime as an ISO 8601 duration, e.g. P90D.")
def create(email: str, name: str | None, admin: bool, expires: str | None) -> None:
    """Create a token and print it; it cannot be shown again."""
    now = datetime.now(UTC)
    try:
        until = now + parse_duration(expires, field="expires") if expires else None
    except StewardError as exc:
        raise click.ClickException(str(exc)) from exc
    principal, secret = _run(
        lambda s: create_token(s, email=email, name=name, admin=admin, now=now, expires_at=until)
    )
    role = "admin" if principal.is_admin else "user"
    ends = f", expires {until.isoformat(timespec='seconds')}" if until else ""
    click.echo(f"# token for {principal.email} ({role}{ends}); shown once, keep it safe", err=True)
    click.echo(secret)


@token.command("list")
@click.option(
    "--email", default=None, callback=_rule(email_address), help="Only this principal's tokens."
)
def list_(email: str | None) -> None:
    """List tokens (id, holder, created, expires, revoked); never their secrets."""
    found = _run(lambda s: list_tokens(s, actor=None, email=email).items)
    for t in found:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        ends = f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never"
        click.echo(f"{t.id}\t{t.email}\tcreated {t.created_at:%Y-%m-%d}\texpires {ends}\t{state}")


@token.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke a token by its id (from `steward token list`); it stops working at once."""
    found = _run(lambda s: revoke_token(s, actor=None, token_id=token_id, now=datetime.now(UTC)))
    click.echo(f"revoked token {found.id} of {found.email}")
