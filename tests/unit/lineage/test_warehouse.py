"""Impact over the fixture warehouse of views, in three dialects."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage import ColumnChange, LineageGraph, impact, load


def _load(fixtures_dir: Path, dialect: str) -> LineageGraph:
    return load(fixtures_dir / "lineage" / "warehouse" / dialect, dialect=dialect)


def _reach(
    graph: LineageGraph, *changes: ColumnChange, compatible: bool = False
) -> dict[str, tuple[int, bool, tuple[str, ...]]]:
    found = impact(graph, changes, include_compatible=compatible)
    return {item.name: (item.depth, item.stops_working, item.columns) for item in found.affected}


@pytest.fixture
def postgres(fixtures_dir: Path) -> LineageGraph:
    return _load(fixtures_dir, "postgres")


ALL_ORDERS = ("id", "customer_id", "amount", "status", "created_at")


def test_removing_a_column_used_only_in_a_where_stops_the_view_and_its_readers(
    postgres: LineageGraph,
) -> None:
    assert _reach(postgres, ColumnChange("shop.orders", "status", "column_removed")) == {
        "analytics.order_totals": (1, True, ("country", "revenue", "order_count")),
        "analytics.all_orders": (1, True, ALL_ORDERS),
        "analytics.late_orders": (1, True, ()),
        "analytics.discounts": (1, True, ()),
        "reporting.country_report": (2, True, ("country", "revenue")),
    }


def test_a_narrowed_type_reaches_only_readers_of_the_columns_that_carry_it(
    postgres: LineageGraph,
) -> None:
    assert _reach(postgres, ColumnChange("shop.orders", "amount", "column_type_narrowed")) == {
        "analytics.all_orders": (1, False, ("amount",)),
        "analytics.big_spenders": (1, False, ()),
        "analytics.customer_recency": (1, False, ("amount",)),
        "analytics.money_moves": (1, False, ("amount",)),
        "analytics.order_totals": (1, False, ("revenue",)),
        "analytics.late_orders": (1, False, ()),
        "analytics.discounts": (1, False, ()),
        "reporting.country_report": (2, False, ("revenue",)),
    }


def test_a_filter_only_column_is_reported_as_filtered(postgres: LineageGraph) -> None:
    found = impact(postgres, [ColumnChange("shop.orders", "amount", "column_type_narrowed")])
    spenders = next(item for item in found.affected if item.name == "analytics.big_spenders")
    assert [(r.table, r.column, r.how) for r in spenders.reads] == [
        ("shop.orders", "amount", "filtered")
    ]
    assert spenders.path == ("shop.orders", "analytics.big_spenders")


def test_a_type_change_on_a_column_that_only_orders_a_window_taints_the_window_output(
    postgres: LineageGraph,
) -> None:
    reach = _reach(postgres, ColumnChange("shop.orders", "created_at", "column_type_changed"))
    assert reach["analytics.customer_recency"] == (1, False, ("recency",))
    assert reach["analytics.money_moves"] == (1, False, ("moved_at",))
    assert "analytics.order_totals" not in reach


def test_a_change_in_the_second_branch_of_a_union_reaches_the_union(postgres: LineageGraph) -> None:
    assert _reach(postgres, ColumnChange("shop.refunds", "created_at", "column_removed")) == {
        "analytics.money_moves": (1, True, ("id", "amount", "moved_at")),
    }


def test_an_added_column_reaches_star_readers_and_table_level_objects_only_when_asked(
    postgres: LineageGraph,
) -> None:
    added = ColumnChange("shop.orders", "note", "column_added", breaking=False)
    assert _reach(postgres, added) == {}
    assert _reach(postgres, added, compatible=True) == {
        "analytics.all_orders": (1, False, ("note",)),
        "analytics.late_orders": (1, False, ()),
        "analytics.discounts": (1, False, ()),
    }


def test_removing_a_table_stops_every_reader_transitively(postgres: LineageGraph) -> None:
    assert set(_reach(postgres, ColumnChange("shop.customers", None, "table_removed"))) == {
        "analytics.big_spenders",
        "analytics.order_totals",
        "reporting.country_report",
    }


def test_files_that_do_not_parse_or_resolve_are_reported_with_file_and_line(
    postgres: LineageGraph,
) -> None:
    assert [(w.file, w.line, w.object) for w in postgres.warnings] == [
        ("late_orders.sql", 5, "analytics.late_orders"),
        ("discounts.sql", 3, "analytics.discounts"),
    ]
    assert postgres.warnings[0].reason.startswith("does not parse")
    assert "discount" in postgres.warnings[1].reason


def test_snowflake_names_fold_to_upper_case_and_unqualified_references_resolve(
    fixtures_dir: Path,
) -> None:
    graph = _load(fixtures_dir, "snowflake")
    assert graph.inputs("MART.LATEST_ORDERS") == ["SHOP.ORDERS"]
    assert _reach(graph, ColumnChange("SHOP.ORDERS", "CREATED_AT", "column_removed")) == {
        "MART.LATEST_ORDERS": (1, True, ("ID", "CUSTOMER_ID", "AMOUNT")),
        "ORDERS_COPY": (1, True, ("ID", "CUSTOMER_ID", "AMOUNT", "STATUS", "CREATED_AT")),
        "MART.CUSTOMER_VALUE": (2, True, ("NAME", "LAST_AMOUNT")),
    }


def test_snowflake_type_change_follows_a_view_over_a_view(fixtures_dir: Path) -> None:
    graph = _load(fixtures_dir, "snowflake")
    assert _reach(graph, ColumnChange("SHOP.ORDERS", "AMOUNT", "column_type_narrowed")) == {
        "MART.LATEST_ORDERS": (1, False, ("AMOUNT",)),
        "ORDERS_COPY": (1, False, ("AMOUNT",)),
        "MART.CUSTOMER_VALUE": (2, False, ("LAST_AMOUNT",)),
    }


def test_bigquery_star_except_and_derived_tables_resolve(fixtures_dir: Path) -> None:
    graph = _load(fixtures_dir, "bigquery")
    assert graph.warnings == []
    assert _reach(graph, ColumnChange("shop.orders", "amount", "column_type_changed")) == {
        "analytics.customer_orders": (1, False, ("amount",)),
        "analytics.daily_revenue": (1, False, ("revenue",)),
        "analytics.country_revenue": (2, False, ("revenue",)),
    }
    assert _reach(graph, ColumnChange("shop.orders", "status", "column_removed")) == {
        "analytics.customer_orders": (
            1,
            True,
            ("name", "id", "customer_id", "amount", "created_at"),
        ),
        "analytics.daily_revenue": (1, True, ("day", "revenue")),
        "analytics.country_revenue": (2, True, ("name", "revenue")),
    }


def test_bigquery_group_by_an_alias_is_reported_as_grouped(fixtures_dir: Path) -> None:
    graph = _load(fixtures_dir, "bigquery")
    found = impact(graph, [ColumnChange("shop.orders", "created_at", "column_type_changed")])
    daily = next(item for item in found.affected if item.name == "analytics.daily_revenue")
    assert {read.how for read in daily.reads} == {"grouped", "projected"}


def test_the_impact_renders_as_json_text_and_markdown(postgres: LineageGraph) -> None:
    found = impact(
        postgres, [ColumnChange("shop.customers", "country", "column_nullability_relaxed")]
    )
    assert found.to_json()["affected"] == [
        {
            "name": "analytics.order_totals",
            "kind": "view",
            "reads": [
                {"table": "shop.customers", "column": "country", "how": "projected"},
                {"table": "shop.customers", "column": "country", "how": "grouped"},
            ],
            "columns": ["country"],
            "depth": 1,
            "path": ["shop.customers", "analytics.order_totals"],
            "stops_working": False,
            "job": None,
            "contacts": [],
        },
        {
            "name": "reporting.country_report",
            "kind": "view",
            "reads": [{"table": "analytics.order_totals", "column": "country", "how": "projected"}],
            "columns": ["country"],
            "depth": 2,
            "path": ["shop.customers", "analytics.order_totals", "reporting.country_report"],
            "stops_working": False,
            "job": None,
            "contacts": [],
        },
    ]
    assert "reporting.country_report (view, depth 2" in found.to_text()
    assert "| `reporting.country_report` | view | 2 | no |" in found.to_markdown()


def test_a_change_one_view_filters_on_reaches_only_that_view(postgres: LineageGraph) -> None:
    found = impact(postgres, [ColumnChange("shop.customers", "email", "column_type_narrowed")])
    assert found.names() == {"analytics.big_spenders"}


def test_compatible_changes_are_left_out_unless_asked_for(postgres: LineageGraph) -> None:
    widened = ColumnChange("shop.refunds", "order_id", "column_type_widened", breaking=False)
    nothing = impact(postgres, [widened])
    assert nothing.affected == ()
    assert "nothing downstream" in nothing.to_text()
    assert impact(postgres, [widened], include_compatible=True).names() == {"analytics.money_moves"}
