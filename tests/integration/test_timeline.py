"""The whole timeline through the API: propose, approve, notices, release, sunset (PT3S)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from notifications.webhook import TargetPolicy, verify_signature
from service.api import create_app
from service.scheduler import NoticeScheduler
from service.settings import Settings
from service.usecases.auth import create_token

from .notifications.conftest import RecordingHandler, WebhookReceiver, free_port
from .notifications.conftest import webhook_receiver as webhook_receiver  # a fixture

OLD = "CREATE TABLE sales.orders (id INT NOT NULL, amount DECIMAL(12,2), customer_ref VARCHAR(40))"
NEW = "CREATE TABLE sales.orders (id INT NOT NULL, customer_ref VARCHAR(40))"


@dataclass
class World:
    """A running API on SQLite, its tokens, and the scheduler's settings."""

    client: TestClient
    tokens: dict[str, str]
    scheduler: NoticeScheduler

    def call(self, who: str, method: str, url: str, **kwargs: Any) -> Any:
        response = self.client.request(
            method, url, headers={"Authorization": f"Bearer {self.tokens[who]}"}, **kwargs
        )
        assert response.status_code < 300, response.text
        return response

    def tick_until(self, done: Callable[[], bool], limit: float = 60.0) -> None:
        """Run scheduler ticks until `done()` (a bound, not a timed assertion)."""
        deadline = time.monotonic() + limit
        while not done():
            assert time.monotonic() < deadline, "the timeline did not complete"
            asyncio.run(self.scheduler.tick())
            time.sleep(0.2)

    def notices(self, cr_id: int) -> list[dict[str, Any]]:
        return list(self.call("owner", "GET", f"/change-requests/{cr_id}/notices").json())


@contextmanager
def make_world(tmp_path: Path, smtp_port: int) -> Iterator[World]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'steward.db'}",
        scheduler=False,
        webhook_allowed_hosts=("127.0.0.1",),  # the test's receiver listens on loopback
    )
    app = create_app(settings)
    db = app.state.steward.db
    tokens = {}
    with db.writing() as session:
        for who, admin in (("admin", True), ("owner", False), ("ana", False)):
            _, tokens[who] = create_token(
                session, email=f"{who}@example.com", admin=admin, now=datetime.now(UTC)
            )
    config = Settings(
        smtp_port=smtp_port, smtp_timeout=5.0, retry_base_seconds=0.5, retry_cap_seconds=1.0
    )
    with TestClient(app) as client:
        policy = TargetPolicy(settings.webhook_allowed_hosts)
        yield World(client, tokens, NoticeScheduler(db, config, webhook_policy=policy))


def start_breaking_change(world: World) -> int:
    """Register sales.orders (PT3S periods), subscribe ana to `amount`, propose and approve a drop."""
    world.call(
        "admin",
        "POST",
        "/products",
        json={
            "name": "sales.orders",
            "owners": ["owner@example.com"],
            "dialect": "postgres",
            "schema": OLD,
            "notice_period": "PT3S",
            "sunset_period": "PT3S",
        },
    )
    world.call(
        "ana",
        "POST",
        "/products/sales.orders/subscriptions",
        json={"columns": ["sales.orders.amount"]},
    )
    cr = world.call(
        "owner",
        "POST",
        "/products/sales.orders/change-requests",
        json={"schema": NEW, "summary": "amount moves to sales.payments"},
    ).json()
    assert cr["breaking"] is True
    world.call("owner", "POST", f"/change-requests/{cr['id']}/approve")
    return int(cr["id"])


@pytest.fixture
def smtp() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _at(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text)


def test_a_breaking_change_runs_its_whole_timeline_through_the_api(
    tmp_path: Path, smtp: tuple[RecordingHandler, int]
) -> None:
    handler, port = smtp
    with make_world(tmp_path, port) as world:
        cr_id = start_breaking_change(world)

        def sunset_sent() -> bool:
            return any(
                n["kind"] == "sunset" and n["state"] == "delivered" for n in world.notices(cr_id)
            )

        world.tick_until(sunset_sent)

        notices = world.notices(cr_id)
        to_ana = [n for n in notices if n["recipient"] == "ana@example.com"]
        assert [n["kind"] for n in to_ana] == ["proposed", "deprecation", "migration", "sunset"]
        assert all(n["state"] == "delivered" for n in notices)
        subjects = [str(m["Subject"]) for m in handler.accepted if m["To"] == "ana@example.com"]
        assert len(subjects) == 4 and "deprecated" in subjects[1] and "retired" in subjects[3]
        deprecation_email = handler.accepted[
            [m["To"] for m in handler.accepted].index("ana@example.com") + 1
        ]
        body = deprecation_email.get_body(("plain",)).get_content()
        assert "sales.orders.amount" in body and "2.0.0" in body

        cr = world.call("owner", "GET", f"/change-requests/{cr_id}").json()
        delivered = _at(next(n for n in to_ana if n["kind"] == "deprecation")["delivered_at"])
        assert cr["state"] == "released"
        assert (_at(cr["released_at"]) - delivered).total_seconds() >= 3

        old = world.client.get(
            "/products/sales.orders/versions/1.0.0",
            headers={"Authorization": f"Bearer {world.tokens['ana']}"},
        )
        assert old.status_code == 410  # after its sunset the old version is gone
        assert (
            old.json()["error"]["details"]["successor"] == "/products/sales.orders/versions/2.0.0"
        )
        assert old.headers["Deprecation"].startswith("@")
        sunset = parsedate_to_datetime(old.headers["Sunset"])
        assert (sunset - _at(cr["released_at"])).total_seconds() >= 2  # HTTP-date drops fractions
        assert (
            old.headers["Link"]
            == '</products/sales.orders/versions/2.0.0>; rel="successor-version"'
        )
        current = world.call("ana", "GET", "/products/sales.orders/versions/2.0.0")
        assert "Deprecation" not in current.headers


