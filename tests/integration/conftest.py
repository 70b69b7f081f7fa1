"""Integration fixtures: a real database per test (SQLite file, or a fresh PostgreSQL database),
the app on it with a controllable clock, and an organisation with tokens."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from service.api import create_app
from service.settings import Settings
from service.store.db import Database
from service.usecases.auth import create_token

from .notifications.conftest import RecordingHandler, free_port

warnings.filterwarnings("ignore", message=".*httpx2.*")

from fastapi.testclient import TestClient  # noqa: E402

ORDERS_V1 = (
    "CREATE TABLE shop.orders (\n"
    "  id BIGINT PRIMARY KEY,\n"
    "  customer_id BIGINT NOT NULL,\n"
    "  amount DECIMAL(10, 2) NOT NULL,\n"
    "  note VARCHAR(100)\n"
    ");"
)
ORDERS_COMPATIBLE = ORDERS_V1.replace(
    "  note VARCHAR(100)\n", "  note VARCHAR(100),\n  channel TEXT\n"
)
ORDERS_BREAKING = ORDERS_V1.replace("  amount DECIMAL(10, 2) NOT NULL,\n", "")

TEMPLATE = f"steward_tpl_{uuid.uuid4().hex[:8]}"


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        """Move time forward."""
        self.now += timedelta(**kwargs)


def _admin_url(url: str) -> Any:
    return make_url(url).set(database="postgres")


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> Iterator[str]:
    """A migrated template database; each test clones it (CREATE DATABASE ... TEMPLATE)."""
    admin = create_engine(_admin_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{TEMPLATE}"')
    url = make_url(postgres_url).set(database=TEMPLATE).render_as_string(hide_password=False)
    db = Database(Settings(database_url=url))
    db.migrate()
    db.dispose()
    yield postgres_url
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database for one test: a SQLite file, or a PostgreSQL database dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'steward.db'}"
        return
    base = request.getfixturevalue("postgres_template")
    name = f"steward_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_admin_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def clock() -> Clock:
    """The app's clock."""
    return Clock()


@pytest.fixture
def smtp_port() -> Iterator[int]:
    """A real SMTP sink on loopback."""
    port = free_port()
    controller = Controller(RecordingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def app(database_url: str, clock: Clock) -> Iterator[FastAPI]:
    """The API on the test's database, without the scheduler."""
    application = create_app(
        Settings(database_url=database_url, scheduler=False, max_schema_bytes=20_000),
        clock=clock,
    )
    yield application
    application.state.steward.db.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client of the app."""
    with TestClient(app) as c:
        yield c


@dataclass
class Org:
    """People with tokens, and helpers to act as them."""

    client: TestClient
    tokens: dict[str, str]

    def h(self, who: str | None) -> dict[str, str]:
        """Authorization headers of one person (None: anonymous)."""
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    def post(self, who: str | None, path: str, body: Any = None) -> Any:
        """POST as someone."""
        return self.client.post(path, json=body, headers=self.h(who))

    def get(self, who: str | None, path: str) -> Any:
        """GET as someone."""
        return self.client.get(path, headers=self.h(who))

    def register(self, name: str = "sales.orders", schema: str = ORDERS_V1, **extra: Any) -> Any:
        """Register a product owned by `owner` (maintained by `maintainer`) as the admin."""
        body = {
            "name": name,
            "description": "Orders",
            "owners": ["owner@example.com"],
            "maintainers": ["maintainer@example.com"],
            "dialect": "postgres",
            "schema": schema,
            **extra,
        }
        response = self.post("admin", "/products", body)
        assert response.status_code == 201, response.text
        return response.json()

    def propose(self, schema: str, who: str = "owner", product: str = "sales.orders") -> Any:
        """Propose a schema; returns the response."""
        return self.post(
            who, f"/products/{product}/change-requests", {"schema": schema, "summary": "change"}
        )


PEOPLE = {
    "admin": ("admin@example.com", True),
    "owner": ("owner@example.com", False),
    "co_owner": ("co-owner@example.com", False),
    "maintainer": ("maintainer@example.com", False),
    "other_owner": ("other-owner@example.com", False),
    "consumer": ("consumer@example.com", False),
    "consumer2": ("consumer2@example.com", False),
}


@pytest.fixture
def org(app: FastAPI, client: TestClient, clock: Clock) -> Org:
    """An organisation: an admin, owners, a maintainer and consumers, each with a token."""
    tokens = {}
    with app.state.steward.db.writing() as session:
        for key, (email, admin) in PEOPLE.items():
            tokens[key] = create_token(session, email=email, admin=admin, now=clock())[1]
    return Org(client, tokens)
