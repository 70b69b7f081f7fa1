"""An API process keeps a product's subscriptions between proposals (by the product's
subscriptions generation): a subscription added or removed through ANOTHER process on the
same database is in (or out of) the next proposal's impact and notices all the same."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.api.app import create_app
from service.settings import Settings
from service.store.tables import NoticeRow, ProductRow
from tests.integration.conftest import ORDERS_BREAKING, Clock, Org


@pytest.fixture
def other(database_url: str, clock: Clock, app: FastAPI) -> Iterator[TestClient]:
    """A second API process's app on the same database (its own lineage index and cache)."""
    second = create_app(Settings(database_url=database_url, scheduler=False), clock=clock)
    with TestClient(second) as client:
        yield client
    second.state.steward.db.dispose()


def _reached(org: Org) -> tuple[int, list[str], list[str]]:
    """Propose the breaking change: (its id, consumers reached, who the proposal told)."""
    response = org.propose(ORDERS_BREAKING)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    consumers = sorted(s["consumer"] for s in body["impact"]["subscriptions"])
    notices = org.get("owner", f"/change-requests/{body['id']}/notices").json()
    told = sorted(n["recipient"] for n in notices if n["kind"] == "proposed")
    return body["id"], consumers, told


def _withdraw(org: Org, cr_id: int) -> None:
    response = org.post("owner", f"/change-requests/{cr_id}/withdraw")
    assert response.status_code == 200, response.text


def test_a_subscription_made_through_another_process_is_reached(
    app: FastAPI, org: Org, other: TestClient
) -> None:
    org.register()
    org.post("consumer", "/products/sales.orders/subscriptions", {"columns": ["amount"]})
    first, consumers, told = _reached(org)
    assert consumers == told == ["consumer@example.com"]
    _withdraw(org, first)

    headers = org.h("consumer2")
    added = other.post(
        "/products/sales.orders/subscriptions", json={"columns": ["amount"]}, headers=headers
    )
    assert added.status_code == 201, added.text
    second, consumers, told = _reached(org)  # this process kept the first read: not now
    assert consumers == told == ["consumer2@example.com", "consumer@example.com"]
    _withdraw(org, second)

    gone = other.delete(f"/subscriptions/{added.json()['id']}", headers=headers)
    assert gone.status_code == 204, gone.text
    third, consumers, told = _reached(org)
    assert consumers == told == ["consumer@example.com"]

    with app.state.steward.db.reading() as session:
        generation = session.scalars(
            select(ProductRow.subscriptions_generation).where(ProductRow.name == "sales.orders")
        ).one()
        proposed = session.scalars(
            select(NoticeRow.recipient).where(
                NoticeRow.change_request_id == third, NoticeRow.kind == "proposed"
            )
        ).all()
    assert generation == 3  # two subscribes and one unsubscribe
    assert proposed == ["consumer@example.com"]


def test_a_refused_duplicate_subscription_leaves_what_is_kept_right(
    org: Org, other: TestClient
) -> None:
    org.register()
    body = {"columns": ["amount"]}
    assert org.post("consumer", "/products/sales.orders/subscriptions", body).status_code == 201
    first, consumers, _ = _reached(org)
    _withdraw(org, first)
    again = other.post("/products/sales.orders/subscriptions", json=body, headers=org.h("consumer"))
    assert again.status_code == 409, again.text
    _, consumers, told = _reached(org)
    assert consumers == told == ["consumer@example.com"]
