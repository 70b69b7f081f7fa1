"""`steward serve [--demo]`: run the HTTP API with uvicorn."""

from __future__ import annotations

import click

from service.settings import Settings


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default STEWARD_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default STEWARD_PORT or 8000).")
@click.option("--demo", is_flag=True, help="Load the demo organisation and print tokens to try.")
def serve(host: str | None, port: int | None, demo: bool) -> None:
    """Start the Steward API (OpenAPI docs at /docs)."""
    import uvicorn

    from service.api import create_app

    settings = Settings()
    updates = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = settings.model_copy(update=updates)
    app = create_app(settings)
    if demo:
        from service.demo import load_demo

        base = f"http://{settings.host}:{settings.port}"
        click.echo(load_demo(app.state.steward, base))
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
