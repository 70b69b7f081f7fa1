"""Feeding the graph incrementally: SQL, consumers, names, and the errors it reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage import ColumnChange, LineageGraph, LineageInputError, impact, load

ORDERS = {"shop.orders": {"id": "int", "customer_id": "int", "amount": "numeric", "status": "text"}}


def _names(graph: LineageGraph, *changes: ColumnChange) -> set[str]:
    return impact(graph, changes).names()


def test_a_view_reading_lower_case_names_matches_a_snowflake_change_in_upper_case() -> None:
    graph = LineageGraph("snowflake")
    graph.add_sql("v", "create view mart.v as select id, amount from shop.orders")
    assert _names(graph, ColumnChange("SHOP.ORDERS", "AMOUNT", "column_type_narrowed")) == {
        "MART.V"
    }


def test_quoted_identifiers_keep_their_case_in_postgres() -> None:
    graph = LineageGraph("postgres")
    graph.add_sql("v", 'create view v as select "OrderId", orderid from shop.orders')
    assert graph.columns_of("v") == ["OrderId", "orderid"]
    found = impact(graph, [ColumnChange("shop.orders", "OrderId", "column_type_changed")])
    assert [item.columns for item in found.affected] == [("OrderId",)]


def test_an_unqualified_reference_matches_a_change_on_the_qualified_table() -> None:
    graph = LineageGraph("postgres")
    graph.add_sql("v", "create view v as select id from orders")
    found = impact(graph, [ColumnChange("shop.orders", "id", "column_removed")])
    assert found.names() == {"v"}
    assert [w.reason for w in found.warnings] == [
        "orders taken as the changed table shop.orders (partial name match)"
    ]


def test_a_reference_resolves_through_the_default_schema_when_two_tables_share_a_name() -> None:
    schemas = {"shop.orders": {"id": "int"}, "archive.orders": {"id": "int"}}
    graph = LineageGraph("postgres", default_schema="shop", schemas=schemas)
    graph.add_sql("v", "create view v as select id from orders")
    assert graph.inputs("v") == ["shop.orders"]
    assert _names(graph, ColumnChange("archive.orders", "id", "column_removed")) == set()


def test_an_ambiguous_reference_without_default_schema_stays_as_written() -> None:
    schemas = {"shop.orders": {"id": "int"}, "archive.orders": {"id": "int"}}
    graph = LineageGraph("postgres", schemas=schemas)
    graph.add_sql("v", "create view v as select id from orders")
    assert graph.inputs("v") == ["orders"]


def test_a_view_can_be_added_before_the_view_it_reads() -> None:
    graph = LineageGraph("postgres", schemas=ORDERS)
    graph.add_sql("top", "create view top as select big_amount from big")
    graph.add_sql("big", "create view big as select amount as big_amount from shop.orders")
    found = impact(graph, [ColumnChange("shop.orders", "amount", "column_type_narrowed")])
    assert [(a.name, a.depth, a.path) for a in found.affected] == [
        ("big", 1, ("shop.orders", "big")),
        ("top", 2, ("shop.orders", "big", "top")),
    ]


def test_redefining_a_view_forgets_what_it_read_before() -> None:
    graph = LineageGraph("postgres", schemas=ORDERS)
    graph.add_sql("v", "create view v as select status from shop.orders")
    graph.add_sql("v", "create view v as select amount from shop.orders")
    assert _names(graph, ColumnChange("shop.orders", "status", "column_removed")) == set()
    assert _names(graph, ColumnChange("shop.orders", "amount", "column_removed")) == {"v"}


def test_consumers_read_listed_columns_or_everything() -> None:
    graph = LineageGraph("postgres", schemas=ORDERS)
    graph.add_consumer("finance", reads={"shop.orders": ["amount"]}, email="fin@example.com")
    graph.add_consumer("audit", "product", reads={"shop.orders": None})
    found = impact(graph, [ColumnChange("shop.orders", "amount", "column_type_narrowed")])
    assert {(a.name, a.kind) for a in found.affected} == {
        ("finance", "consumer"),
        ("audit", "product"),
    }
    assert _names(graph, ColumnChange("shop.orders", "status", "column_removed")) == {"audit"}


def test_a_consumer_running_sql_reads_the_columns_its_query_mentions() -> None:
    graph = LineageGraph("postgres", schemas=ORDERS)
    graph.add_consumer("ops", sql="select id from shop.orders where status = 'late'")
    found = impact(graph, [ColumnChange("shop.orders", "status", "column_nullability_relaxed")])
    assert [(r.column, r.how) for r in found.affected[0].reads] == [("status", "filtered")]
    assert _names(graph, ColumnChange("shop.orders", "amount", "column_removed")) == set()


def test_insert_select_and_create_table_as_define_tables_with_positional_columns() -> None:
    graph = LineageGraph(
        "postgres", schemas={**ORDERS, "mart.totals": {"who": "int", "total": "int"}}
    )
    graph.add_sql(
        "load",
        "insert into mart.totals select customer_id, sum(amount) from shop.orders group by 1",
    )
    graph.add_sql("ctas", "create table mart.copy as select id as order_id from shop.orders")
    found = impact(graph, [ColumnChange("shop.orders", "amount", "column_type_changed")])
    assert [(a.name, a.kind, a.columns) for a in found.affected] == [
        ("mart.totals", "table", ("total",))
    ]
    assert graph.columns_of("mart.copy") == ["order_id"]


def test_a_view_with_a_column_list_renames_its_outputs() -> None:
    graph = LineageGraph("postgres", schemas=ORDERS)
    graph.add_sql("v", "create view v (a, b) as select id, amount from shop.orders")
    found = impact(graph, [ColumnChange("shop.orders", "amount", "column_type_changed")])
    assert found.affected[0].columns == ("b",)


def test_a_correlated_subquery_reads_the_outer_table() -> None:
    graph = LineageGraph(
        "postgres", schemas={**ORDERS, "shop.customers": {"id": "int", "name": "text"}}
    )
    graph.add_sql(
        "v",
        "create view v as select c.name from shop.customers c "
        "where exists (select 1 from shop.orders o where o.customer_id = c.id)",
    )
    assert _names(graph, ColumnChange("shop.orders", "customer_id", "column_removed")) == {"v"}
    assert _names(graph, ColumnChange("shop.customers", "id", "column_removed")) == {"v"}


def test_an_ambiguous_column_keeps_the_object_at_table_level_with_a_warning() -> None:
    graph = LineageGraph("postgres")
    graph.add_sql("v", "create view v as select amount from a join b on a.id = b.id")
    assert [(w.object, w.line) for w in graph.warnings] == [("v", 1)]
    assert "ambiguous" in graph.warnings[0].reason
    found = impact(graph, [ColumnChange("b", "anything", "column_type_changed")])
    assert found.names() == {"v"}
    assert found.warnings == tuple(graph.warnings)


def test_the_graph_renders_as_dot_mermaid_and_json() -> None:
    graph = LineageGraph("postgres", schemas=ORDERS)
    graph.add_sql("v", "create view v as select amount from shop.orders where status = 'x'")
    assert '"shop.orders" -> "v" [label="amount, status"];' in graph.to_dot()
    assert '  n0 -->|"amount, status"| n1' in graph.to_mermaid()
    document = json.loads(json.dumps(graph.to_json()))
    assert {
        "from": {"table": "shop.orders", "column": "status"},
        "to": {"table": "v", "column": None},
        "how": "filtered",
    } in document["column_edges"]


def test_loading_a_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LineageInputError, match="no such file"):
        load(tmp_path / "nope")
    with pytest.raises(LineageInputError, match=r"no \.sql"):
        load(tmp_path)


def test_json_that_is_neither_manifest_nor_event_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text('{"hello": 1}')
    (tmp_path / "bad.ndjson").write_text('{"eventType": "START"}\n{oops\n')
    graph = load(tmp_path)
    assert sorted((Path(w.file or "").name, w.line) for w in graph.warnings) == [
        ("bad.ndjson", 2),
        ("other.json", 1),
    ]


def test_consumer_columns_given_as_resolved_names_keep_their_case() -> None:
    graph = LineageGraph("postgres", schemas={"shop.orders": {"OrderId": "int", "amount": "int"}})
    graph.add_consumer("bi", reads={"shop.orders": ["OrderId", "AMOUNT"]})
    found = impact(graph, [ColumnChange("shop.orders", "OrderId", "column_removed")])
    assert found.names() == {"bi"}
    assert _names(graph, ColumnChange("shop.orders", "amount", "column_removed")) == {"bi"}


def test_several_changes_merge_into_one_entry_per_object_with_the_nearest_path() -> None:
    graph = LineageGraph("postgres", schemas=ORDERS)
    graph.add_sql("big", "create view big as select amount, status from orders")
    graph.add_sql("top", "create view top as select amount from big")
    found = impact(
        graph,
        [
            ColumnChange("shop.orders", "amount", "column_type_narrowed"),
            ColumnChange("shop.orders", "status", "column_removed"),
        ],
    )
    assert [(a.name, a.depth, a.stops_working, a.columns) for a in found.affected] == [
        ("big", 1, True, ("amount", "status")),
        ("top", 2, True, ("amount",)),
    ]
    assert len(found.warnings) == len(set(found.warnings))


def test_the_text_section_lists_a_few_reads_per_object_and_counts_the_rest() -> None:
    columns = {f"c{index}": "int" for index in range(12)}
    graph = LineageGraph("postgres", schemas={"t": columns})
    graph.add_consumer("wide", reads={"t": list(columns)})
    found = impact(
        graph, [ColumnChange("t", f"c{index}", "column_type_changed") for index in range(12)]
    )
    assert "and 4 more" in found.to_text()
    assert "and 4 more" in found.to_markdown()
    assert len(found.to_json()["affected"][0]["reads"]) == 12
