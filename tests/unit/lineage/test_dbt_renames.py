"""A real dbt project (jaffle-shop as dbt-postgres compiles it): staging models read sources
through `select *` CTEs and rename columns, marts join, group and filter. A change to a source
column travels under the name each model gives it, and only along what is derived from it;
a column a model only joins, groups or filters by reaches the model, not its outputs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from lineage import ColumnChange, LineageGraph, impact

MANIFEST = (
    Path(__file__).resolve().parents[3] / "fixtures" / "lineage" / "dbt_shop" / "manifest.json"
)
RAW = "analytics.raw."
STAGING = "analytics.staging."
MARTS = "analytics.marts."


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANIFEST.read_text())
    return data


@pytest.fixture(scope="module")
def shop() -> LineageGraph:
    graph = LineageGraph()
    graph.add_dbt_manifest(_manifest())
    return graph


def _reach(graph: LineageGraph, table: str, column: str, kind: str) -> dict[str, Any]:
    found = impact(graph, [ColumnChange(RAW + table, column, kind)])
    return {
        item.name: (item.columns, sorted(str(read) for read in item.reads))
        for item in found.affected
    }


def test_every_model_of_the_project_resolves_without_a_warning(shop: LineageGraph) -> None:
    assert shop.warnings == []
    models = [name for name in shop.objects() if shop.kind_of(name) == "model"]
    assert len(models) == 11
    assert not [name for name in models if shop.graph.nodes[name]["opaque"]]
    assert shop.columns_of(STAGING + "stg_products") == [
        "product_id",
        "product_name",
        "product_type",
        "product_description",
        "product_price",
        "is_food_item",
        "is_drink_item",
    ]
    # a dbt test selects from a model but publishes nothing: it reads nobody's data
    assert "not_null_orders_order_id" not in " ".join(shop.objects())


def test_a_source_column_travels_under_the_name_each_model_gives_it(shop: LineageGraph) -> None:
    # raw_products.price -> stg_products.product_price -> order_items.product_price
    # -> orders.order_items_subtotal (a sum); customers, locations and exposures never read it
    assert _reach(shop, "raw_products", "price", "column_type_changed") == {
        STAGING + "stg_products": (
            ("product_price",),
            ["analytics.raw.raw_products.price (projected)"],
        ),
        MARTS + "order_items": (
            ("product_price",),
            ["analytics.staging.stg_products.product_price (projected)"],
        ),
        MARTS + "orders": (
            ("order_items_subtotal",),
            ["analytics.marts.order_items.product_price (projected)"],
        ),
    }
    (orders,) = [
        a
        for a in impact(
            shop, [ColumnChange(RAW + "raw_products", "price", "column_type_changed")]
        ).affected
        if a.name == MARTS + "orders"
    ]
    assert orders.path == (
        RAW + "raw_products",
        STAGING + "stg_products",
        MARTS + "order_items",
        MARTS + "orders",
    )


def test_a_column_only_joined_on_reaches_the_model_but_taints_none_of_its_outputs(
    shop: LineageGraph,
) -> None:
    # raw_customers declares no columns: `id` is found through `select * from source`.
    # customers (the mart) joins on stg_customers.customer_id, but its own customer_id
    # comes from orders: the mart is a reader, no output carries the change, and the
    # exposure reading the mart is not reached.
    assert _reach(shop, "raw_customers", "id", "column_type_changed") == {
        STAGING + "stg_customers": (
            ("customer_id",),
            ["analytics.raw.raw_customers.id (projected)"],
        ),
        MARTS + "customers": ((), ["analytics.staging.stg_customers.customer_id (joined)"]),
    }


def test_columns_only_grouped_filtered_or_joined_on_leave_same_named_outputs_clean(
    shop: LineageGraph,
) -> None:
    # location_revenue outputs location_id from the locations side; it joins and filters
    # on the orders side only.
    store = _reach(shop, "raw_orders", "store_id", "column_type_changed")
    assert store == {
        STAGING + "stg_orders": (
            ("location_id",),
            ["analytics.raw.raw_orders.store_id (projected)"],
        ),
        MARTS + "orders": (
            ("location_id",),
            ["analytics.staging.stg_orders.location_id (projected)"],
        ),
        MARTS + "location_revenue": ((), ["analytics.marts.orders.location_id (joined)"]),
    }
    ordered = _reach(shop, "raw_orders", "ordered_at", "column_type_changed")
    assert ordered[MARTS + "location_revenue"] == (
        (),
        ["analytics.marts.orders.ordered_at (filtered)"],
    )
    assert ordered[MARTS + "customers"][0] == ("first_ordered_at", "last_ordered_at")
    # the other side of the same join does derive location_id, so it carries there
    stores = _reach(shop, "raw_stores", "id", "column_type_changed")
    assert stores[MARTS + "location_revenue"] == (
        ("location_id",),
        [
            "analytics.staging.stg_locations.location_id (grouped)",
            "analytics.staging.stg_locations.location_id (joined)",
            "analytics.staging.stg_locations.location_id (projected)",
        ],
    )
    assert set(stores) == {
        STAGING + "stg_locations",
        MARTS + "locations",
        MARTS + "location_revenue",
        "location_dashboard",
    }


def test_a_column_added_to_a_source_read_through_renaming_ctes_reaches_no_model(
    shop: LineageGraph,
) -> None:
    # `select * from source` feeds `renamed`, which names its columns: the new column
    # appears in no staging model. A mart that passes a staging model through `t.*` does see
    # a column added there.
    assert _reach(shop, "raw_orders", "discount", "column_added") == {}
    found = impact(shop, [ColumnChange(STAGING + "stg_order_items", "quantity", "column_added")])
    assert [(a.name, a.columns) for a in found.affected] == [(MARTS + "order_items", ("quantity",))]


def test_removing_a_source_column_stops_the_model_that_selects_it_and_what_is_built_on_it(
    shop: LineageGraph,
) -> None:
    # a dbt run fails at stg_supplies and skips everything downstream of it; the staging
    # models of other sources, and marts not built on it, keep working.
    stopped = impact(shop, [ColumnChange(RAW + "raw_supplies", "cost", "column_removed")])
    assert {a.name for a in stopped.affected} == {
        STAGING + "stg_supplies",
        MARTS + "order_items",
        MARTS + "orders",
        MARTS + "customers",
        MARTS + "location_revenue",
        "customer_ltv",
        "location_dashboard",
    }
    assert all(a.stops_working for a in stopped.affected)
    # a column no staging model selects stops nothing, though `select *` reads the source
    assert (
        impact(shop, [ColumnChange(RAW + "raw_stores", "phone", "column_removed")]).affected == ()
    )


def test_documented_columns_are_not_taken_as_all_of_a_source(shop: LineageGraph) -> None:
    # sources.yml documents some columns; a staging model selects one it does not document.
    manifest = _manifest()
    source = manifest["sources"]["source.jaffle_shop.ecom.raw_orders"]
    del source["columns"]["tax_paid"]
    graph = LineageGraph()
    graph.add_dbt_manifest(manifest)
    assert graph.warnings == []
    found = impact(graph, [ColumnChange(RAW + "raw_orders", "tax_paid", "column_type_changed")])
    assert {a.name: a.columns for a in found.affected}[STAGING + "stg_orders"] == (
        "tax_paid_cents",
        "tax_paid",
    )
    # ... and a product's DDL, which does list the table whole, keeps its columns
    known = LineageGraph(schemas={RAW + "raw_orders": {"id": "text", "tax_paid": "int"}})
    known.add_dbt_manifest(copy.deepcopy(manifest))
    assert known.columns_of(RAW + "raw_orders") == ["id", "tax_paid"]


def test_a_column_a_cte_does_not_output_is_reported_not_derived_from_all_of_it() -> None:
    graph = LineageGraph("postgres", schemas={"raw.t": {"x": "int"}})
    graph.add_sql(
        "v",
        "CREATE VIEW v AS WITH source AS (SELECT * FROM raw.t), "
        "renamed AS (SELECT y AS z, x FROM source) SELECT * FROM renamed",
    )
    assert [w.reason for w in graph.warnings] == ["column y not found in source"]
    assert graph.graph.nodes["v"]["opaque"] is True


@pytest.mark.parametrize(
    ("adapter", "quote", "fold"),
    [("snowflake", '"', str.upper), ("duckdb", '"', str.lower), ("bigquery", "`", str.lower)],
)
def test_the_project_compiled_for_another_adapter_follows_the_same_renames(
    adapter: str, quote: str, fold: Any
) -> None:
    text = MANIFEST.read_text()
    manifest = json.loads(text if quote == '"' else text.replace('\\"', quote))
    manifest["metadata"]["adapter_type"] = adapter
    graph = LineageGraph()
    graph.add_dbt_manifest(manifest)
    assert graph.warnings == []
    found = impact(
        graph, [ColumnChange(RAW + "raw_products", fold("price"), "column_type_changed")]
    )
    assert [(a.name, a.columns) for a in found.affected] == [
        (STAGING + "stg_products", (fold("product_price"),)),
        (MARTS + "order_items", (fold("product_price"),)),
        (MARTS + "orders", (fold("order_items_subtotal"),)),
    ]


def test_an_incremental_model_reading_itself_resolves_and_is_no_input_of_itself() -> None:
    # `{% if is_incremental() %} where ordered_at > (select max(ordered_at) from {{ this }})`
    manifest = _manifest()
    node = manifest["nodes"]["model.jaffle_shop.order_items"]
    this = '"analytics"."marts"."order_items"'
    node["compiled_code"] += f"\nwhere ordered_at > (select max(ordered_at) from {this})"
    node["config"]["materialized"] = "incremental"
    graph = LineageGraph()
    graph.add_dbt_manifest(manifest)
    assert graph.warnings == []
    assert MARTS + "order_items" not in graph.inputs(MARTS + "order_items")
    found = _reach(graph, "raw_orders", "ordered_at", "column_type_changed")
    assert found[MARTS + "order_items"] == (
        ("ordered_at",),
        [
            "analytics.staging.stg_orders.ordered_at (filtered)",
            "analytics.staging.stg_orders.ordered_at (projected)",
        ],
    )
    assert found[MARTS + "customers"][0] == ("first_ordered_at", "last_ordered_at")


def test_a_column_a_star_excepts_is_carried_by_no_reader_but_its_removal_breaks_it() -> None:
    # BigQuery staging models drop loader columns: `select * except (_fivetran_synced)`.
    graph = LineageGraph(
        "bigquery", schemas={"raw.orders": {"id": "INT64", "_fivetran_synced": "TIMESTAMP"}}
    )
    graph.add_sql(
        "stg", "CREATE VIEW stg.orders AS SELECT * EXCEPT (_fivetran_synced) FROM raw.orders"
    )
    synced = ColumnChange("raw.orders", "_fivetran_synced", "column_type_changed")
    assert impact(graph, [synced]).affected == ()
    # BigQuery refuses an EXCEPT naming a column the table lacks
    removed = ColumnChange("raw.orders", "_fivetran_synced", "column_removed")
    assert [a.name for a in impact(graph, [removed]).affected] == ["stg.orders"]
    carried = impact(graph, [ColumnChange("raw.orders", "id", "column_type_changed")])
    assert [(a.name, a.columns) for a in carried.affected] == [("stg.orders", ("id",))]
