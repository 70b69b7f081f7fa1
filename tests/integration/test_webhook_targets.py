"""Webhooks reach an inside address only when the settings name it, are checked again when
sent, follow no redirect, and nobody reads a receiver's reply (a loopback receiver)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from notifications.webhook import TargetPolicy
from service.api import create_app
from service.scheduler import NoticeScheduler
from service.settings import Settings
from service.store.tables import NoticeRow

from .conftest import ORDERS_BREAKING, Clock, Org
from .notifications.conftest import WebhookReceiver
from .notifications.conftest import webhook_receiver as webhook_receiver  # a fixture


@pytest.fixture
def app(database_url: str, clock: Clock) -> Iterator[FastAPI]:
    """The API with loopback allowed as a webhook target (the receiver listens there)."""
    settings = Settings(
        database_url=database_url, scheduler=False, webhook_allowed_hosts=("127.0.0.1",)
    )
    application = create_app(settings, clock=clock)
    yield application
    application.state.steward.db.dispose()


def _subscribed_change(org: Org, url: str) -> int:
    org.register()
    response = org.post("consumer", "/products/sales.orders/subscriptions", {"channels": [url]})
    assert response.status_code == 201, response.text
    cr: int = org.propose(ORDERS_BREAKING).json()["id"]
    return cr


def _tick(app: FastAPI, smtp_port: int, clock: Clock, policy: TargetPolicy) -> None:
    worker = NoticeScheduler(
        app.state.steward.db,
        Settings(smtp_port=smtp_port, max_attempts=1),
        clock=clock,
        webhook_policy=policy,
    )
    asyncio.run(worker.tick())


def _hook_notice(org: Org, cr: int) -> dict[str, object]:
    (notice,) = [
        n
        for n in org.get("owner", f"/change-requests/{cr}/notices").json()
        if n["channel"] == "webhook"
    ]
    return notice


def test_an_allowed_loopback_receiver_gets_the_notice(
    app: FastAPI, org: Org, clock: Clock, smtp_port: int, webhook_receiver: WebhookReceiver
) -> None:
    cr = _subscribed_change(org, webhook_receiver.url)
    _tick(app, smtp_port, clock, TargetPolicy(("127.0.0.1",)))
    assert len(webhook_receiver.received) == 1
    assert _hook_notice(org, cr)["state"] == "delivered"


def test_the_target_is_checked_again_when_sending(
    app: FastAPI, org: Org, clock: Clock, smtp_port: int, webhook_receiver: WebhookReceiver
) -> None:
    cr = _subscribed_change(org, webhook_receiver.url)
    _tick(app, smtp_port, clock, TargetPolicy())  # a scheduler not told to allow loopback
    assert webhook_receiver.received == []
    notice = _hook_notice(org, cr)
    assert notice["state"] == "failed"
    assert "loopback" in str(notice["last_error"])


@pytest.mark.parametrize(("status", "state"), [(404, "failed"), (302, "failed"), (503, "failed")])
def test_the_receivers_reply_is_never_stored_or_shown(
    app: FastAPI,
    org: Org,
    clock: Clock,
    smtp_port: int,
    webhook_receiver: WebhookReceiver,
    status: int,
    state: str,
) -> None:
    cr = _subscribed_change(org, webhook_receiver.url)
    webhook_receiver.statuses.append(status)
    _tick(app, smtp_port, clock, TargetPolicy(("127.0.0.1",)))
    assert len(webhook_receiver.received) == 1  # a redirect is not followed
    notice = _hook_notice(org, cr)
    assert notice["state"] == state
    assert str(notice["last_error"]).startswith(str(status))
    for who in ("owner", "consumer", "admin"):
        text = org.get(who, f"/change-requests/{cr}/notices").text
        assert "receiver says no" not in text
    with app.state.steward.db.reading() as session:
        assert all("receiver says no" not in (n.last_error or "") for n in session.query(NoticeRow))
