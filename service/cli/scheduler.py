"""`steward scheduler`: run the notice scheduler as its own process."""

from __future__ import annotations

import asyncio
import signal

import click

from service.settings import Settings


@click.command("scheduler")
@click.option(
    "--migrate/--no-migrate",
    default=None,
    help="Run database migrations first (default STEWARD_RUN_MIGRATIONS, true); with "
    "--no-migrate the database must already be at this release's schema.",
)
def scheduler(migrate: bool | None) -> None:
    """Send due notices and enforce deadlines until interrupted (one replica acts at a time)."""
    from service.errors import StewardError
    from service.scheduler import run_forever
    from service.store.db import Database

    settings = Settings()
    db = Database(settings)
    try:
        if settings.run_migrations if migrate is None else migrate:
            db.migrate()
        else:
            db.require_current()
    except StewardError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    click.echo(f"steward scheduler: ticking every {settings.tick_seconds:g}s", err=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_forever(settings, stop)

    asyncio.run(main())
