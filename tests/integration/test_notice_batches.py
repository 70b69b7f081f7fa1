"""Notices to many recipients: one batch row in the operation's transaction, its outbox rows
written after the answer (or, when the process stopped first, by a read of the notices and
by the scheduler), once, with the Message-IDs a direct write gives (SQLite, PostgreSQL).

BATCH_FROM is lowered to 2 here so that two subscribers make a batch."""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import pytest
from alembic import command
from fastapi import FastAPI
from sqlalchemy import inspect, select

from service.api import fan_out
from service.scheduler import NoticeScheduler
from service.settings import Settings
from service.store import outbox
from service.store.db import Database, alembic_config
from service.store.tables import NoticeBatchRow, NoticeRow
from service.usecases import notices
from tests.integration.conftest import ORDERS_BREAKING, Clock, Org

CONSUMERS = ["consumer2@example.com", "consumer@example.com"]


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notices, "BATCH_FROM", 2)


@pytest.fixture
def no_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API process stops after its commit, before writing the batch out."""
    monkeypatch.setattr(fan_out, "expand_pending", lambda db, cr_id=None: 0)


def _tick(app: FastAPI, clock: Clock, smtp_port: int) -> None:
    """One tick of a scheduler on the app's database, mailing to the test's SMTP sink."""
    worker = NoticeScheduler(app.state.steward.db, Settings(smtp_port=smtp_port), clock=clock)
    asyncio.run(worker.tick())


def _subscribed(org: Org) -> None:
    org.register()
    for who in ("consumer", "consumer2"):
        response = org.post(who, "/products/sales.orders/subscriptions", {"columns": ["amount"]})
        assert response.status_code == 201, response.text


def _rows(app: FastAPI, cr_id: int, kind: str) -> list[NoticeRow]:
    with app.state.steward.db.reading() as session:
        found = session.scalars(
            select(NoticeRow)
            .where(NoticeRow.change_request_id == cr_id, NoticeRow.kind == kind)
            .order_by(NoticeRow.id)
        ).all()
        session.expunge_all()
    return list(found)


def _batches(app: FastAPI) -> int:
    with app.state.steward.db.reading() as session:
        return len(session.scalars(select(NoticeBatchRow.id)).all())


def test_a_batch_is_written_out_after_the_answer_as_a_direct_write_would_be(
    app: FastAPI, org: Org, clock: Clock
) -> None:
    _subscribed(org)
    cr = org.propose(ORDERS_BREAKING).json()
    assert _batches(app) == 0  # written out once the answer had gone
    rows = _rows(app, cr["id"], "proposed")
    assert sorted(r.recipient for r in rows) == CONSUMERS
    numbers = []
    for row in rows:
        found = re.fullmatch(
            rf"<([0-9a-f]{{32}})\.(\d+)\.cr{cr['id']}\.proposed@steward>", row.message_id
        )
        assert found, row.message_id
        numbers.append(int(found.group(2)))
        assert row.state == "pending" and row.attempts == 0
        assert row.due_at == row.next_attempt_at == row.created_at == clock()
        assert row.recipient_id is not None
    assert sorted(numbers) == [0, 1]
    assert len({r.message_id.split(".")[0] for r in rows}) == 1  # one batch


def test_a_batch_left_by_a_stopped_process_is_written_out_by_reading_the_notices(
    app: FastAPI, org: Org, no_writer: None
) -> None:
    _subscribed(org)
    cr = org.propose(ORDERS_BREAKING).json()
    assert _batches(app) == 1 and _rows(app, cr["id"], "proposed") == []
    for who in ("consumer", "owner"):  # each sees what they may, at once
        shown = org.get(who, f"/change-requests/{cr['id']}/notices").json()
        assert [n["kind"] for n in shown].count("proposed") == (1 if who == "consumer" else 2)
    assert _batches(app) == 0
    assert len(_rows(app, cr["id"], "proposed")) == 2


def test_the_scheduler_writes_a_left_batch_out_and_delivers_it(
    app: FastAPI,
    org: Org,
    clock: Clock,
    smtp_port: int,
    no_writer: None,
) -> None:
    _subscribed(org)
    cr = org.propose(ORDERS_BREAKING).json()
    assert _batches(app) == 1
    _tick(app, clock, smtp_port)
    rows = _rows(app, cr["id"], "proposed")
    assert sorted(r.recipient for r in rows) == CONSUMERS
    assert all(r.state == "delivered" for r in rows), [r.state for r in rows]
    assert _batches(app) == 0


def test_a_deprecation_batch_not_written_out_is_not_a_delivered_notice(
    app: FastAPI,
    org: Org,
    clock: Clock,
    smtp_port: int,
    no_writer: None,
) -> None:
    """With no notice rows yet, the notice period must not count from the approval."""
    _subscribed(org)
    cr_id = org.propose(ORDERS_BREAKING).json()["id"]
    assert org.post("owner", f"/change-requests/{cr_id}/approve").status_code == 200
    assert _rows(app, cr_id, "deprecation") == []
    shown = org.get("owner", f"/change-requests/{cr_id}").json()
    assert shown["state"] == "scheduled" and shown["earliest_effective_at"] is None
    _tick(app, clock, smtp_port)  # written out and delivered: the period counts from now
    shown = org.get("owner", f"/change-requests/{cr_id}").json()
    assert shown["earliest_effective_at"] is not None
    assert shown["earliest_effective_at"].startswith("2026-03-16")  # clock + 14 days


def test_two_writers_at_once_write_a_batch_out_once(
    app: FastAPI, org: Org, database_url: str, no_writer: None
) -> None:
    _subscribed(org)
    cr = org.propose(ORDERS_BREAKING).json()
    assert _batches(app) == 1
    databases = [Database(Settings(database_url=database_url)) for _ in range(2)]
    start = threading.Barrier(2)
    results: list[Any] = []

    def write_out(db: Database) -> None:
        start.wait()
        try:
            results.append(outbox.expand_pending(db))
        except Exception as exc:  # recorded, asserted below
            results.append(exc)

    threads = [threading.Thread(target=write_out, args=(db,)) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for db in databases:
        db.dispose()
    assert sorted(results) == [0, 1], results  # one wrote it out, the other found nothing
    assert len(_rows(app, cr["id"], "proposed")) == 2


def test_migrating_down_writes_every_batch_out_first(
    app: FastAPI, org: Org, no_writer: None
) -> None:
    _subscribed(org)
    cr = org.propose(ORDERS_BREAKING).json()
    assert _batches(app) == 1
    db = app.state.steward.db
    command.downgrade(alembic_config(db.engine), "0010")
    try:
        assert "notice_batches" not in inspect(db.engine).get_table_names()
        assert len(_rows(app, cr["id"], "proposed")) == 2
    finally:
        command.upgrade(alembic_config(db.engine), "head")
