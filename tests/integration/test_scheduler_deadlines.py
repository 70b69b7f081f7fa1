"""The scheduler's deadlines on a hand-moved clock: reminders, release, sunset (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from service.scheduler import NoticeScheduler
from service.settings import Settings

from .conftest import ORDERS_BREAKING, Clock, Org


def test_reminders_come_seven_and_one_days_before_each_deadline(
    app: FastAPI, org: Org, clock: Clock, smtp_port: int
) -> None:
    org.register(notice_period="P14D", sunset_period="P30D")
    subscribed = org.post(
        "consumer", "/products/sales.orders/subscriptions", {"columns": ["shop.orders.amount"]}
    )
    assert subscribed.status_code == 201, subscribed.text
    cr_id = org.propose(ORDERS_BREAKING).json()["id"]
    assert org.post("owner", f"/change-requests/{cr_id}/approve").status_code == 200
    worker = NoticeScheduler(app.state.steward.db, Settings(smtp_port=smtp_port), clock=clock)

    def step(**advance: float) -> list[str]:
        clock.advance(**advance)
        asyncio.run(worker.tick())
        notices = org.get("owner", f"/change-requests/{cr_id}/notices").json()
        assert all(n["state"] == "delivered" for n in notices), notices
        return [n["kind"] for n in notices if n["recipient"] == "consumer@example.com"]

    assert step(seconds=0) == ["proposed", "deprecation"]
    assert step(days=6, hours=23) == ["proposed", "deprecation"]
    assert step(hours=1, seconds=1).count("reminder") == 1  # 7 days before effective_at
    assert step(days=5, hours=23).count("reminder") == 1
    assert step(hours=1).count("reminder") == 2  # 1 day before
    assert org.get("owner", f"/change-requests/{cr_id}").json()["state"] == "scheduled"
    kinds = step(days=1)
    assert kinds[-1] == "migration"
    assert org.get("owner", f"/change-requests/{cr_id}").json()["state"] == "released"
    assert step(days=22, hours=23).count("reminder") == 2
    assert step(hours=1, seconds=1).count("reminder") == 3  # 7 days before sunset_at
    assert step(days=6).count("reminder") == 4
    assert "sunset" not in step(hours=23)
    kinds = step(days=1)
    assert kinds[-1] == "sunset" and kinds.count("sunset") == 1
    assert step(days=30) == kinds  # nothing more, ever
