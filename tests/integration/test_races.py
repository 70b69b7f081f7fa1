"""Concurrent writers on one product: exactly one wins, the other gets 409, nothing doubles."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.store.tables import SubscriptionRow, VersionRow
from tests.integration.conftest import ORDERS_BREAKING, ORDERS_COMPATIBLE, Org

ROUNDS = 5


def _together(app: FastAPI, calls: list[Callable[[TestClient], Any]]) -> list[int]:
    """Run the calls at the same moment, each on its own client and thread; their statuses."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = [0] * len(calls)

    def run(i: int) -> None:
        with TestClient(app) as client:
            barrier.wait()
            statuses[i] = calls[i](client).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(statuses)


def test_two_owners_approving_the_same_change_request_at_once_one_wins(
    org: Org, app: FastAPI
) -> None:
    org.register(owners=["owner@example.com", "co-owner@example.com"])
    for round_ in range(ROUNDS):
        added = ",\n  ".join(f"extra_{i} TEXT" for i in range(round_ + 1))
        schema = ORDERS_COMPATIBLE.replace("channel TEXT", added)
        cr = org.propose(schema).json()
        path = f"/change-requests/{cr['id']}/approve"
        statuses = _together(
            app,
            [
                lambda c, path=path: c.post(path, headers=org.h("owner")),
                lambda c, path=path: c.post(path, headers=org.h("co_owner")),
            ],
        )
        assert statuses == [200, 409]
    versions = org.get("owner", "/products/sales.orders/versions").json()
    assert [v["version"] for v in versions] == [f"1.{i}.0" for i in range(ROUNDS + 1)]
    with app.state.steward.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(VersionRow)) == ROUNDS + 1


def test_two_proposals_for_one_product_at_once_leave_one_open(org: Org, app: FastAPI) -> None:
    org.register()
    for round_ in range(ROUNDS):
        body = {"schema": ORDERS_BREAKING, "summary": f"round {round_}"}
        path = "/products/sales.orders/change-requests"
        statuses = _together(
            app,
            [
                lambda c, path=path, body=body: c.post(path, json=body, headers=org.h("owner")),
                lambda c, path=path, body=body: c.post(
                    path, json=body, headers=org.h("maintainer")
                ),
            ],
        )
        assert statuses == [201, 409]
        open_ = org.get("owner", "/change-requests?product=sales.orders&state=proposed").json()
        assert len(open_) == 1
        org.post("owner", f"/change-requests/{open_[0]['id']}/reject")


def test_two_identical_subscriptions_at_once_store_one_and_refuse_the_other_naming_it(
    org: Org, app: FastAPI
) -> None:
    org.register()
    path = "/products/sales.orders/subscriptions"
    for round_ in range(ROUNDS):
        # a different subscription each round (round 0: everything, then 1, 2, ... columns)
        columns = ["shop.orders.id", "shop.orders.amount", "shop.orders.note"][:round_]
        body = {"columns": columns or None, "all_changes": round_ == 4}
        answers: list[Any] = []

        def post(client: TestClient, body: Any = body, answers: list[Any] = answers) -> Any:
            answers.append(client.post(path, json=body, headers=org.h("consumer")))
            return answers[-1]

        statuses = _together(app, [post, post])
        assert statuses == [201, 409]
        created = next(a for a in answers if a.status_code == 201).json()
        refused = next(a for a in answers if a.status_code == 409).json()["error"]
        assert refused["details"]["subscription"] == created["id"]
        assert f"#{created['id']}" in refused["message"]
    with app.state.steward.db.reading() as session:
        rows = session.scalars(select(SubscriptionRow)).all()
        assert len(rows) == ROUNDS  # one row per round, none twice
