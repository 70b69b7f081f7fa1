"""Realistic view sets (TPC-H, a dbt chain, BigQuery, Snowflake, Postgres, T-SQL, Spark)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage import ColumnChange, LineageGraph, impact, load

REALWORLD = Path(__file__).resolve().parents[3] / "fixtures" / "lineage" / "realworld"
SETS = {
    "tpch": "postgres",
    "jaffle": "postgres",
    "bigquery": "bigquery",
    "snowflake": "snowflake",
    "postgres": "postgres",
    "tsql": "tsql",
    "spark": "spark",
}


def _graph(name: str) -> LineageGraph:
    return load(REALWORLD / name, dialect=SETS[name])


def _carried(name: str, change: ColumnChange) -> dict[str, tuple[str, ...]]:
    return {item.name: item.columns for item in impact(_graph(name), [change]).affected}


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_realistic_set_loads_every_statement_it_defines(name: str) -> None:
    graph = _graph(name)
    defined = [o for o in graph.objects() if graph.kind_of(o) != "table" or graph.inputs(o)]
    assert defined, name
    resolved = [o for o in defined if not graph.graph.nodes[o]["opaque"]]
    unresolved = {w.object for w in graph.warnings}
    assert set(defined) == set(resolved) | unresolved


def test_a_tpch_discount_type_change_reaches_the_revenue_of_q1_q3_q5_q10_only() -> None:
    change = ColumnChange("tpch.lineitem", "l_discount", "column_type_changed")
    assert _carried("tpch", change) == {
        "tpch.q1": ("sum_disc_price", "sum_charge"),
        "tpch.q3": ("revenue",),
        "tpch.q5": ("revenue",),
        "tpch.q10": ("revenue",),
    }


def test_a_column_read_only_inside_exists_stops_q4_alone() -> None:
    found = impact(
        _graph("tpch"), [ColumnChange("tpch.lineitem", "l_receiptdate", "column_removed")]
    )
    assert [(a.name, [str(r) for r in a.reads]) for a in found.affected] == [
        ("tpch.q4", ["tpch.lineitem.l_receiptdate (filtered)"])
    ]


def test_a_tpch_balance_change_reaches_q10_through_its_case_expression() -> None:
    change = ColumnChange("tpch.customer", "c_acctbal", "column_type_narrowed")
    assert _carried("tpch", change) == {"tpch.q10": ("c_acctbal", "tier")}


def test_a_payment_amount_change_flows_through_the_dbt_staging_chain_to_both_marts() -> None:
    change = ColumnChange("raw.stripe.payments", "amount", "column_type_changed")
    assert _carried("jaffle", change) == {
        "analytics.stg_payments": ("amount",),
        "analytics.orders": ("credit_card_amount", "coupon_amount", "amount"),
        "analytics.customers": ("customer_lifetime_value",),
    }


def test_bigquery_unnest_and_struct_access_carry_to_a_materialized_view() -> None:
    change = ColumnChange("shop-prod.sales.orders", "items", "column_type_changed")
    assert _carried("bigquery", change) == {
        "shop-prod.mart.order_items": ("sku", "qty"),
        "shop-prod.mart.sku_totals": ("sku", "total_qty"),
    }
    change = ColumnChange("shop-prod.sales.orders", "customer", "column_type_changed")
    assert _carried("bigquery", change) == {"shop-prod.mart.order_items": ("email",)}


def test_snowflake_variant_access_flatten_merge_and_a_quoted_column() -> None:
    change = ColumnChange("RAW.EVENTS.CLICKS", "PAYLOAD", "column_type_changed")
    assert _carried("snowflake", change) == {
        "ANALYTICS.CLICK_SUMMARY": ("PAYLOAD",),
        "ANALYTICS.CLICK_TAGS": ("USER_ID", "TAG"),
    }
    found = impact(
        _graph("snowflake"), [ColumnChange("RAW.EVENTS.CLICKS", "createdAt", "column_removed")]
    )
    assert found.names() == {"ANALYTICS.DailyClicks"}
    assert _graph("snowflake").columns_of("ANALYTICS.DailyClicks") == ["DAY", "CLICKS"]


def test_postgres_lateral_distinct_on_and_a_broken_view_kept_at_table_level() -> None:
    change = ColumnChange("app.invoices", "amount_cents", "column_type_changed")
    assert _carried("postgres", change) == {
        "reporting.account_top_invoice": ("amount_cents",),
        "reporting.latest_invoice": ("amount",),
    }
    found = impact(
        _graph("postgres"), [ColumnChange("app.accounts", "parent_id", "column_removed")]
    )
    assert found.names() == {"reporting.account_tree", "reporting.broken"}
    assert [(w.object, w.line) for w in found.warnings] == [("reporting.broken", 28)]


def test_tsql_brackets_top_and_cross_apply() -> None:
    change = ColumnChange("dbo.orderlines", "qty", "column_type_changed")
    assert _carried("tsql", change) == {"rpt.firstline": ("qty",)}
    found = impact(_graph("tsql"), [ColumnChange("dbo.orders", "status", "column_removed")])
    assert found.names() == {"rpt.toporders"}


def test_spark_lateral_view_explode_and_insert_overwrite() -> None:
    change = ColumnChange("lake.sessions", "pages", "column_type_changed")
    assert _carried("spark", change) == {"lake.page_views": ("page",)}
    change = ColumnChange("lake.sessions", "ended_at", "column_type_changed")
    assert _carried("spark", change) == {"lake.daily_users": ("day",)}


def test_one_statement_that_does_not_parse_loses_none_of_the_others_in_its_file() -> None:
    graph = LineageGraph("postgres")
    names = graph.add_sql(
        "f",
        "create view a as select x from t;\ncreate view b as select (y from t;\ncreate view c as select z from t",
    )
    assert names == ["a", "b", "c"]
    assert graph.graph.nodes["b"]["opaque"] and not graph.graph.nodes["c"]["opaque"]
    assert [(w.object, w.line) for w in graph.warnings] == [("b", 2)]


def test_sql_sqlglot_cannot_parse_into_a_statement_is_kept_at_table_level_with_a_warning() -> None:
    graph = LineageGraph("postgres")
    graph.add_sql("f", "CREATE VIEW v AS SELECT x FROM t FOR SYSTEM_TIME AS OF foo BAR BAZ")
    assert "v" in graph.objects() and graph.inputs("v") == ["t"]
    assert [w.object for w in graph.warnings] == ["v"]


def test_a_merge_from_a_table_reads_every_column_of_its_source() -> None:
    graph = LineageGraph("snowflake", schemas={"RAW.S": {"ID": "int", "V": "int"}})
    graph.add_sql(
        "m", "MERGE INTO T USING RAW.S ON T.ID = S.ID WHEN MATCHED THEN UPDATE SET T.V = S.V"
    )
    found = impact(graph, [ColumnChange("RAW.S", "V", "column_type_changed")])
    assert {a.name: a.columns for a in found.affected} == {"T": ("V",)}


def test_tsql_go_separates_batches_without_being_read_as_sql() -> None:
    graph = LineageGraph("tsql")
    names = graph.add_sql(
        "f", "CREATE VIEW a AS SELECT x FROM t\nGO\nCREATE VIEW b AS SELECT y FROM t\ngo"
    )
    assert names == ["a", "b"] and graph.warnings == []