def test_while_smtp_is_down_the_effective_date_waits_for_the_delivery(tmp_path: Path) -> None:
    port = free_port()
    with make_world(tmp_path, port) as world:
        cr_id = start_breaking_change(world)
        for _ in range(3):  # SMTP down: nothing is delivered, so no clock starts
            asyncio.run(world.scheduler.tick())
        notices = world.notices(cr_id)
        assert {n["state"] for n in notices} == {"pending"}
        assert all(n["attempts"] >= 1 and n["last_error"] for n in notices)
        cr = world.call("owner", "GET", f"/change-requests/{cr_id}").json()
        assert cr["state"] == "scheduled" and cr["earliest_effective_at"] is None
        server_up_at = datetime.now(UTC)

        handler = RecordingHandler()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            world.tick_until(
                lambda: (
                    world.call("owner", "GET", f"/change-requests/{cr_id}").json()["state"]
                    == "released"
                )
            )
        finally:
            controller.stop()
        deprecation = next(n for n in world.notices(cr_id) if n["kind"] == "deprecation")
        cr = world.call("owner", "GET", f"/change-requests/{cr_id}").json()
        assert _at(deprecation["delivered_at"]) >= server_up_at
        assert (_at(cr["released_at"]) - _at(deprecation["delivered_at"])).total_seconds() >= 3


def test_a_permanent_smtp_failure_is_visible_and_the_owner_is_told(
    tmp_path: Path, smtp: tuple[RecordingHandler, int]
) -> None:
    handler, port = smtp
    handler.reject = {"ana@example.com"}
    with make_world(tmp_path, port) as world:
        cr_id = start_breaking_change(world)
        world.tick_until(
            lambda: any(
                n["kind"] == "delivery_failed" and n["state"] == "delivered"
                for n in world.notices(cr_id)
            )
        )
        failed = [n for n in world.notices(cr_id) if n["state"] == "failed"]
        assert failed and all(n["recipient"] == "ana@example.com" for n in failed)
        assert "5.1.1 no such user" in failed[0]["last_error"]
        to_owner = [m for m in handler.accepted if m["To"] == "owner@example.com"]
        body = to_owner[-1].get_body(("plain",)).get_content()
        assert "ana@example.com" in body and "no such user" in body
        cr = world.call("owner", "GET", f"/change-requests/{cr_id}").json()
        assert cr["state"] == "scheduled" and cr["earliest_effective_at"] is None


def test_the_api_process_runs_the_scheduler_in_process(
    tmp_path: Path, smtp: tuple[RecordingHandler, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = smtp
    monkeypatch.setenv("STEWARD_SMTP_PORT", str(port))
    monkeypatch.setenv("STEWARD_TICK_SECONDS", "0.2")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'steward.db'}", scheduler=True)
    app = create_app(settings)
    with app.state.steward.db.writing() as session:
        _, admin = create_token(
            session, email="admin@example.com", admin=True, now=datetime.now(UTC)
        )
        _, ana = create_token(session, email="ana@example.com", now=datetime.now(UTC))
    with TestClient(app) as client:
        for token, path, body in (
            (
                admin,
                "/products",
                {
                    "name": "p",
                    "owners": ["admin@example.com"],
                    "dialect": "postgres",
                    "schema": OLD,
                },
            ),
            (ana, "/products/p/subscriptions", {}),
            (admin, "/products/p/change-requests", {"schema": NEW, "summary": "drop amount"}),
        ):
            response = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 201, response.text
        deadline = time.monotonic() + 30
        while not handler.accepted:
            assert time.monotonic() < deadline, "the in-process scheduler sent nothing"
            time.sleep(0.1)
    assert handler.accepted[0]["To"] == "ana@example.com"
    assert "change proposed" in str(handler.accepted[0]["Subject"])


def test_a_webhook_subscriber_gets_signed_notices_from_the_scheduler(
    tmp_path: Path, smtp: tuple[RecordingHandler, int], webhook_receiver: WebhookReceiver
) -> None:
    _, port = smtp
    with make_world(tmp_path, port) as world:
        world.call(
            "admin",
            "POST",
            "/products",
            json={
                "name": "p",
                "owners": ["owner@example.com"],
                "dialect": "postgres",
                "schema": OLD,
            },
        )
        world.call(
            "ana",
            "POST",
            "/products/p/subscriptions",
            json={"columns": ["sales.orders.amount"], "channels": [webhook_receiver.url]},
        )
        cr = world.call(
            "owner", "POST", "/products/p/change-requests", json={"schema": NEW, "summary": "s"}
        ).json()
        world.tick_until(lambda: bool(webhook_receiver.received))
        (request,) = webhook_receiver.received
        secret = world.scheduler.config.webhook_secret
        assert verify_signature(secret, request.body, request.headers["X-Steward-Signature"])
        body = request.json()
        assert (body["kind"], body["product"], body["touched"]) == (
            "proposed",
            "p",
            ["sales.orders.amount"],
        )
        (notice,) = world.notices(cr["id"])
        assert notice["state"] == "delivered"
        assert request.headers["Idempotency-Key"] == notice["message_id"]
