"""HTTP API latency on one uvicorn worker over loopback, against a floor (GET /health).

Proposing a change to a product with 1,000 subscribers (diff + impact over every
subscription + outbox rows, one transaction) and reading a product, on the embedded
SQLite store. The client is sequential httpx with keep-alive, so requests/second is
one client's rate: 1 / mean latency.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from service.settings import Settings
from service.store.db import Database
from service.usecases.auth import create_token
from service.usecases.common import Limits
from service.usecases.products import register_product
from service.usecases.subscriptions import subscribe

COLUMNS = 40
V1 = (
    "CREATE TABLE shop.orders (\n"
    + ",\n".join(
        f"  c{i} {'BIGINT PRIMARY KEY' if i == 0 else 'VARCHAR(100)'}" for i in range(COLUMNS)
    )
    + "\n);"
)
V2 = V1.replace("  c1 VARCHAR(100),\n", "")  # drops c1: breaking, reaches readers of c1


def _seed(url: str, subscribers: int) -> tuple[str, str]:
    """A product with `subscribers` subscriptions (a third read c1); (admin, owner) tokens."""
    db = Database(Settings(database_url=url))
    db.migrate()
    now = datetime.now(UTC)
    with db.writing() as session:
        admin_principal, admin = create_token(
            session, email="admin@bench.example", admin=True, now=now
        )
        _, owner = create_token(session, email="owner@bench.example", now=now)
        register_product(
            session, actor=admin_principal, name="sales.orders", description="", owners=["owner@bench.example"],
            maintainers=[], dialect="postgres", schema=V1, notice_period="P14D", sunset_period="P30D",
            require_distinct_approver=False, sql=None, limits=Limits(), now=now,
        )  # fmt: skip
        for i in range(subscribers):
            consumer, _ = create_token(session, email=f"consumer{i}@bench.example", now=now)
            columns = [f"c{i % COLUMNS}", "c0"] if i % 3 else None
            subscribe(
                session, actor=consumer, product="sales.orders", columns=columns, sql=None,
                version=None, channels=None, all_changes=False, limits=Limits(), now=now,
            )  # fmt: skip
    db.dispose()
    return admin, owner


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _measure(call: Callable[[], httpx.Response], n: int, expect: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = call()
        times.append(time.perf_counter() - start)
        if response.status_code != expect:
            raise RuntimeError(f"unexpected {response.status_code}: {response.text[:300]}")
    return times


def _line(name: str, times: list[float], floor: float | None) -> str:
    ordered = sorted(times)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    rps = len(times) / sum(times)
    ratio = f"  ({p50 / floor:.1f}x floor p50)" if floor else ""
    return f"{name:44} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  {rps:7.1f} req/s{ratio}"


def run(quick: bool = False) -> list[str]:
    """Start uvicorn on loopback, seed a product, time the routes; on SQLite, and on PostgreSQL
    too when STEWARD_TEST_POSTGRES_URL names a server (a scratch database is made and dropped)."""
    subscribers = 100 if quick else 1000
    n_read, n_propose = (100, 10) if quick else (1000, 60)
    lines = [f"one uvicorn worker on 127.0.0.1, sequential httpx client; {COLUMNS} columns"]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        lines += _serve_and_drive("SQLite (WAL)", url, subscribers, n_read, n_propose)
    postgres = os.environ.get("STEWARD_TEST_POSTGRES_URL")
    if postgres:
        with _scratch_postgres(postgres) as url:
            lines += _serve_and_drive("PostgreSQL", url, subscribers, n_read, n_propose)
    return lines


@contextmanager
def _scratch_postgres(url: str) -> Iterator[str]:
    name = f"steward_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _serve_and_drive(
    store: str, url: str, subscribers: int, n_read: int, n_propose: int
) -> list[str]:
    _admin, owner = _seed(url, subscribers)
    port = _free_port()
    env = {**os.environ, "STEWARD_DATABASE_URL": url, "STEWARD_SCHEDULER": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "service.api.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    try:
        lines = _drive(f"http://127.0.0.1:{port}", owner, subscribers, n_read, n_propose)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return [f"-- {store}", *lines]


def _drive(base: str, owner: str, subscribers: int, n_read: int, n_propose: int) -> list[str]:
    headers = {"Authorization": f"Bearer {owner}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for _ in range(200):
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        _measure(lambda: client.get("/products/sales.orders"), 20, 200)  # warm up
        floor = _measure(lambda: client.get("/health"), n_read, 200)
        read = _measure(lambda: client.get("/products/sales.orders"), n_read, 200)
        proposals: list[float] = []
        body = {"schema": V2, "summary": "drop c1"}
        impact = 0
        for _ in range(n_propose):
            start = time.perf_counter()
            response = client.post("/products/sales.orders/change-requests", json=body)
            proposals.append(time.perf_counter() - start)
            if response.status_code != 201:
                raise RuntimeError(response.text[:300])
            impact = len(response.json()["impact"]["subscriptions"])
            client.post(f"/change-requests/{response.json()['id']}/withdraw")
    floor_p50 = statistics.median(floor) * 1000
    return [
        _line("floor: GET /health", floor, None),
        _line("GET /products/{name}", read, floor_p50),
        _line(
            f"POST change-requests ({subscribers} subscribers, {impact} hit)", proposals, floor_p50
        ),
    ]
