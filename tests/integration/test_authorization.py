"""Every mutating route x {owner, owner of another product, consumer, admin, anonymous}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.conftest import ORDERS_BREAKING, ORDERS_COMPATIBLE, ORDERS_V1, Org

Request = tuple[str, str, Any]
ROLES = ("owner", "other_owner", "consumer", "admin", None)


def _product(org: Org) -> None:
    org.register()
    org.register(
        name="crm.customers",
        schema="CREATE TABLE crm.c (id INT)",
        owners=["other-owner@example.com"],
    )
    org.post("consumer", "/products/sales.orders/subscriptions", {"columns": ["amount"]})


def _cr(org: Org, schema: str = ORDERS_COMPATIBLE) -> int:
    _product(org)
    cr: int = org.propose(schema).json()["id"]
    return cr


def register(org: Org) -> Request:
    body = {"name": "new.product", "owners": ["owner@example.com"], "dialect": "postgres"}
    return "POST", "/products", {**body, "schema": ORDERS_V1}


def subscribe(org: Org) -> Request:
    _product(org)
    return "POST", "/products/sales.orders/subscriptions", {}


def unsubscribe(org: Org) -> Request:
    _product(org)
    sub = org.get("owner", "/products/sales.orders/subscriptions").json()[0]["id"]
    return "DELETE", f"/subscriptions/{sub}", None


def propose(org: Org) -> Request:
    _product(org)
    return (
        "POST",
        "/products/sales.orders/change-requests",
        {"schema": ORDERS_COMPATIBLE, "summary": "s"},
    )


def approve(org: Org) -> Request:
    return "POST", f"/change-requests/{_cr(org)}/approve", None


def reject(org: Org) -> Request:
    return "POST", f"/change-requests/{_cr(org)}/reject", None


def withdraw(org: Org) -> Request:
    return "POST", f"/change-requests/{_cr(org)}/withdraw", None


def acknowledge(org: Org) -> Request:
    return "POST", f"/change-requests/{_cr(org, ORDERS_BREAKING)}/acknowledge", None


def release(org: Org) -> Request:
    cr = _cr(org, ORDERS_BREAKING)
    org.post("owner", f"/change-requests/{cr}/approve")
    org.post("consumer", f"/change-requests/{cr}/acknowledge")
    return "POST", f"/change-requests/{cr}/release", None


def lineage_sql(org: Org) -> Request:
    return "POST", "/lineage/sql", {"name": "v", "sql": "SELECT 1 AS a", "dialect": "postgres"}


def lineage_dbt(org: Org) -> Request:
    return "POST", "/lineage/dbt", {"nodes": {}}


def openlineage(org: Org) -> Request:
    return "POST", "/api/v1/lineage", {"job": {"namespace": "n", "name": "j"}, "run": {}}


def diff(org: Org) -> Request:
    return "POST", "/diff", {"old": ORDERS_V1, "new": ORDERS_COMPATIBLE, "dialect": "postgres"}


def edit_product(org: Org) -> Request:
    _product(org)
    return "PATCH", "/products/sales.orders", {"description": "edited"}


def retire(org: Org) -> Request:
    _product(org)
    return "POST", "/products/sales.orders/retire", {"reason": "replaced"}


def comment(org: Org) -> Request:
    return "POST", f"/change-requests/{_cr(org)}/comments", {"body": "a question"}


def check(org: Org) -> Request:
    _product(org)
    return "POST", "/products/sales.orders/check", {"schema": ORDERS_COMPATIBLE}


# route: expected status for owner, other product's owner, consumer, admin, anonymous
MATRIX: dict[Callable[[Org], Request], tuple[int, int, int, int, int]] = {
    register: (403, 403, 403, 201, 401),
    subscribe: (201, 201, 201, 201, 401),
    unsubscribe: (403, 403, 204, 403, 401),
    propose: (201, 403, 403, 403, 401),
    approve: (200, 403, 403, 403, 401),
    reject: (200, 403, 403, 403, 401),
    withdraw: (200, 403, 403, 403, 401),
    acknowledge: (403, 403, 200, 403, 401),
    release: (200, 403, 403, 403, 401),
    lineage_sql: (403, 403, 403, 201, 401),
    lineage_dbt: (403, 403, 403, 201, 401),
    openlineage: (403, 403, 403, 201, 401),
    diff: (200, 200, 200, 200, 401),
    edit_product: (200, 403, 403, 200, 401),
    retire: (200, 403, 403, 200, 401),
    comment: (201, 201, 201, 201, 401),
    check: (200, 200, 200, 200, 401),
}
CASES = [
    pytest.param(route, role, expected[i], id=f"{route.__name__}-{role or 'anonymous'}")
    for route, expected in MATRIX.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("route", "role", "expected"), CASES)
def test_each_mutating_route_allows_exactly_the_roles_it_should(
    org: Org, route: Callable[[Org], Request], role: str | None, expected: int
) -> None:
    method, path, body = route(org)
    response = org.client.request(method, path, json=body, headers=org.h(role))
    assert response.status_code == expected, response.text
    if expected >= 400:
        error = response.json()["error"]
        assert error["code"] in {"forbidden", "unauthenticated"}
        assert error["message"]


def test_an_invalid_token_is_401_with_the_error_shape(org: Org) -> None:
    response = org.client.get("/products", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthenticated"


def test_reading_needs_a_valid_token_but_no_role(org: Org) -> None:
    org.register()
    assert org.get(None, "/products/sales.orders").status_code == 401
    assert org.get("consumer2", "/products/sales.orders").status_code == 200
