"""Lineage read against a seed of what a graph knows, then replayed on it (as the API reads
lineage in a worker process and applies it in its own), builds the very graph that reading
into it directly builds: same nodes, edges, attributes and warnings, input after input."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lineage import LineageGraph
from lineage.replay import Recorder, known_objects, replay

FIXTURES = Path(__file__).parents[3] / "fixtures" / "lineage"
Feed = Callable[[LineageGraph], object]


def _sql(path: Path, dialect: str) -> Feed:
    text = path.read_text()
    return lambda graph: graph.add_sql(path.stem, text, dialect)


def _dbt(path: Path) -> Feed:
    manifest = json.loads(path.read_text())
    return lambda graph: graph.add_dbt_manifest(manifest)


def _openlineage(path: Path) -> list[Feed]:
    text = path.read_text()
    lines = text.splitlines() if path.suffix == ".ndjson" else [text]
    events = [json.loads(line) for line in lines if line.strip()]
    return [lambda graph, event=event: graph.add_openlineage_event(event) for event in events]


def _state(graph: LineageGraph) -> tuple[Any, ...]:
    nodes = sorted(((repr(n), repr(sorted(d.items()))) for n, d in graph.graph.nodes(data=True)))
    edges = sorted(
        (repr(a), repr(b), repr(sorted(d.items()))) for a, b, d in graph.graph.edges(data=True)
    )
    return nodes, edges, list(graph.warnings), sorted(graph.wide_objects)


WAREHOUSE = sorted((FIXTURES / "warehouse" / "postgres").glob("*.sql"))
FEEDS: dict[str, list[Feed]] = {
    "postgres-views": [_sql(p, "postgres") for p in WAREHOUSE],
    "realworld": [
        _sql(FIXTURES / "realworld" / d / "views.sql", d)
        for d in ("postgres", "snowflake", "bigquery", "tsql", "spark")
    ],
    "dbt-then-openlineage": [
        _dbt(FIXTURES / "dbt" / "manifest.json"),
        _dbt(FIXTURES / "dbt_shop" / "manifest.json"),
        *_openlineage(FIXTURES / "openlineage" / "order_facts.ndjson"),
        *_openlineage(FIXTURES / "openlineage" / "exec_summary.json"),
        _sql(WAREHOUSE[0], "postgres"),
    ],
}


@pytest.mark.parametrize("name", list(FEEDS))
def test_replayed_lineage_is_the_lineage_read_directly(name: str) -> None:
    direct, replayed = LineageGraph(), LineageGraph()
    for feed in FEEDS[name]:
        feed(direct)
        shadow = Recorder(known_objects(replayed))
        feed(shadow)
        # what crosses back from the worker is pickled
        steps, warnings = pickle.loads(pickle.dumps((shadow.steps, shadow.warnings)))
        replay(replayed, steps)
        replayed.warnings.extend(warnings)
        assert _state(replayed) == _state(direct)
    assert direct.graph.number_of_edges() > 0


def test_only_the_outermost_change_is_recorded() -> None:
    shadow = Recorder()
    shadow.add_sql("v", "CREATE VIEW v AS SELECT a FROM t WHERE b > 0", "postgres")
    assert [step.op.value for step in shadow.steps] == ["add_object"]
