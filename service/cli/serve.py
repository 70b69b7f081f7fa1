"""`steward serve [--demo]`: run the HTTP API with uvicorn; `--demo` loads a demo organisation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cli.demo_mail import demo_mail_sink
from service.domain import Principal
from service.errors import NotFound
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
        "  # a maintainer proposes a breaking change (amount -> amount_cents):",
        f"  curl -s -X POST {base}/products/sales.orders/change-requests \\",
        '    -H "Authorization: Bearer $MAINTAINER" -H "Content-Type: application/json" \\',
        '    -d "$(python3 -c \'import json;print(json.dumps({"summary":"amount in cents",'
        '"schema":open("fixtures/demo/sales_orders.v2-breaking.sql").read()}))\')"',
        "  # the owner approves it (a different person, as sales.orders requires):",
        f'  curl -s -X POST {base}/change-requests/1/approve -H "Authorization: Bearer $OWNER"',
        f'  curl -s -X POST {base}/change-requests/1/acknowledge -H "Authorization: Bearer $ANALYST"',
        "",
    ]
    return "\n".join(lines)


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
    if not demo:
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
        return
    base = f"http://{settings.host}:{settings.port}"
    click.echo(load_demo(app.state.steward.db, demo_dir(), base))
    mail_dir = Path(".steward") / "demo-mail"
    with demo_mail_sink(mail_dir) as sink:
        if sink:
            click.echo(f"Notices are delivered to a local mail sink on {sink}; see {mail_dir}/\n")
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
