"""Which graph objects and columns a change names, one read per column, and the Markdown output."""

from __future__ import annotations

from lineage import Affected, ColumnChange, Impact, LineageGraph, LineageWarning, Read, impact

ORDERS = {"raw.orders": {"id": "int", "status": "text"}}


def test_a_known_schema_table_does_not_hide_the_readers_of_the_longer_name_it_denotes() -> None:
    graph = LineageGraph("postgres", schemas=ORDERS)
    graph.add_sql("stg", "create view analytics.stg as select id, status from analytics.raw.orders")
    found = impact(graph, [ColumnChange("raw.orders", "status", "column_removed")])
    assert found.names() == {"analytics.stg"}
    assert [w.reason for w in found.warnings] == [
        "analytics.raw.orders taken as the changed table raw.orders (partial name match)"
    ]


def test_readers_of_the_exact_and_the_partial_name_are_both_reached() -> None:
    graph = LineageGraph("postgres", schemas=ORDERS)
    graph.add_sql("a", "create view a as select status from raw.orders")
    graph.add_sql("b", "create view b as select status from analytics.raw.orders")
    found = impact(graph, [ColumnChange("raw.orders", "status", "column_removed")])
    assert found.names() == {"a", "b"}


def test_two_longer_names_are_ambiguous_and_neither_is_taken() -> None:
    graph = LineageGraph("postgres", schemas=ORDERS)
    graph.add_sql("a", "create view a as select status from one.raw.orders")
    graph.add_sql("b", "create view b as select status from two.raw.orders")
    found = impact(graph, [ColumnChange("raw.orders", "status", "column_removed")])
    assert found.names() == set()


def test_mysql_column_names_resolve_case_insensitively_on_both_sides() -> None:
    graph = LineageGraph("mysql")
    graph.add_sql("t", "CREATE TABLE shop.orders (Id INT, `Status` VARCHAR(20))")
    graph.add_sql(
        "v",
        "CREATE VIEW shop.v AS SELECT O.ID, o_status FROM (SELECT STATUS AS o_status, id FROM shop.orders) AS O",
    )
    assert graph.columns_of("shop.orders") == ["id", "status"]
    found = impact(graph, [ColumnChange("shop.orders", "status", "column_removed")])
    assert [str(read) for read in found.affected[0].reads] == ["shop.orders.status (projected)"]


def test_mysql_table_names_keep_their_case() -> None:
    graph = LineageGraph("mysql")
    graph.add_sql("v", "CREATE VIEW v AS SELECT id FROM Shop.Orders")
    assert "Shop.Orders" in graph.objects()


def test_case_insensitive_dialects_fold_columns_as_sqlglot_does() -> None:
    for dialect in ("bigquery", "duckdb", "spark", "tsql"):
        graph = LineageGraph(dialect, schemas={"shop.orders": {"id": "int", "status": "text"}})
        graph.add_sql("v", "CREATE VIEW shop.v AS SELECT Id, STATUS FROM shop.orders")
        found = impact(graph, [ColumnChange("shop.orders", "status", "column_removed")])
        assert found.names() == {"shop.v"}, dialect
        assert graph.columns_of("shop.v") == ["id", "status"], dialect


def test_a_star_view_reads_each_column_once_by_name() -> None:
    graph = LineageGraph("postgres", schemas=ORDERS)
    graph.add_sql("v", "create view v as select * from raw.orders")
    for kind in ("column_removed", "column_type_changed"):
        (hit,) = impact(graph, [ColumnChange("raw.orders", "status", kind)]).affected
        assert [str(read) for read in hit.reads] == ["raw.orders.status (projected)"], kind


def test_a_star_over_unknown_columns_still_reads_the_column_through_the_star() -> None:
    graph = LineageGraph("postgres")
    graph.add_sql("v", "create view v as select * from raw.orders")
    (hit,) = impact(graph, [ColumnChange("raw.orders", "status", "column_removed")]).affected
    assert [str(read) for read in hit.reads] == ["raw.orders.status (star)"]


def test_warnings_about_unaffected_objects_only_come_with_all_warnings() -> None:
    graph = LineageGraph("postgres", schemas=ORDERS)
    graph.add_sql("a", "create view a as select status from raw.orders")
    graph.add_sql("b", "create view b as select nope from elsewhere join other on x = y")
    graph.warnings.append(LineageWarning("invalid JSON: x", "events.ndjson", 3))
    change = ColumnChange("raw.orders", "status", "column_removed")
    assert [w.file for w in impact(graph, [change]).warnings] == ["events.ndjson"]
    every = impact(graph, [change], all_warnings=True).warnings
    assert {w.object for w in every} == {None, "b"}


def test_markdown_escapes_pipes_and_backticks_in_names() -> None:
    item = Affected(
        "odd|name", "view", (Read("t`x", "a|b", "projected"),), ("c`d",), 1, ("t`x", "odd|name")
    )
    table_row = Impact((item,)).to_markdown().splitlines()[4]
    assert table_row.startswith(r"| `odd\|name` | view | 1 | no | `` t`x.a\|b (projected) `` |")
    assert table_row.endswith(r"| `` c`d `` | t\`x → odd\|name |")
    assert table_row.replace(r"\|", "").count("|") == 8
