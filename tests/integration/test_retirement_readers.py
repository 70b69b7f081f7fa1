"""A product's retirement reaches every reader lineage knows, through the API, on SQLite and
PostgreSQL: subscriptions (by columns, by SQL, of everything), a downstream product, views, dbt
models and exposures (posted to `POST /lineage/dbt`, also a real project from fixtures/lineage/),
OpenLineage jobs (posted to `POST /api/v1/lineage`), each with its contacts, exactly as a
breaking change removing the whole table; its deprecation notices go to exactly those."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from tests.integration.conftest import Org
from tests.integration.test_impact_readers import (
    AMOUNT_READERS,
    IDS_JOB_OWNER,
    ORDERS,
    _propose,
    _queued,
    _readers,
    _setup,
)

DBT_SHOP = (
    Path(__file__).resolve().parents[2] / "fixtures" / "lineage" / "dbt_shop" / "manifest.json"
)
PRODUCTS = "CREATE TABLE raw.raw_products (sku TEXT PRIMARY KEY, name TEXT, type TEXT, price INTEGER NOT NULL, description TEXT)"

#: Every reader of shop.orders in `_setup`, with the one subscription reading everything.
EVERY_READER = AMOUNT_READERS | {
    "subscription:2": ("subscription", ["consumer2@example.com"]),
    "subscription:3": ("subscription", ["consumer@example.com"]),
    "ops.open": ("view", ["owner@example.com"]),
    "MART.ORDER_STATES": ("model", ["owner@example.com"]),
    "etl/ids_daily": ("job", [IDS_JOB_OWNER]),
}


def _retire(org: Org, product: str = "sales.orders") -> Any:
    response = org.post("owner", f"/products/{product}/retire", {"reason": "replaced"})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_retirement_reaches_every_reader_of_the_product_and_tells_exactly_their_contacts(
    org: Org, app: FastAPI
) -> None:
    _setup(org)
    subscribe = "/products/sales.orders/subscriptions"
    assert org.post("consumer", subscribe, {}).status_code == 201  # reads everything
    retiring = _retire(org)
    assert (retiring["kind"], retiring["state"]) == ("retirement", "scheduled")
    assert _readers(retiring) == EVERY_READER
    assert {r["by"] for r in retiring["impact"]["readers"] if r["subscription"]} == {
        "columns",
        "sql",
        "all",
    }
    assert all(r["breaking"] for r in retiring["impact"]["readers"])
    told = {e for _, emails in EVERY_READER.values() for e in emails}
    assert set(retiring["impact"]["recipients"]) == told
    assert _queued(app, retiring["id"], "deprecation") == told
    assert sorted(retiring["impact"]["products_to_acknowledge"]) == ["analytics.revenue"]
    assert [c["kind"] for c in retiring["changes"]] == ["table_removed"]
    assert "retired" in retiring["changes"][0]["reason"]


def test_a_retirement_reaches_the_readers_a_breaking_change_dropping_the_table_reaches(
    org: Org,
) -> None:
    _setup(org)
    assert org.post("consumer", "/products/sales.orders/subscriptions", {}).status_code == 201
    # shop.orders removed (another table in its place): the one impact engine's answer
    dropped = _propose(org, "CREATE TABLE shop.other (id BIGINT)")
    assert org.post("owner", f"/change-requests/{dropped['id']}/withdraw").status_code == 200
    assert _readers(_retire(org)) == _readers(dropped) == EVERY_READER


def test_a_retirement_reaches_every_model_of_a_real_dbt_project_reading_the_product(
    org: Org, app: FastAPI
) -> None:
    org.register(name="jaffle.products", schema=PRODUCTS)
    response = org.post("admin", "/lineage/dbt", json.loads(DBT_SHOP.read_text()))
    assert response.status_code == 201, response.text
    retiring = _retire(org, "jaffle.products")
    # every model deriving from the raw table, and the exposures on them, with their owners
    team = ["owner@example.com"]  # models declare no contact: the product's owners are told
    assert _readers(retiring) == {
        "analytics.staging.stg_products": ("model", team),
        "analytics.marts.order_items": ("model", team),
        "analytics.marts.orders": ("model", team),
        "analytics.marts.customers": ("model", team),
        "analytics.marts.location_revenue": ("model", team),
        "customer_ltv": ("exposure", ["growth@example.com"]),
        "location_dashboard": ("exposure", ["retail-ops@example.com"]),
    }
    told = {"owner@example.com", "growth@example.com", "retail-ops@example.com"}
    assert set(retiring["impact"]["recipients"]) == told
    assert _queued(app, retiring["id"], "deprecation") == told


def test_a_retirement_with_no_known_reader_still_waits_its_notice_period(org: Org) -> None:
    org.register(schema=ORDERS, notice_period="P14D")
    retiring = _retire(org)
    assert retiring["impact"]["readers"] == []
    assert retiring["earliest_effective_at"] is not None
