"""Per-product reminders: the API field, the scheduler's use of it, migration 0003 (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from fastapi import FastAPI
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from service.scheduler import NoticeScheduler
from service.settings import Settings
from service.store import outbox
from service.store.db import Database, alembic_config
from service.store.outbox import ScheduleMarkRow
from service.store.tables import ProductRow

from .conftest import ORDERS_BREAKING, Clock, Org


def test_a_product_reminds_seven_and_one_day_ahead_unless_told_otherwise(org: Org) -> None:
    assert org.register()["reminders"] == ["P7D", "P1D"]
    assert org.get("consumer", "/products/sales.orders").json()["reminders"] == ["P7D", "P1D"]
    org.register(name="sales.returns", reminders=["P2D", "PT1H"])
    assert org.get("consumer", "/products/sales.returns").json()["reminders"] == ["P2D", "PT1H"]
    listed = {p["name"]: p["reminders"] for p in org.get("consumer", "/products").json()}
    assert listed == {"sales.orders": ["P7D", "P1D"], "sales.returns": ["P2D", "PT1H"]}
    audit = org.get("admin", "/audit?product=sales.returns").json()
    assert audit[0]["after"]["reminders"] == ["P2D", "PT1H"]


def test_a_product_may_send_no_reminders_at_all(org: Org) -> None:
    assert org.register(reminders=[])["reminders"] == []


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_custom_reminders_fire_at_their_offsets_and_the_default_ones_do_not(
    app: FastAPI,
    org: Org,
    clock: Clock,
    smtp_port: int,
) -> None:
    org.register(notice_period="P14D", sunset_period="P30D", reminders=["P2D", "PT1H"])
    subscribed = org.post(
        "consumer", "/products/sales.orders/subscriptions", {"columns": ["shop.orders.amount"]}
    )
    assert subscribed.status_code == 201, subscribed.text
    cr_id = org.propose(ORDERS_BREAKING).json()["id"]
    assert org.post("owner", f"/change-requests/{cr_id}/approve").status_code == 200
    worker = NoticeScheduler(app.state.steward.db, Settings(smtp_port=smtp_port), clock=clock)

    def reminders_at(moment: datetime) -> int:
        clock.now = moment
        asyncio.run(worker.tick())
        notices = org.get("owner", f"/change-requests/{cr_id}/notices").json()
        assert all(n["state"] == "delivered" for n in notices), notices
        mine = [n["kind"] for n in notices if n["recipient"] == "consumer@example.com"]
        return mine.count("reminder")

    assert reminders_at(clock.now) == 0
    cr = org.get("owner", f"/change-requests/{cr_id}").json()
    effective = _at(cr["earliest_effective_at"])
    second = timedelta(seconds=1)
    assert reminders_at(effective - timedelta(days=7) + second) == 0  # P7D is not configured
    assert reminders_at(effective - timedelta(days=2) - second) == 0
    assert reminders_at(effective - timedelta(days=2)) == 1
    assert reminders_at(effective - timedelta(days=1) + second) == 1  # nor is P1D
    assert reminders_at(effective - timedelta(hours=1) - second) == 1
    assert reminders_at(effective - timedelta(hours=1)) == 2
    assert reminders_at(effective) == 2
    assert org.get("owner", f"/change-requests/{cr_id}").json()["state"] == "released"
    versions = org.get("consumer", "/products/sales.orders/versions").json()
    sunset = _at(versions[0]["sunset_at"])
    assert reminders_at(sunset - timedelta(days=7) + second) == 2
    assert reminders_at(sunset - timedelta(days=2)) == 3
    assert reminders_at(sunset - timedelta(days=1) + second) == 3
    assert reminders_at(sunset - timedelta(hours=1)) == 4
    assert reminders_at(sunset + timedelta(days=30)) == 4
    with app.state.steward.db.reading() as session:
        events = set(session.scalars(select(ScheduleMarkRow.event)))
    assert events == {
        "reminder-2d", "reminder-3600s", "release",
        "sunset-reminder-2d", "sunset-reminder-3600s", "sunset",
    }  # fmt: skip


def test_reminder_marks_written_before_reminders_were_configurable_still_count(
    app: FastAPI,
    org: Org,
    clock: Clock,
    smtp_port: int,
) -> None:
    org.register(notice_period="P14D")
    assert (
        org.post(
            "consumer", "/products/sales.orders/subscriptions", {"columns": ["shop.orders.amount"]}
        ).status_code
        == 201
    )
    cr_id = org.propose(ORDERS_BREAKING).json()["id"]
    assert org.post("owner", f"/change-requests/{cr_id}/approve").status_code == 200
    worker = NoticeScheduler(app.state.steward.db, Settings(smtp_port=smtp_port), clock=clock)
    asyncio.run(worker.tick())
    effective = _at(org.get("owner", f"/change-requests/{cr_id}").json()["earliest_effective_at"])
    with app.state.steward.db.writing() as session:  # what the fixed 7d/1d scheduler wrote
        outbox.add_mark(session, cr_id, "reminder-7d", effective - timedelta(days=7))
        outbox.add_mark(session, cr_id, "reminder-1d", effective - timedelta(days=1))
    clock.now = effective - timedelta(hours=2)
    asyncio.run(worker.tick())
    notices = org.get("owner", f"/change-requests/{cr_id}/notices").json()
    assert [n["kind"] for n in notices if n["kind"] == "reminder"] == []


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) of the same kind as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"steward_old_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_migration_0003_gives_existing_products_the_default_reminders(empty_url: str) -> None:
    db = Database(Settings(database_url=empty_url))
    command.upgrade(alembic_config(db.engine), "0002")
    insert = text(
        "INSERT INTO products (name, description, dialect, notice_period, sunset_period,"
        " require_distinct_approver, created_at)"
        " VALUES (:name, '', 'postgres', 'P14D', 'P30D', false, CURRENT_TIMESTAMP)"
    )
    with db.engine.begin() as conn:
        conn.execute(insert, {"name": "sales.orders"})
    db.migrate()
    with db.engine.begin() as conn:  # a writer that does not know the column yet
        conn.execute(insert, {"name": "sales.returns"})
    with db.reading() as session:
        found = {r.name: r.reminders for r in session.scalars(select(ProductRow))}
    assert found == {"sales.orders": ["P7D", "P1D"], "sales.returns": ["P7D", "P1D"]}
    command.downgrade(alembic_config(db.engine), "0002")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM products")).scalar() == 2
    db.dispose()
