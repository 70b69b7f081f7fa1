"""The dbt manifest and OpenLineage events as lineage sources."""

from __future__ import annotations

from pathlib import Path

from lineage import ColumnChange, impact, load


def test_a_dbt_manifest_builds_models_from_compiled_code_and_exposures_as_consumers(
    fixtures_dir: Path,
) -> None:
    graph = load(fixtures_dir / "lineage" / "dbt" / "manifest.json")
    assert graph.dialect is None  # the manifest reads in its adapter's dialect, fixing no other's
    kinds = {name: graph.kind_of(name) for name in graph.objects()}
    assert kinds == {
        "analytics.raw.orders": "source",
        "analytics.raw.customers": "source",
        "analytics.seeds.country_codes": "seed",
        "analytics.staging.stg_orders": "model",
        "analytics.staging.stg_customers": "model",
        "analytics.marts.customers": "model",
        "analytics.marts.orders": "model",
        "analytics.snapshots.customers_snapshot": "snapshot",
        "weekly_revenue": "exposure",
        "order_ops": "exposure",
    }
    assert graph.graph.nodes["weekly_revenue"]["email"] == "finance-analytics@example.com"
    assert graph.columns_of("analytics.marts.orders") == [
        "order_id",
        "customer_id",
        "amount",
        "status",
        "ordered_at",
        "customer_order_seq",
    ]


def test_a_dbt_type_change_reaches_models_and_the_exposures_reading_them(
    fixtures_dir: Path,
) -> None:
    graph = load(fixtures_dir / "lineage" / "dbt" / "manifest.json")
    found = impact(graph, [ColumnChange("raw.orders", "amount_cents", "column_type_narrowed")])
    assert {item.name: (item.kind, item.depth, item.columns) for item in found.affected} == {
        "analytics.staging.stg_orders": ("model", 1, ("amount",)),
        "analytics.marts.customers": ("model", 2, ("lifetime_value",)),
        "analytics.marts.orders": ("model", 2, ("amount",)),
        "order_ops": ("exposure", 3, ("amount",)),
        "weekly_revenue": ("exposure", 3, ("lifetime_value",)),
    }
    assert any("partial name" in warning.reason for warning in found.warnings)


def test_a_dbt_model_without_compiled_code_is_kept_at_table_level(fixtures_dir: Path) -> None:
    graph = load(fixtures_dir / "lineage" / "dbt" / "manifest.json")
    found = impact(graph, [ColumnChange("raw.customers", "email", "column_nullability_relaxed")])
    assert found.names() == {
        "analytics.staging.stg_customers",
        "analytics.marts.customers",
        "analytics.snapshots.customers_snapshot",
        "weekly_revenue",
    }
    assert [w.file for w in graph.warnings] == ["snapshot.jaffle.customers_snapshot"]


def test_removing_a_filtered_dbt_source_column_stops_everything_downstream(
    fixtures_dir: Path,
) -> None:
    graph = load(fixtures_dir / "lineage" / "dbt" / "manifest.json")
    found = impact(graph, [ColumnChange("analytics.raw.orders", "status", "column_removed")])
    assert {item.name: item.stops_working for item in found.affected} == {
        "analytics.staging.stg_orders": True,
        "analytics.marts.customers": True,
        "analytics.marts.orders": True,
        "order_ops": True,
        "weekly_revenue": True,
    }
    assert found.warnings == ()


def test_openlineage_column_lineage_separates_projections_from_filters(fixtures_dir: Path) -> None:
    graph = load(fixtures_dir / "lineage" / "openlineage", dialect="postgres")
    assert graph.columns_of("shop.orders") == [
        "id",
        "customer_id",
        "amount",
        "status",
        "created_at",
    ]
    narrowed = impact(graph, [ColumnChange("shop.orders", "amount", "column_type_narrowed")])
    assert [(a.name, a.depth, a.columns) for a in narrowed.affected] == [
        ("analytics.order_facts", 1, ("amount_usd",)),
        ("reporting.exec_summary", 2, ("day", "revenue")),
    ]
    removed = impact(graph, [ColumnChange("shop.orders", "status", "column_removed")])
    facts = removed.affected[0]
    assert (facts.name, facts.stops_working) == ("analytics.order_facts", True)
    assert [(r.column, r.how) for r in facts.reads] == [("status", "filtered")]


def test_an_openlineage_output_without_column_lineage_reads_every_input_column(
    fixtures_dir: Path,
) -> None:
    graph = load(fixtures_dir / "lineage" / "openlineage" / "exec_summary.json", dialect="postgres")
    assert graph.graph.nodes["reporting.exec_summary"]["opaque"] is True
    found = impact(
        graph, [ColumnChange("analytics.order_facts", "order_day", "column_type_changed")]
    )
    assert found.names() == {"reporting.exec_summary"}
