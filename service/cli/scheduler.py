"""`steward scheduler`: run the notice scheduler as its own process."""

from __future__ import annotations

import asyncio
import signal

import click

from service.settings import Settings


@click.command("scheduler")
@click.option("--migrate/--no-migrate", default=True, help="Run database migrations first.")
def scheduler(migrate: bool) -> None:
    """Send due notices and enforce deadlines until interrupted (one replica acts at a time)."""
    from service.scheduler import SchedulerSettings, run_forever
    from service.store.db import Database

    settings = Settings()
    if migrate:
        db = Database(settings)
        db.migrate()
        db.dispose()
    config = SchedulerSettings()
    click.echo(f"steward scheduler: ticking every {config.tick_seconds:g}s", err=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_forever(settings, stop)

    asyncio.run(main())
