"""The authorization table (service/api/access.py, rendered in docs/api.md), cell by cell:
every route x {anonymous, admin, owner, owner of another product, maintainer, subscriber,
other consumer}, GET routes included."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from service.api.access import ACCESS, ROLES, Cell, render
from tests.integration.conftest import ORDERS_BREAKING, ORDERS_COMPATIBLE, ORDERS_V1, PEOPLE, Org

Request = tuple[str, str, Any]
#: each role of the table as a person of the test organisation (None: no token)
PERSON = {
    "anonymous": None,
    "admin": "admin",
    "owner": "owner",
    "other_owner": "other_owner",
    "maintainer": "maintainer",
    "subscriber": "consumer",
    "other_consumer": "consumer2",
}
HOOK = "https://hooks.example.com/services/T000/B000/s3cret"


def _product(org: Org) -> None:
    org.register()
    org.register(
        name="crm.customers",
        schema="CREATE TABLE crm.c (id INT)",
        owners=["other-owner@example.com"],
    )
    body = {"columns": ["amount"], "channels": ["email", HOOK]}
    assert org.post("consumer", "/products/sales.orders/subscriptions", body).status_code == 201


def _cr(org: Org, schema: str = ORDERS_BREAKING) -> int:
    _product(org)
    cr: int = org.propose(schema).json()["id"]
    return cr


def _released(org: Org) -> None:
    cr = _cr(org, ORDERS_COMPATIBLE)
    assert org.post("owner", f"/change-requests/{cr}/approve").status_code == 200


def _scheduled(org: Org) -> int:
    cr = _cr(org)
    org.post("owner", f"/change-requests/{cr}/approve")
    org.post("consumer", f"/change-requests/{cr}/acknowledge")
    return cr


def _subscription(org: Org) -> int:
    _product(org)
    sub: int = org.get("consumer", "/products/sales.orders/subscriptions").json()[0]["id"]
    return sub


SETUP: dict[str, Callable[[Org], Request]] = {
    "GET /health": lambda org: ("GET", "/health", None),
    "POST /products": lambda org: (
        "POST",
        "/products",
        {
            "name": "new.p",
            "owners": ["owner@example.com"],
            "dialect": "postgres",
            "schema": ORDERS_V1,
        },
    ),
    "GET /products": lambda org: (_product(org), ("GET", "/products", None))[1],
    "GET /products/{name}": lambda org: (_product(org), ("GET", "/products/sales.orders", None))[1],
    "GET /products/{name}/versions": lambda org: (
        _released(org),
        ("GET", "/products/sales.orders/versions", None),
    )[1],
    "GET /products/{name}/versions/{version}": lambda org: (
        _released(org),
        ("GET", "/products/sales.orders/versions/current", None),
    )[1],
    "POST /products/{name}/subscriptions": lambda org: (
        _product(org),
        ("POST", "/products/sales.orders/subscriptions", {}),
    )[1],
    "GET /products/{name}/subscriptions": lambda org: (
        _product(org),
        ("GET", "/products/sales.orders/subscriptions", None),
    )[1],
    "DELETE /subscriptions/{subscription_id}": lambda org: (
        "DELETE",
        f"/subscriptions/{_subscription(org)}",
        None,
    ),
    "POST /products/{name}/change-requests": lambda org: (
        _product(org),
        (
            "POST",
            "/products/sales.orders/change-requests",
            {"schema": ORDERS_COMPATIBLE, "summary": "s"},
        ),
    )[1],
    "POST /change-requests/{cr_id}/approve": lambda org: (
        "POST",
        f"/change-requests/{_cr(org)}/approve",
        None,
    ),
    "POST /change-requests/{cr_id}/reject": lambda org: (
        "POST",
        f"/change-requests/{_cr(org)}/reject",
        None,
    ),
    "POST /change-requests/{cr_id}/withdraw": lambda org: (
        "POST",
        f"/change-requests/{_cr(org)}/withdraw",
        None,
    ),
    "POST /change-requests/{cr_id}/acknowledge": lambda org: (
        "POST",
        f"/change-requests/{_cr(org)}/acknowledge",
        None,
    ),
    "POST /change-requests/{cr_id}/release": lambda org: (
        "POST",
        f"/change-requests/{_scheduled(org)}/release",
        None,
    ),
    "GET /change-requests/{cr_id}": lambda org: ("GET", f"/change-requests/{_cr(org)}", None),
    "GET /change-requests": lambda org: (_cr(org), ("GET", "/change-requests", None))[1],
    "GET /change-requests/{cr_id}/notices": lambda org: (
        "GET",
        f"/change-requests/{_cr(org)}/notices",
        None,
    ),
    "POST /lineage/sql": lambda org: (
        "POST",
        "/lineage/sql",
        {"name": "v", "sql": "SELECT 1 AS a", "dialect": "postgres"},
    ),
    "POST /lineage/dbt": lambda org: ("POST", "/lineage/dbt", {"nodes": {}}),
    "POST /api/v1/lineage": lambda org: (
        "POST",
        "/api/v1/lineage",
        {"job": {"namespace": "n", "name": "j"}, "run": {}},
    ),
    "POST /diff": lambda org: (
        "POST",
        "/diff",
        {"old": ORDERS_V1, "new": ORDERS_COMPATIBLE, "dialect": "postgres"},
    ),
    "GET /audit": lambda org: (_product(org), ("GET", "/audit", None))[1],
    "GET /audit?product={name}": lambda org: (
        _product(org),
        ("GET", "/audit?product=sales.orders", None),
    )[1],
    "PATCH /products/{name}": lambda org: (
        _product(org),
        ("PATCH", "/products/sales.orders", {"description": "edited"}),
    )[1],
    "POST /products/{name}/retire": lambda org: (
        _product(org),
        ("POST", "/products/sales.orders/retire", {"reason": "replaced"}),
    )[1],
    "POST /products/{name}/check": lambda org: (
        _product(org),
        ("POST", "/products/sales.orders/check", {"schema": ORDERS_COMPATIBLE}),
    )[1],
    "POST /change-requests/{cr_id}/comments": lambda org: (
        "POST",
        f"/change-requests/{_cr(org)}/comments",
        {"body": "a question"},
    ),
    "GET /change-requests/{cr_id}/comments": lambda org: (
        "GET",
        f"/change-requests/{_cr(org)}/comments",
        None,
    ),
    "GET /change-requests/{cr_id}/migration": lambda org: (
        "GET",
        f"/change-requests/{_cr(org)}/migration",
        None,
    ),
    "GET /me": lambda org: ("GET", "/me", None),
    "GET /tokens": lambda org: ("GET", "/tokens", None),
    "DELETE /tokens/{token_id}": lambda org: (
        "DELETE",
        f"/tokens/{org.get('consumer', '/tokens').json()[0]['id']}",
        None,
    ),
}
CASES = [
    pytest.param(route, role, cells[i], id=f"{route}-{role}")
    for route, cells in ACCESS.items()
    for i, role in enumerate(ROLES)
]


def _email(who: str | None) -> str | None:
    return PEOPLE[who][0] if who else None


def _check_listing(route: str, response: Any, who: str | None, cell: Cell) -> None:
    """`yes` on a listing shows other people's records too; `own` shows only the caller's."""
    items = response.json()
    if route == "GET /products/{name}/subscriptions":
        total = int(response.headers["Steward-Subscriptions-Total"])
        mine = [s["consumer_email"] == _email(who) for s in items]
        if cell == "yes":
            assert len(items) == total >= 1
        else:
            assert all(mine) and total >= 1
        for s in items:
            assert (HOOK in s["channels"]) == (s["consumer_email"] == _email(who))
    elif route == "GET /change-requests/{cr_id}/notices":
        recipients = {n["recipient"] for n in items}
        if cell == "yes":
            assert {"consumer@example.com", "https://hooks.example.com/…"} <= recipients
        elif who == "consumer":
            assert recipients == {"consumer@example.com", HOOK}
        else:
            assert recipients <= {_email(who)}


@pytest.mark.parametrize(("route", "role", "cell"), CASES)
def test_each_route_allows_exactly_the_roles_of_the_table(
    org: Org, route: str, role: str, cell: Cell
) -> None:
    method, path, body = SETUP[route](org)
    who = PERSON[role]
    response = org.client.request(method, path, json=body, headers=org.h(who))
    expected = {"login": {401}, "no": {403}, "hidden": {404}}.get(cell, set(range(200, 300)))
    assert response.status_code in expected, response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        codes = {"login": "unauthenticated", "hidden": "not_found"}
        assert error["code"] == codes.get(cell, "forbidden")
        assert error["message"]
    elif route in ("GET /products/{name}/subscriptions", "GET /change-requests/{cr_id}/notices"):
        _check_listing(route, response, who, cell)


def test_the_table_covers_every_route_of_the_api(app: FastAPI) -> None:
    operations = {
        f"{method.upper()} {path}"
        for path, item in app.openapi()["paths"].items()
        for method in item
    }
    assert {route.split("?")[0] for route in ACCESS} == operations
    assert set(SETUP) == set(ACCESS)


def test_docs_show_the_table() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    assert render() in docs, "docs/api.md is stale: paste `python -m service.api.access`"


def test_the_audit_log_keeps_no_webhook_path(org: Org) -> None:
    _product(org)
    text = org.get("admin", "/audit").text
    assert "hooks.example.com" in text and "s3cret" not in text


def test_an_invalid_token_is_401_with_the_error_shape(org: Org) -> None:
    response = org.client.get("/products", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("owner", {"consumer@example.com"}),
        ("maintainer", {"consumer@example.com"}),
        ("admin", {"consumer@example.com"}),
        ("consumer", {"consumer@example.com"}),
        ("consumer2", set()),
        ("other_owner", set()),
    ],
)
def test_a_change_requests_impact_names_other_consumers_only_to_its_team(
    org: Org, who: str, sees: set[str]
) -> None:
    cr = _cr(org)
    for path in (f"/change-requests/{cr}", "/change-requests"):
        body = org.get(who, path).json()
        shown = body if isinstance(body, dict) else body[0]
        impact = shown["impact"]
        assert {s["consumer"] for s in impact["subscriptions"]} == sees
        assert set(impact["consumers"]) == sees
        assert set(shown["awaiting_acknowledgement"]) == sees
