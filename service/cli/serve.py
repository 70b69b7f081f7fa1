"""`steward serve [--demo]`: run the HTTP API with uvicorn; `--demo` loads a demo organisation."""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cli.demo_mail import demo_mail_sink
from service.domain import Principal
from service.errors import NotFound, StewardError
from service.settings import Settings
from service.store import queries as q
from service.store.db import Database
from service.store.tables import LineageSourceRow
from service.usecases.auth import create_token
from service.usecases.common import Limits
from service.usecases.lineage import ingest_sql
from service.usecases.products import register_product
from service.usecases.subscriptions import subscribe

DEMO_DIRS = (
    Path.cwd() / "fixtures" / "demo",
    Path(__file__).resolve().parents[2] / "fixtures" / "demo",
)


def demo_dir() -> Path:
    """The demo organisation's directory (the repository's fixtures/demo)."""
    for path in DEMO_DIRS:
        if (path / "organisation.yaml").is_file():
            return path
    raise click.ClickException("fixtures/demo/organisation.yaml not found; run from the repository")


def load_demo(db: Database, directory: Path, base_url: str) -> str:
    """Load the demo organisation idempotently; fresh tokens and curl examples to print."""
    spec: dict[str, Any] = yaml.safe_load((directory / "organisation.yaml").read_text("utf-8"))
    now = datetime.now(UTC)
    limits = Limits()
    tokens: dict[str, str] = {}
    with db.writing() as session:
        for person in spec["people"]:
            principal, token = create_token(
                session,
                email=person["email"],
                name=person.get("name"),
                admin=bool(person.get("admin")),
                now=now,
            )
            tokens[principal.email] = token
        admin = q.to_principal(_principal(session, spec["people"][0]["email"]))
        for product in spec["products"]:
            _product(session, admin, directory, product, limits, now)
        for sub in spec["subscriptions"]:
            _subscription(session, sub, limits, now)
        for view in spec["views"]:
            _view(session, admin, view, limits, now)
    return _instructions(tokens, base_url)


def _principal(session: Session, email: str) -> Any:
    row = q.principal_by_email(session, email)
    if row is None:
        raise click.ClickException(f"demo person {email} missing")
    return row


def _product(
    session: Session,
    admin: Principal,
    directory: Path,
    spec: dict[str, Any],
    limits: Limits,
    now: datetime,
) -> None:
    try:
        q.product_row(session, spec["name"])
        return
    except NotFound:
        pass
    sql_file = spec.get("sql")
    register_product(
        session,
        actor=admin,
        name=spec["name"],
        description=spec.get("description", ""),
        owners=spec["owners"],
        maintainers=spec.get("maintainers", []),
        dialect=spec["dialect"],
        schema=(directory / spec["schema"]).read_text("utf-8"),
        notice_period=spec.get("notice_period", "P14D"),
        sunset_period=spec.get("sunset_period", "P30D"),
        require_distinct_approver=bool(spec.get("require_distinct_approver")),
        sql=(directory / sql_file).read_text("utf-8") if sql_file else None,
        limits=limits,
        now=now,
    )


def _subscription(session: Session, spec: dict[str, Any], limits: Limits, now: datetime) -> None:
    consumer = _principal(session, spec["consumer"])
    product = q.product_row(session, spec["product"])
    exists = any(s.consumer_id == consumer.id for s in q.subscription_rows(session, product.id))
    if exists:
        return
    subscribe(
        session,
        actor=q.to_principal(consumer),
        product=spec["product"],
        columns=spec.get("columns"),
        sql=spec.get("sql"),
        version=None,
        channels=None,
        all_changes=bool(spec.get("all_changes")),
        limits=limits,
        now=now,
    )


def _view(
    session: Session, admin: Principal, spec: dict[str, Any], limits: Limits, now: datetime
) -> None:
    found = session.scalars(
        select(LineageSourceRow).where(
            LineageSourceRow.kind == "sql", LineageSourceRow.name == spec["name"]
        )
    ).first()
    if found is None:
        ingest_sql(
            session,
            actor=admin,
            name=spec["name"],
            sql=spec["sql"],
            dialect=spec["dialect"],
            limits=limits,
            now=now,
        )


def _instructions(tokens: dict[str, str], base: str) -> str:
    owner = tokens["sam.sales@demo.example"]
    maint = tokens["mia.maintainer@demo.example"]
    fin = tokens["fin.analyst@demo.example"]
    lines = ["", "Steward demo organisation loaded. Tokens (new on every start):", ""]
    lines += [f"  {email:32} {token}" for email, token in tokens.items()]
    lines += [
        "",
        f"Open the console: {base}/ui and paste a token, for example the owner's:",
        f"  {owner}",
        "",
        "Or try the API (OpenAPI docs at " + base + "/docs):",
        "",
        f"  export OWNER={owner} MAINTAINER={maint} ANALYST={fin}",
        f'  curl -s {base}/products -H "Authorization: Bearer $ANALYST"',
        f'  curl -s {base}/products/sales.orders/subscriptions -H "Authorization: Bearer $ANALYST"',
        "  # a maintainer proposes a breaking change (amount -> amount_cents); keep its id:",
        f"  CR=$(curl -s -X POST {base}/products/sales.orders/change-requests \\",
        '    -H "Authorization: Bearer $MAINTAINER" -H "Content-Type: application/json" \\',
        '    -d "$(python3 -c \'import json;print(json.dumps({"summary":"amount in cents",'
        '"schema":open("fixtures/demo/sales_orders.v2-breaking.sql").read()}))\')" \\',
        "    | python3 -c 'import json,sys;print(json.load(sys.stdin)[\"id\"])'); echo $CR",
        "  # the analyst comments; the owner approves with a reason (a different person):",
        f'  curl -s -X POST {base}/change-requests/$CR/comments -H "Authorization: Bearer $ANALYST" \\',
        '    -H "Content-Type: application/json" -d \'{"body":"our revenue report reads amount"}\'',
        f'  curl -s -X POST {base}/change-requests/$CR/approve -H "Authorization: Bearer $OWNER" \\',
        '    -H "Content-Type: application/json" -d \'{"reason":"finance agreed"}\'',
        f'  curl -s -X POST {base}/change-requests/$CR/acknowledge -H "Authorization: Bearer $ANALYST"',
        f'  curl -s {base}/change-requests/$CR/notices -H "Authorization: Bearer $OWNER"',
        "",
        "Each start resets the demo's own database (.steward/demo.db), so this always fits.",
        "",
    ]
    return "\n".join(lines)


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "info",
        "access_log": settings.access_log,
    }


