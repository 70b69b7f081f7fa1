"""A real dbt project posted through `POST /lineage/dbt`, on SQLite and PostgreSQL: a change
request on a raw table reaches the models that derive from the changed column, under the name
each model gives it, and no model that only joins on it carries it into its outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.integration.conftest import Org

MANIFEST = (
    Path(__file__).resolve().parents[2] / "fixtures" / "lineage" / "dbt_shop" / "manifest.json"
)
PRODUCTS = "CREATE TABLE raw.raw_products (sku TEXT PRIMARY KEY, name TEXT, type TEXT, price INTEGER NOT NULL, description TEXT)"
CUSTOMERS = "CREATE TABLE raw.raw_customers (id TEXT PRIMARY KEY, name TEXT)"


def _setup(org: Org) -> None:
    org.register(name="jaffle.products", schema=PRODUCTS)
    org.register(name="jaffle.customers", schema=CUSTOMERS)
    response = org.post("admin", "/lineage/dbt", json.loads(MANIFEST.read_text()))
    assert response.status_code == 201, response.text


def _propose(
    org: Org, product: str, schema: str, renames: dict[str, str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": schema, "summary": "change", "renames": renames or {}}
    response = org.post("owner", f"/products/{product}/change-requests", body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _reached(cr: dict[str, Any]) -> dict[str, list[str]]:
    """Each reader reached: the upstream `table.column`s it reads that carry the change."""
    return {reader["name"]: reader["reads"] for reader in cr["impact"]["readers"]}


def test_a_raw_column_type_change_reaches_the_models_deriving_from_it_under_their_names(
    org: Org,
) -> None:
    _setup(org)
    cr = _propose(org, "jaffle.products", PRODUCTS.replace("price INTEGER", "price TEXT"))
    assert cr["breaking"] is True
    # each model reads the column under the name the model before it gave it
    assert _reached(cr) == {
        "analytics.staging.stg_products": ["analytics.raw.raw_products.price"],
        "analytics.marts.order_items": ["analytics.staging.stg_products.product_price"],
        "analytics.marts.orders": ["analytics.marts.order_items.product_price"],
    }


def test_a_column_a_mart_only_joins_on_reaches_it_and_no_exposure_reading_it(org: Org) -> None:
    _setup(org)
    cr = _propose(org, "jaffle.customers", CUSTOMERS.replace("id TEXT", "id BIGINT"))
    assert cr["breaking"] is True
    # customers joins on customer_id but derives no output from it: `customer_ltv`, which
    # reads every column of customers, is not reached
    assert _reached(cr) == {
        "analytics.staging.stg_customers": ["analytics.raw.raw_customers.id"],
        "analytics.marts.customers": ["analytics.staging.stg_customers.customer_id"],
    }


def test_a_hinted_rename_stops_the_staging_model_and_what_is_built_on_it_only(org: Org) -> None:
    _setup(org)
    renamed = PRODUCTS.replace("price INTEGER", "price_cents INTEGER")
    cr = _propose(org, "jaffle.products", renamed, {"raw.raw_products.price": "price_cents"})
    assert [c["kind"] for c in cr["changes"]] == ["column_renamed"]
    reached = _reached(cr)
    assert reached["analytics.staging.stg_products"] == ["analytics.raw.raw_products.price"]
    assert set(reached) == {
        "analytics.staging.stg_products",
        "analytics.marts.order_items",
        "analytics.marts.orders",
        "analytics.marts.customers",
        "analytics.marts.location_revenue",
        "customer_ltv",
        "location_dashboard",
    }


def test_a_view_in_generic_sql_beside_the_project_is_reached_too(org: Org) -> None:
    _setup(org)
    view = {
        "name": "finance.price_list",
        "sql": "CREATE VIEW finance.price_list AS SELECT sku, price FROM raw.raw_products",
        "dialect": "generic",
    }
    assert org.post("admin", "/lineage/sql", view).status_code == 201
    cr = _propose(org, "jaffle.products", PRODUCTS.replace("price INTEGER", "price TEXT"))
    assert _reached(cr)["finance.price_list"] == ["raw.raw_products.price"]
