"""Several replicas on one PostgreSQL: two `steward serve` and two `steward scheduler` processes.

The database is brought up by `steward db upgrade` once; every replica starts with
STEWARD_RUN_MIGRATIONS=false (the upgrade path of docs/deploying.md). Requests go to
either API process; notices leave through a real SMTP sink (aiosmtpd on loopback).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from service.settings import Settings
from service.store.db import Database
from service.store.tables import ChangeRequestRow, NoticeRow
from service.usecases.auth import create_token

from .conftest import ORDERS_BREAKING, ORDERS_V1
from .notifications.conftest import RecordingHandler, free_port
from .test_scheduler_processes import postgres_database, wait_for

pytestmark = pytest.mark.postgres
__all__ = ["postgres_database"]  # the fixture, re-exported for this module

STEWARD = "import sys; from service.cli import main; sys.argv[0] = 'steward'; main()"
PEOPLE = ("admin", "owner", "maintainer", "ana", "ben")


@dataclass
class Cluster:
    """Two API processes, two schedulers, an SMTP sink, and a token per person."""

    url: str
    smtp: RecordingHandler
    apis: list[str]
    processes: dict[str, subprocess.Popen[bytes]]
    tokens: dict[str, str]
    logs: Path
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def call(self, api: int, who: str, method: str, path: str, body: Any = None) -> httpx.Response:
        """One request to API process `api` as `who`."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        with httpx.Client(base_url=self.apis[api], timeout=60) as client:
            return client.request(method, path, json=body, headers=headers)

    def notice_ids(self) -> list[str]:
        """Message-IDs of every notice in the outbox."""
        db = Database(Settings(database_url=self.url))
        with db.reading() as session:
            ids = list(session.scalars(select(NoticeRow.message_id)))
        db.dispose()
        return ids

    def undelivered(self) -> int:
        """Notices not yet delivered."""
        db = Database(Settings(database_url=self.url))
        with db.reading() as session:
            count = session.scalar(
                select(func.count()).select_from(NoticeRow).where(NoticeRow.state != "delivered")
            )
        db.dispose()
        return int(count or 0)