def run_workers(settings: Settings) -> None:
    """Serve with `settings.workers` processes on one socket; migrations run once, here, first.

    Each worker is handed these settings (pickled by uvicorn's process supervisor), not the
    environment, and does not migrate.
    """
    import inspect
    from functools import partial

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from service.api.app import create_app
    from service.store.db import Database

    if settings.run_migrations:
        db = Database(settings)
        try:
            db.migrate()
        finally:
            db.dispose()
    # The workers share one cookie key, so a console session signed by one is read by all.
    secret = settings.session_secret or secrets.token_urlsafe(32)
    worker = settings.model_copy(update={"run_migrations": False, "session_secret": secret})
    config = uvicorn.Config(
        partial(create_app, worker), factory=True, workers=settings.workers,
        # A worker answers the supervisor only once it has imported the app: on a busy
        # machine that takes longer than uvicorn's 5 s, and it would be killed in a loop.
        timeout_worker_healthcheck=settings.worker_timeout,
        **_uvicorn_options(settings),
    )  # fmt: skip
    server = uvicorn.Server(config)
    sockets = [config.bind_socket()]
    # uvicorn < 0.36 took the worker's target; later versions derive it from the config.
    if "target" in inspect.signature(Multiprocess).parameters:
        Multiprocess(config, target=server.run, sockets=sockets).run()  # type: ignore[call-arg]
    else:
        Multiprocess(config, sockets=sockets).run()


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default STEWARD_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default STEWARD_PORT or 8000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="API worker processes on the one port (default STEWARD_WORKERS or 1).",
)
@click.option("--demo", is_flag=True, help="Load the demo organisation and print tokens to try.")
def serve(host: str | None, port: int | None, workers: int | None, demo: bool) -> None:
    """Start the Steward API (OpenAPI docs at /docs)."""
    import uvicorn

    from service.api import create_app

    settings = Settings()
    given = {"host": host, "port": port, "workers": workers}
    settings = settings.model_copy(update={k: v for k, v in given.items() if v is not None})
    if "public_url" not in settings.model_fields_set and not os.environ.get("STEWARD_PUBLIC_URL"):
        local = local_url(settings.host, settings.port)
        settings = settings.model_copy(update={"public_url": local})
    if demo and settings.workers > 1:
        raise click.UsageError("--demo runs in one process: leave out --workers")
    if settings.workers > 1:
        run_workers(settings)
        return
    if not demo:
        try:
            app = create_app(settings)
        except StewardError as exc:  # e.g. a replica told not to migrate, on an old schema
            raise click.ClickException(str(exc)) from exc
        app.state.steward.mail = check_mail(settings)
        uvicorn.run(app, **_uvicorn_options(settings))
        return
    settings = reset_demo_database(settings)
    base = settings.public_url
    mail_dir = Path(".steward") / "demo-mail"
    with demo_mail_sink(mail_dir, settings) as (settings, sink):
        app = create_app(settings)
        click.echo(load_demo(app.state.steward.db, demo_dir(), base))
        if sink:
            click.echo(f"Notices are delivered to a local mail sink on {sink}; see {mail_dir}/\n")
        app.state.steward.mail = check_mail(settings)
        uvicorn.run(app, **_uvicorn_options(settings))


DEMO_DATABASE = Path(".steward") / "demo.db"


def reset_demo_database(settings: Settings) -> Settings:
    """The demo's own SQLite file, emptied on every start so its walk-through always fits;
    a database named by STEWARD_DATABASE_URL is used as it is (never deleted)."""
    if "database_url" in settings.model_fields_set or os.environ.get("STEWARD_DATABASE_URL"):
        click.echo(
            "STEWARD_DATABASE_URL is set: the demo loads into it without resetting it, so the "
            "walk-through below may not fit what is already there.",
            err=True,
        )
        return settings
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
    return settings.model_copy(update={"database_url": f"sqlite:///./{DEMO_DATABASE}"})


def local_url(host: str, port: int) -> str:
    """The base URL of links in notices when STEWARD_PUBLIC_URL is not set: where we listen.

    >>> local_url("0.0.0.0", 8303)
    'http://127.0.0.1:8303'
    """
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


def check_mail(settings: Settings, timeout: float = 2.0) -> str:
    """`reachable` or `unreachable` for the configured SMTP server; warns on stderr when not."""
    host, port = settings.smtp_host, settings.smtp_port
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return "reachable"
    except OSError as exc:
        click.echo(
            f"WARNING: the mail server {host}:{port} cannot be reached ({exc}); notices will "
            "wait in the outbox and no notice period starts. Set STEWARD_SMTP_HOST/PORT.",
            err=True,
        )
        return "unreachable"
