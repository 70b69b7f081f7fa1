"""Each lineage source keeps its own dialect: a Snowflake manifest does not fold the names of
a Postgres OpenLineage job read after it."""

from __future__ import annotations

from lineage import ColumnChange, LineageGraph, impact
from lineage.ingest_openlineage import dataset_dialect

SNOWFLAKE_MANIFEST = {
    "metadata": {"adapter_type": "snowflake", "project_name": "wh"},
    "nodes": {
        "model.wh.stg": {
            "resource_type": "model",
            "database": "wh",
            "schema": "mart",
            "name": "stg",
            "alias": "stg",
            "compiled_code": "select id from raw.events",
            "columns": {},
            "depends_on": {"nodes": []},
        }
    },
}


def _postgres_job() -> dict[str, object]:
    return {
        "eventType": "COMPLETE",
        "job": {"namespace": "etl", "name": "orders_daily"},
        "run": {"runId": "1"},
        "inputs": [{"namespace": "postgres://db:5432", "name": "shop.orders"}],
        "outputs": [
            {
                "namespace": "postgres://db:5432",
                "name": "shop.orders_daily",
                "facets": {
                    "columnLineage": {
                        "fields": {
                            "amount": {
                                "inputFields": [
                                    {
                                        "namespace": "postgres://db:5432",
                                        "name": "shop.orders",
                                        "field": "amount",
                                    }
                                ]
                            }
                        }
                    }
                },
            }
        ],
    }


def test_a_postgres_job_after_a_snowflake_manifest_keeps_postgres_names() -> None:
    graph = LineageGraph()
    graph.add_table("shop.orders", {"id": "BIGINT", "amount": "NUMERIC"})
    graph.add_dbt_manifest(SNOWFLAKE_MANIFEST)
    graph.add_openlineage_event(_postgres_job())
    assert graph.dialect is None
    assert "SHOP.ORDERS" not in graph.objects()
    reached = impact(graph, [ColumnChange("shop.orders", "amount", "column_removed")])
    assert [a.name for a in reached.affected] == ["shop.orders_daily"]


def test_a_dataset_namespace_names_its_dialect() -> None:
    assert dataset_dialect({"namespace": "snowflake://acme"}, None) == "snowflake"
    assert dataset_dialect({"namespace": "postgres://db:5432"}, "snowflake") == "postgres"
    assert dataset_dialect({"namespace": "s3://bucket"}, "bigquery") == "bigquery"
    assert dataset_dialect({}, None) is None