def _env(url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "STEWARD_DATABASE_URL": url,
        "STEWARD_RUN_MIGRATIONS": "false",
        "STEWARD_SCHEDULER": "false",
        "STEWARD_SMTP_PORT": str(smtp_port),
        "STEWARD_TICK_SECONDS": "0.3",
        "STEWARD_SCHEDULER_LEASE_SECONDS": "2",
        "STEWARD_NOTICE_LEASE_SECONDS": "3",
        "STEWARD_BATCH_SIZE": "3",
        **extra,
    }
    env.pop("STEWARD_HOST", None)
    return env


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", STEWARD, *args],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def cluster(postgres_database: str, tmp_path: Path) -> Iterator[Cluster]:
    """The database upgraded once by `steward db upgrade`, then the four replicas started."""
    smtp = RecordingHandler(delay=0.05)
    smtp_port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = _env(postgres_database, smtp_port)
    upgrade = subprocess.run(
        [sys.executable, "-c", STEWARD, "db", "upgrade"], env=env, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stderr
    db = Database(Settings(database_url=postgres_database))
    tokens = {}
    with db.writing() as session:
        for who in PEOPLE:
            email = f"{who}@example.com"
            tokens[who] = create_token(
                session, email=email, admin=who == "admin", now=datetime.now(UTC)
            )[1]
    db.dispose()
    processes: dict[str, subprocess.Popen[bytes]] = {}
    apis = []
    try:
        for i in range(2):
            port = free_port()
            apis.append(f"http://127.0.0.1:{port}")
            processes[f"api{i}"] = _start(
                ["serve", "--port", str(port)], env, tmp_path / f"api{i}.log"
            )
            processes[f"scheduler{i}"] = _start(["scheduler"], env, tmp_path / f"scheduler{i}.log")
        wait_for(lambda: all(_ready(base) for base in apis))
        yield Cluster(postgres_database, smtp, apis, processes, tokens, tmp_path)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            process.wait(timeout=30)
        controller.stop()


def _register(c: Cluster, api: int = 0) -> None:
    body = {
        "name": "sales.orders",
        "owners": ["owner@example.com"],
        "maintainers": ["maintainer@example.com"],
        "dialect": "postgres",
        "schema": ORDERS_V1,
        "notice_period": "PT1S",
    }
    assert c.call(api, "admin", "POST", "/products", body).status_code == 201
    for i, who in enumerate(("ana", "ben")):
        sub = {"columns": ["amount"] if who == "ana" else None}
        assert (
            c.call(i, who, "POST", "/products/sales.orders/subscriptions", sub).status_code == 201
        )


def _together(calls: list[Callable[[], httpx.Response]]) -> list[int]:
    barrier = threading.Barrier(len(calls))
    statuses = [0] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        statuses[i] = calls[i]().status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(statuses)


def test_a_proposal_race_across_two_api_processes_gives_one_201_and_one_409(
    cluster: Cluster,
) -> None:
    _register(cluster)
    body = {"schema": ORDERS_BREAKING, "summary": "drop amount"}
    path = "/products/sales.orders/change-requests"
    for _ in range(3):
        statuses = _together(
            [
                lambda: cluster.call(0, "owner", "POST", path, body),
                lambda: cluster.call(1, "maintainer", "POST", path, body),
            ]
        )
        assert statuses == [201, 409]
        found = cluster.call(1, "owner", "GET", "/change-requests?state=proposed").json()
        assert len(found) == 1
        assert (
            cluster.call(
                0, "owner", "POST", f"/change-requests/{found[0]['id']}/reject"
            ).status_code
            == 200
        )


def test_lineage_posted_to_one_api_process_is_used_by_impact_on_the_other(
    cluster: Cluster,
) -> None:
    _register(cluster)
    first = cluster.call(1, "owner", "POST", "/products/sales.orders/change-requests",
                         {"schema": ORDERS_BREAKING, "summary": "before the view"}).json()  # fmt: skip
    assert "finance.big_orders" not in {r["name"] for r in first["impact"]["readers"]}
    cluster.call(1, "owner", "POST", f"/change-requests/{first['id']}/reject")
    view = {
        "name": "finance.big_orders",
        "sql": "CREATE VIEW finance.big_orders AS SELECT id FROM shop.orders WHERE amount > 100",
        "dialect": "postgres",
    }
    assert cluster.call(0, "admin", "POST", "/lineage/sql", view).status_code == 201
    second = cluster.call(1, "owner", "POST", "/products/sales.orders/change-requests",
                          {"schema": ORDERS_BREAKING, "summary": "after the view"}).json()  # fmt: skip
    assert "finance.big_orders" in {r["name"] for r in second["impact"]["readers"]}


def _released_and_sent(c: Cluster, cr_id: int) -> None:
    wait_for(
        lambda: c.call(1, "owner", "GET", f"/change-requests/{cr_id}").json()["state"] == "released"
    )
    wait_for(lambda: c.undelivered() == 0)


def test_two_schedulers_send_each_notice_once_and_a_killed_api_and_scheduler_lose_nothing(
    cluster: Cluster,
) -> None:
    _register(cluster)
    path = "/products/sales.orders/change-requests"
    cr = cluster.call(0, "owner", "POST", path, {"schema": ORDERS_BREAKING, "summary": "x"}).json()
    assert (
        cluster.call(1, "owner", "POST", f"/change-requests/{cr['id']}/approve").status_code == 200
    )
    _released_and_sent(cluster, cr["id"])
    sent = [str(m["Message-ID"]) for m in cluster.smtp.accepted]
    assert sorted(sent) == sorted(cluster.notice_ids())  # every notice, each exactly once
    kinds = {str(m["Subject"]).split(":")[0] for m in cluster.smtp.accepted}
    assert len(kinds) >= 3  # proposed, deprecation and migration notices

    # Now kill API 0 while it approves, and scheduler 0 while it sends.
    smaller = ORDERS_BREAKING.replace(",\n  note VARCHAR(100)\n", "\n")
    second = cluster.call(1, "owner", "POST", path, {"schema": smaller, "summary": "y"}).json()
    before = len(cluster.smtp.accepted)
    answer: list[int] = []

    def approve_on_api0() -> None:
        try:
            answer.append(
                cluster.call(
                    0, "owner", "POST", f"/change-requests/{second['id']}/approve"
                ).status_code
            )
        except httpx.TransportError:
            answer.append(0)  # the process died under the request

    thread = threading.Thread(target=approve_on_api0)
    thread.start()
    cluster.processes["api0"].kill()
    thread.join()
    wait_for(lambda: len(cluster.smtp.accepted) > before)
    cluster.processes["scheduler0"].kill()  # SIGKILL: what it had claimed keeps its lease
    state = cluster.call(1, "owner", "GET", f"/change-requests/{second['id']}").json()["state"]
    assert state in ("proposed", "scheduled", "released")  # the approval happened whole or not
    if state == "proposed":
        assert answer != [200]
        approved = cluster.call(1, "owner", "POST", f"/change-requests/{second['id']}/approve")
        assert approved.status_code == 200
    _released_and_sent(cluster, second["id"])
    sent = [str(m["Message-ID"]) for m in cluster.smtp.accepted]
    assert set(sent) == set(cluster.notice_ids())  # nothing lost
    assert len(sent) - len(set(sent)) <= 3  # at most the batch scheduler 0 held when killed
    db = Database(Settings(database_url=cluster.url))
    with db.reading() as session:
        notices = session.scalars(
            select(NoticeRow.kind).where(NoticeRow.change_request_id == second["id"])
        ).all()
        states = set(session.scalars(select(ChangeRequestRow.state)))
    db.dispose()
    consumers = len(second["impact"]["consumers"])
    assert notices.count("deprecation") == consumers  # written whole, with the approval
    assert states == {"released"}
