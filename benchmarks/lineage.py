"""Lineage: ingesting generated views against merely parsing them; impact against a plain BFS."""

from __future__ import annotations

import gc
import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import sqlglot

from lineage import ColumnChange, LineageGraph, impact

COLUMNS = [f"c{index}" for index in range(8)]


def _best(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The fastest of `repeat` runs in CPU seconds (a shared machine's load does not count)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        result = function()
        best = min(best, time.process_time() - start)
    return best, result


def generated_views(
    count: int, seed: int = 7
) -> tuple[dict[str, dict[str, str]], list[tuple[str, str]]]:
    """Base tables and `count` views over them and each other: joins, CTEs, stars, filters."""
    rng = random.Random(seed)
    schemas = {f"raw.t{index}": dict.fromkeys(COLUMNS, "int") for index in range(20)}
    objects = list(schemas)
    views = []
    for index in range(count):
        name = f"mart.v{index}"
        left, right = rng.sample(objects[-200:], 2)
        shape = index % 4
        if shape == 0:
            sql = f"CREATE VIEW {name} AS SELECT * FROM {left} WHERE c1 > {index}"
        elif shape == 1:
            sql = (
                f"CREATE VIEW {name} AS SELECT a.c0, a.c2 + b.c3 AS c1, b.c4 AS c2, a.c5 AS c3, "
                f"b.c6 AS c4, a.c7 AS c5, b.c0 AS c6, a.c1 AS c7 FROM {left} AS a "
                f"JOIN {right} AS b ON a.c0 = b.c0 WHERE b.c5 IS NOT NULL"
            )
        elif shape == 2:
            sql = (
                f"CREATE VIEW {name} AS WITH agg AS (SELECT c0, SUM(c1) AS c1, MAX(c2) AS c2 "
                f"FROM {left} GROUP BY c0) SELECT agg.c0, agg.c1, agg.c2, r.c3, r.c4, r.c5, r.c6, "
                f"ROW_NUMBER() OVER (PARTITION BY r.c7 ORDER BY agg.c1) AS c7 "
                f"FROM agg JOIN {right} AS r ON r.c0 = agg.c0"
            )
        else:
            sql = (
                f"CREATE VIEW {name} AS SELECT c0, c1, c2, c3, c4, c5, c6, c7 FROM {left} "
                f"WHERE c2 IN (SELECT c2 FROM {right} WHERE c3 > 0) ORDER BY c4"
            )
        views.append((name, sql))
        objects.append(name)
    return schemas, views


def bench_ingest(count: int) -> list[str]:
    """Time to add `count` views to a graph, against sqlglot.parse_one on each."""
    schemas, views = generated_views(count)
    parse_time, _ = _best(lambda: [sqlglot.parse_one(sql) for _, sql in views], 2)

    def ingest() -> LineageGraph:
        graph = LineageGraph(schemas=schemas)
        for name, sql in views:
            graph.add_sql(name, sql)
        return graph

    ingest_time, graph = _best(ingest, 1)
    assert not graph.warnings, graph.warnings[:3]
    return [
        f"ingest {count} views: {ingest_time:.2f} s ({ingest_time / count * 1e3:.2f} ms/view); "
        f"parse only: {parse_time:.2f} s; ratio {ingest_time / parse_time:.1f}x",
    ]


def synthetic_graph(objects: int, seed: int = 11) -> LineageGraph:
    """Layers of objects with 9 columns each; every output column reads 9 upstream columns."""
    rng = random.Random(seed)
    graph = LineageGraph()
    width = max(objects // 20, 10)
    columns = [f"c{index}" for index in range(9)]
    layer = [graph.add_table(f"t{index}", columns) for index in range(width)]
    made = width
    while made < objects:
        current = []
        for _ in range(min(width, objects - made)):
            name = f"o{made}"
            inputs = rng.sample(layer, 3)
            projections = {
                out: [(table, column) for table in inputs for column in rng.sample(columns, 3)]
                for out in columns
            }
            uses = [(rng.choice(inputs), rng.choice(columns), "filtered") for _ in range(15)]
            graph.add_object(
                name, "view", columns, projections=projections, uses=uses, tables=inputs
            )
            current.append(name)
            made += 1
        layer = current
    return graph


def plain_bfs(succ: dict[Any, dict[Any, Any]], start: Any) -> int:
    """The floor: a breadth-first search over the same adjacency, counting reached nodes."""
    seen = {start}
    queue = deque([start])
    while queue:
        for successor in succ[queue.popleft()]:
            if successor not in seen:
                seen.add(successor)
                queue.append(successor)
    return len(seen)


def bench_impact(objects: int) -> list[str]:
    """Impact on a large graph, worst case and typical, against a plain BFS from the same node."""
    build_start = time.perf_counter()
    graph = synthetic_graph(objects)
    build = time.perf_counter() - build_start
    gc.collect()
    gc.freeze()
    nodes, edges = graph.graph.number_of_nodes(), graph.graph.number_of_edges()
    lines = [f"graph: {nodes:,} nodes, {edges:,} edges, built in {build:.1f} s"]
    succ = graph.graph._succ
    cases = [
        ("worst case, type change at a root", ColumnChange("t0", "c0", "column_type_narrowed")),
        ("worst case, removal at a root", ColumnChange("t0", "c0", "column_removed")),
        (
            "typical, type change near the leaves",
            ColumnChange(_near_leaves(graph), "c3", "column_type_changed"),
        ),
    ]
    for label, change in cases:
        start = (change.table, change.column)
        impact_time = full_time = bfs_time = float("inf")
        for _ in range(5):  # interleaved, so all see the same machine load
            impact_time = min(impact_time, _best(lambda c=change: impact(graph, [c]), 1)[0])
            full_time = min(full_time, _best(lambda c=change: _with_reads(graph, c), 1)[0])
            bfs_time = min(bfs_time, _best(lambda s=start: plain_bfs(succ, s), 1)[0])
        found = impact(graph, [change])
        reached = plain_bfs(succ, start)
        reads = sum(len(item.reads) for item in found.affected)
        lines.append(
            f"impact, {label}: {impact_time * 1e3:.1f} ms for {len(found.affected):,} affected "
            f"objects; with all {reads:,} reads and columns collected: {full_time * 1e3:.1f} ms; "
            f"plain BFS ({reached:,} nodes): {bfs_time * 1e3:.1f} ms; "
            f"ratio {impact_time / bfs_time:.2f}x ({full_time / bfs_time:.2f}x with reads)"
        )
    gc.unfreeze()
    return lines


def _with_reads(graph: LineageGraph, change: ColumnChange) -> int:
    """Impact with every affected object's reads and columns collected (as JSON output does)."""
    return sum(len(item.reads) + len(item.columns) for item in impact(graph, [change]).affected)


def _near_leaves(graph: LineageGraph) -> str:
    """An object about three layers above the leaves."""
    objects = graph.objects()
    return objects[int(len(objects) * 0.85)]


def run(quick: bool = False) -> list[str]:
    """Both benchmarks; `quick` uses small sizes."""
    return bench_ingest(200 if quick else 2000) + bench_impact(1_000 if quick else 10_000)
