"""Impact through the API names readers by the OLD schema's names: hinted column and table
renames reach exactly those who read the old name; a constraint change reaches exactly the
readers of its columns. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Org

ORDERS = (
    "CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, amount NUMERIC(12,2) NOT NULL, status TEXT)"
)
REVENUE = "CREATE TABLE analytics.revenue (id BIGINT, revenue NUMERIC(12,2))"


def _setup(org: Org) -> None:
    org.register(schema=ORDERS)
    assert (
        org.post("consumer", "/products/sales.orders/subscriptions", {"columns": ["amount"]})
    ).status_code == 201
    sql_sub = {"sql": "SELECT id FROM shop.orders WHERE status = 'open'"}
    assert org.post("consumer2", "/products/sales.orders/subscriptions", sql_sub).status_code == 201
    org.register(
        name="analytics.revenue",
        schema=REVENUE,
        owners=["other-owner@example.com"],
        sql="SELECT id, amount AS revenue FROM shop.orders",
    )


def _propose(org: Org, schema: str, renames: dict[str, str] | None = None) -> Any:
    body: dict[str, Any] = {"schema": schema, "summary": "change"}
    if renames is not None:
        body["renames"] = renames
    response = org.post("owner", "/products/sales.orders/change-requests", body)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_hinted_column_rename_reaches_the_readers_of_the_old_name(org: Org) -> None:
    _setup(org)
    cr = _propose(org, ORDERS.replace("amount", "amount_eur"), {"shop.orders.amount": "amount_eur"})
    assert cr["breaking"] is True
    assert [c["kind"] for c in cr["changes"]] == ["column_renamed"]
    impact = cr["impact"]
    assert [(s["consumer"], s["columns"]) for s in impact["subscriptions"]] == [
        ("consumer@example.com", ["shop.orders.amount"])
    ]
    assert [(p["product"], p["owners"]) for p in impact["downstream_products"]] == [
        ("analytics.revenue", ["other-owner@example.com"])
    ]
    assert impact["consumers"] == ["consumer@example.com"]
    assert cr["earliest_effective_at"] is None  # waits for the delivered notice


def test_a_hinted_table_rename_reaches_every_reader_of_the_old_table(org: Org) -> None:
    _setup(org)
    cr = _propose(
        org, ORDERS.replace("shop.orders", "shop.orders_v2"), {"shop.orders": "shop.orders_v2"}
    )
    assert cr["breaking"] is True
    impact = cr["impact"]
    assert sorted(s["consumer"] for s in impact["subscriptions"]) == [
        "consumer2@example.com",
        "consumer@example.com",
    ]
    assert [p["product"] for p in impact["downstream_products"]] == ["analytics.revenue"]


def test_a_constraint_change_reaches_only_the_readers_of_its_columns(org: Org) -> None:
    _setup(org)
    cr = _propose(org, ORDERS.replace(" PRIMARY KEY", ""))
    (change,) = [c for c in cr["changes"] if c["kind"] == "primary_key_removed"]
    assert (change["column"], change["columns"]) == ("id", ["id"])
    impact = cr["impact"]
    # consumer reads only `amount`; consumer2's SQL reads `id`; the product reads `id`.
    assert [s["consumer"] for s in impact["subscriptions"]] == ["consumer2@example.com"]
    assert [p["product"] for p in impact["downstream_products"]] == ["analytics.revenue"]
