"""Who lineage sources say answers for an object: a dbt exposure's owner, the owners an
OpenLineage job declares; each affected object carries them, its job and its changes."""

from __future__ import annotations

from lineage import ColumnChange, LineageGraph, impact
from lineage.ingest_openlineage import job_contacts

PG = "postgres://db:5432"


def _event(outputs: list[dict[str, object]], owners: list[dict[str, str]]) -> dict[str, object]:
    return {
        "eventType": "COMPLETE",
        "run": {"runId": "1"},
        "job": {"namespace": "etl", "name": "daily", "facets": {"ownership": {"owners": owners}}},
        "inputs": [{"namespace": PG, "name": "shop.orders"}],
        "outputs": outputs,
    }


def _graph() -> LineageGraph:
    return LineageGraph("postgres", schemas={"shop.orders": {"id": "int", "amount": "int"}})


def test_a_job_owner_is_an_email_after_an_optional_scheme() -> None:
    facet = {
        "facets": {
            "ownership": {
                "owners": [
                    {"name": "user:ada@example.com", "type": "MAINTAINER"},
                    {"name": "team:data"},
                    {"name": "bo@example.com"},
                    {"type": "nameless"},
                ]
            }
        }
    }
    assert [(c.email, c.name) for c in job_contacts(facet)] == [
        ("ada@example.com", "user:ada@example.com"),
        (None, "team:data"),
        ("bo@example.com", "bo@example.com"),
    ]
    assert job_contacts({}) == ()


def test_an_affected_dataset_names_its_job_and_the_job_owner() -> None:
    graph = _graph()
    owners = [{"name": "user:ada@example.com", "type": "OWNER"}]
    graph.add_openlineage_event(_event([{"namespace": PG, "name": "etl.daily"}], owners))
    (found,) = impact(graph, [ColumnChange("shop.orders", "amount", "column_removed")]).affected
    assert (found.name, found.job) == ("etl.daily", "etl/daily")
    assert [c.email for c in found.contacts] == ["ada@example.com"]
    assert found.to_json()["contacts"] == [
        {"email": "ada@example.com", "name": "user:ada@example.com", "role": "job owner"}
    ]


def test_a_job_writing_nothing_is_itself_the_reader_of_its_inputs() -> None:
    graph = _graph()
    graph.add_openlineage_event(_event([], [{"name": "user:ada@example.com"}]))
    (found,) = impact(graph, [ColumnChange("shop.orders", "id", "column_type_narrowed")]).affected
    assert (found.name, found.kind, found.job) == ("etl/daily", "job", "etl/daily")


def test_an_exposure_carries_its_owner_and_the_changes_that_reach_it() -> None:
    graph = _graph()
    manifest = {
        "metadata": {"adapter_type": "postgres"},
        "nodes": {
            "model.p.m": {
                "resource_type": "model",
                "name": "m",
                "relation_name": "mart.m",
                "compiled_code": "select amount from shop.orders",
                "columns": {},
            }
        },
        "exposures": {
            "exposure.p.dash": {
                "name": "dash",
                "owner": {"name": "BI", "email": "bi@example.com"},
                "depends_on": {"nodes": ["model.p.m"]},
            }
        },
    }
    graph.add_dbt_manifest(manifest)
    changes = [
        ColumnChange("shop.orders", "id", "column_type_narrowed"),
        ColumnChange("shop.orders", "amount", "column_type_narrowed"),
    ]
    found = {a.name: a for a in impact(graph, changes).affected}
    assert set(found) == {"mart.m", "dash"}
    assert found["dash"].changes == (1,)
    assert [(c.email, c.role) for c in found["dash"].contacts] == [
        ("bi@example.com", "exposure owner")
    ]
    assert found["mart.m"].contacts == ()


def test_a_removed_reader_leaves_nothing_behind() -> None:
    graph = _graph()
    graph.add_object("sub:1", "subscription", [], uses=[("shop.orders", "amount", "read")])
    graph.add_object("sub:2", "subscription", [], star_tables=["shop.orders"])
    change = ColumnChange("shop.orders", "amount", "column_removed")
    assert impact(graph, [change]).names() == {"sub:1", "sub:2"}
    graph.remove_object("sub:1")
    graph.remove_object("sub:2")
    assert impact(graph, [change]).names() == set()
    assert "sub:2" not in graph.objects()
    assert graph.names.resolve("sub:1") is None
    assert "shop.orders" not in graph.wide_objects or not graph.graph.nodes["shop.orders"]["wide"]
