"""`steward scheduler` as real processes: killed mid-dispatch, and two of them on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from service.settings import Settings
from service.store.db import Database
from service.store.tables import NoticeRow
from service.usecases.auth import create_token
from service.usecases.changes import propose
from service.usecases.common import Limits
from service.usecases.products import register_product
from service.usecases.subscriptions import subscribe

from .conftest import TEMPLATE, _admin_url
from .notifications.conftest import RecordingHandler, free_port

CONSUMERS = 30
OLD = "CREATE TABLE sales.orders (id INT NOT NULL, amount DECIMAL(12,2))"
NEW = "CREATE TABLE sales.orders (id INT NOT NULL)"


def seed(url: str) -> list[str]:
    """A product, CONSUMERS subscribers and a proposal: as many notices in the outbox."""
    db = Database(Settings(database_url=url))
    db.migrate()
    now = datetime.now(UTC)
    limits = Limits()
    with db.writing() as session:
        admin, _ = create_token(session, email="admin@example.com", admin=True, now=now)
        owner, _ = create_token(session, email="owner@example.com", now=now)
        register_product(
            session,
            actor=admin,
            name="sales.orders",
            description="",
            owners=["owner@example.com"],
            maintainers=[],
            dialect="postgres",
            schema=OLD,
            notice_period="P14D",
            sunset_period="P30D",
            require_distinct_approver=False,
            sql=None,
            limits=limits,
            now=now,
        )
        for i in range(CONSUMERS):
            reader, _ = create_token(session, email=f"reader{i}@example.com", now=now)
            subscribe(
                session,
                actor=reader,
                product="sales.orders",
                columns=None,
                sql=None,
                version=None,
                channels=None,
                all_changes=False,
                limits=limits,
                now=now,
            )
    with db.writing() as session:
        propose(
            session,
            actor=owner,
            product="sales.orders",
            schema=NEW,
            renames=None,
            summary="drop amount",
            limits=limits,
            now=now,
        )
    with db.reading() as session:
        ids = list(session.scalars(select(NoticeRow.message_id)))
    db.dispose()
    assert len(ids) == CONSUMERS
    return ids


def states(url: str) -> dict[str, int]:
    db = Database(Settings(database_url=url))
    with db.reading() as session:
        rows = session.scalars(select(NoticeRow.state)).all()
    db.dispose()
    return {s: rows.count(s) for s in set(rows)}


def scheduler_process(url: str, smtp_port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "STEWARD_DATABASE_URL": url,
        "STEWARD_SMTP_PORT": str(smtp_port),
        "STEWARD_TICK_SECONDS": "0.3",
        "STEWARD_SCHEDULER_LEASE_SECONDS": "2",
        "STEWARD_NOTICE_LEASE_SECONDS": "3",
        "STEWARD_BATCH_SIZE": "5",
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from service.cli import main; main()", "scheduler"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_for(condition: Callable[[], bool], limit: float = 90.0) -> None:
    """Poll until `condition()` holds (a bound on waiting, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


@pytest.fixture
def slow_smtp() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler(delay=0.1)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def test_a_scheduler_killed_mid_dispatch_loses_nothing_after_a_restart(
    tmp_path: Path, slow_smtp: tuple[RecordingHandler, int]
) -> None:
    handler, port = slow_smtp
    url = f"sqlite:///{tmp_path / 'steward.db'}"
    message_ids = seed(url)
    first = scheduler_process(url, port, tmp_path / "first.log")
    try:
        wait_for(lambda: len(handler.accepted) >= 7)
    finally:
        first.kill()  # SIGKILL: no clean-up, claimed rows keep their lease
        first.wait(timeout=30)
    at_kill = states(url)
    assert at_kill.get("delivered", 0) < CONSUMERS

    second = scheduler_process(url, port, tmp_path / "second.log")
    try:
        wait_for(lambda: states(url) == {"delivered": CONSUMERS})
    finally:
        stop(second)
    sent = handler.accepted_ids()
    assert set(sent) == set(message_ids)
    duplicates = len(sent) - len(set(sent))
    assert duplicates <= at_kill.get("sending", 0)  # only what was in flight at the kill


@pytest.fixture
def postgres_database(postgres_template: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (migrated by seed())."""
    name = f"steward_sched_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_admin_url(postgres_template), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    yield make_url(postgres_template).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.mark.postgres
def test_two_schedulers_on_postgresql_never_send_a_notice_twice(
    tmp_path: Path, postgres_database: str, slow_smtp: tuple[RecordingHandler, int]
) -> None:
    handler, port = slow_smtp
    message_ids = seed(postgres_database)
    processes = [
        scheduler_process(postgres_database, port, tmp_path / f"scheduler{i}.log") for i in range(2)
    ]
    try:
        wait_for(lambda: states(postgres_database) == {"delivered": CONSUMERS})
    finally:
        for process in processes:
            stop(process)
    sent = handler.accepted_ids()
    assert sorted(sent) == sorted(message_ids)
    assert all(p.returncode == 0 for p in processes)
