"""The HTTP API on one uvicorn process over loopback, on SQLite and on PostgreSQL.

Two rows of the table in docs/benchmarks.md:

- `GET /products/{name}` throughput (wrk, 4 connections, keep-alive) against the floor: a
  bare FastAPI app (benchmarks/bare_app.py) answering the same JSON from memory, served
  the same way (uvicorn, one process, no access log) in the same run, alternating. Goal:
  at least 0.5x the floor's requests/second.
- `POST /products/{name}/change-requests` on a product with 1,000 subscribers (diff,
  impact over every subscription, outbox rows, one transaction), sequential, each
  withdrawn (untimed) before the next. Goal: p99 at most 100 ms.

Steward is started as `steward serve` is (STEWARD_SCHEDULER=false). Without wrk on the
PATH a sequential httpx client measures the throughput instead (1 / mean latency).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
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


THROUGHPUT_GOAL = 0.5
P99_GOAL_MS = 100.0
STEWARD = "import sys; from service.cli import main; sys.argv[0] = 'steward'; main()"


def _percentile(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


@contextmanager
def _server(args: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=5) as client:
            for _ in range(600):
                try:
                    if client.get("/docs").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _rate(url: str, token: str | None, seconds: float) -> float:
    """Requests per second on `url` (wrk: 4 connections, 1 thread; else one httpx client)."""
    header = ["-H", f"Authorization: Bearer {token}"] if token else []
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run(
            [wrk, "-t1", "-c4", f"-d{max(1, round(seconds))}s", *header, url],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        found = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if not found or "Non-2xx" in out:
            raise RuntimeError(f"wrk failed on {url}: {out}")
        return float(found.group(1))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    count, start = 0, time.perf_counter()
    with httpx.Client(headers=headers, timeout=30) as client:
        while time.perf_counter() - start < seconds:
            if client.get(url).status_code != 200:
                raise RuntimeError(f"GET {url} failed")
            count += 1
    return count / (time.perf_counter() - start)


def run(quick: bool = False) -> list[str]:
    """The two rows on SQLite, and on PostgreSQL too when STEWARD_TEST_POSTGRES_URL names a
    server (a scratch database is made and dropped)."""
    subscribers = 100 if quick else 1000
    n_propose = 10 if quick else 100
    seconds = 1.0 if quick else 3.0
    client = "wrk -t1 -c4" if shutil.which("wrk") else "a sequential httpx client (no wrk)"
    lines = [f"one uvicorn process each on 127.0.0.1; {client}; {COLUMNS} columns"]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        lines += _serve_and_drive("SQLite (WAL)", url, subscribers, n_propose, seconds)
    postgres = os.environ.get("STEWARD_TEST_POSTGRES_URL")
    if postgres:
        with _scratch_postgres(postgres) as url:
            lines += _serve_and_drive("PostgreSQL", url, subscribers, n_propose, seconds)
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
    store: str, url: str, subscribers: int, n_propose: int, seconds: float
) -> list[str]:
    _admin, owner = _seed(url, subscribers)
    env = {**os.environ, "STEWARD_DATABASE_URL": url, "STEWARD_SCHEDULER": "false"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    ours_port, bare_port = _free_port(), _free_port()
    steward = [sys.executable, "-c", STEWARD, "serve", "--port", str(ours_port)]
    bare = [sys.executable, "-m", "uvicorn", "--factory", "benchmarks.bare_app:create_app",
            "--host", "127.0.0.1", "--port", str(bare_port), "--no-access-log"]  # fmt: skip
    path = "/products/sales.orders"
    with _server(steward, env, ours_port) as ours, _server(bare, env, bare_port) as floor:
        _rate(floor + path, None, 1)  # warm both
        _rate(ours + path, owner, 1)
        pairs = []
        for _ in range(3):  # alternate, so background load hits both alike
            pairs.append((_rate(floor + path, None, seconds), _rate(ours + path, owner, seconds)))
        health = _rate(ours + "/health", None, seconds)
        proposals, impact = _propose(ours, owner, n_propose)
    ratios = sorted(o / f for f, o in pairs)
    ratio = ratios[len(ratios) // 2]
    best_floor, best_ours = max(f for f, _ in pairs), max(o for _, o in pairs)
    p50, p99 = statistics.median(proposals) * 1e3, _percentile(proposals, 0.99) * 1e3
    verdict = "ok" if ratio >= THROUGHPUT_GOAL else f"BELOW the {THROUGHPUT_GOAL}x goal"
    p99_verdict = "ok" if p99 <= P99_GOAL_MS else f"ABOVE the {P99_GOAL_MS:g} ms goal"
    return [
        f"-- {store}",
        f"GET /products/{{name}}: bare FastAPI floor {best_floor:7.0f} req/s  steward "
        f"{best_ours:7.0f} req/s  ratio {ratio:4.2f}x, median of 3 pairs ({verdict}); "
        f"steward GET /health {health:.0f} req/s",
        f"POST change-requests, {subscribers} subscribers ({impact} reached): p50 {p50:6.1f} ms"
        f"  p99 {p99:6.1f} ms over {len(proposals)} ({p99_verdict})",
    ]


def _propose(base: str, owner: str, n: int) -> tuple[list[float], int]:
    headers = {"Authorization": f"Bearer {owner}"}
    body = {"schema": V2, "summary": "drop c1"}
    times: list[float] = []
    impact = 0
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for i in range(n + 3):
            start = time.perf_counter()
            response = client.post("/products/sales.orders/change-requests", json=body)
            elapsed = time.perf_counter() - start
            if response.status_code != 201:
                raise RuntimeError(response.text[:300])
            if i >= 3:  # the first few warm caches (the current version's parse)
                times.append(elapsed)
            impact = len(response.json()["impact"]["subscriptions"])
            client.post(f"/change-requests/{response.json()['id']}/withdraw")
    return times, impact
