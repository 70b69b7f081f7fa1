"""Which downstream objects a set of column changes reaches, and through which columns.

Two kinds of reach. A change that makes queries fail (a removed or renamed column or
table) *stops* every object that mentions the column anywhere (projection, WHERE, JOIN,
GROUP BY, ORDER BY, window, ``SELECT *``, or a table-level reader), and every object
downstream of a stopped one stops too. Any other change (a narrowed or changed type,
new NULLs, removed enum values, an added column) is *carried*: it flows along
projected column edges only, so an object is affected when it reads a column that
carries the change, and only the output columns fed by such columns carry it further.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from lineage.graph import LineageGraph
from lineage.model import (
    STOPPING_KINDS,
    WIDENING_THE_SET,
    Affected,
    ColumnChange,
    Impact,
    LineageWarning,
    Read,
)
from lineage.names import is_suffix

ReadKey = tuple[str, str | None, str]


@dataclass(slots=True)
class _Hit:
    """What one change does to one object while the search runs."""

    depth: int
    path: tuple[str, ...]
    reads: set[ReadKey] = field(default_factory=set)
    projected: dict[tuple[str, str], None] = field(default_factory=dict)
    used: dict[tuple[str, str], tuple[Read, ...]] = field(default_factory=dict)
    reached: list[tuple[str, str]] = field(default_factory=list)
    columns: set[str] = field(default_factory=set)
    stops: bool = False


def impact(
    graph: LineageGraph, changes: Iterable[ColumnChange], *, include_compatible: bool = False
) -> Impact:
    """Every object the changes reach, nearest first, with reads, tainted columns and a path.

    >>> g = LineageGraph("postgres", schemas={"shop.orders": {"id": "int", "total": "int"}})
    >>> g.add_sql("big", "CREATE VIEW big AS SELECT id FROM shop.orders WHERE total > 10")
    ['big']
    >>> hit = impact(g, [ColumnChange("shop.orders", "total", "column_removed")]).affected[0]
    >>> hit.name, hit.depth, [str(read) for read in hit.reads], hit.stops_working
    ('big', 1, ['shop.orders.total (filtered)'], True)
    """
    merged: dict[str, _Hit] = {}
    warnings: list[LineageWarning] = []
    for change in changes:
        if not (change.breaking or include_compatible):
            continue
        for table in _match_tables(graph, change.table, warnings):
            column = _match_column(graph, table, change.column)
            if change.kind in STOPPING_KINDS:
                hits = _stop(graph, table, column)
            elif column is None:
                hits = _table_level(graph, table, change.kind)
            else:
                hits = _carry(graph, table, column, change.kind in WIDENING_THE_SET)
            _merge(merged, hits)
    affected = tuple(
        sorted((_affected(graph, name, hit) for name, hit in merged.items()), key=_order)
    )
    warnings += [w for w in graph.warnings if w.object in merged]
    return Impact(affected, tuple(dict.fromkeys(warnings)))


def _order(item: Affected) -> tuple[int, str]:
    """Nearest first, then by name."""
    return item.depth, item.name


def _match_tables(graph: LineageGraph, table: str, warnings: list[LineageWarning]) -> list[str]:
    """Graph objects a changed table may be: exact, partial references to it, or its one completion."""
    related = graph.names.related(table)
    exact = [table] if table in graph.graph else []
    shorter = sorted(name for name in related if name != table and is_suffix(name, table))
    longer = sorted(name for name in related if name != table and is_suffix(table, name))
    if not exact and not shorter and len(longer) == 1:
        shorter = longer
    for name in shorter:
        warnings.append(LineageWarning(f"{name} matched {table} by a partial name", object=name))
    return exact + shorter


def _match_column(graph: LineageGraph, table: str, column: str | None) -> str | None:
    """The column as the graph spells it (exact, else the one case-insensitive match)."""
    if column is None or (table, column) in graph.graph:
        return column
    folded = [
        name for name in graph.graph.nodes[table]["columns"] if name.casefold() == column.casefold()
    ]
    return folded[0] if len(folded) == 1 else column


def _stop(graph: LineageGraph, table: str, column: str | None) -> dict[str, _Hit]:
    """Objects that fail: those mentioning the column (or table), then all downstream of them."""
    succ: dict[Any, dict[Any, dict[str, Any]]] = graph.graph._succ
    hits: dict[str, _Hit] = {}

    def hit(name: str, read: ReadKey) -> None:
        found = hits.get(name)
        if found is None:
            found = hits[name] = _Hit(1, (table, name), stops=True)
        found.reads.add(read)

    if column is None:
        for reader in succ[table]:
            hit(reader, (table, None, "table"))
    else:
        for reader, data in succ.get((table, column), {}).items():
            if type(reader) is tuple:
                hit(reader[0], (table, column, "projected"))
            else:
                for how in data["how"]:
                    hit(reader, (table, column, how))
        for reader, wide in graph.graph._node[table].get("wide", {}).items():
            hit(reader, (table, column, wide))
    queue = deque(hits)
    while queue:
        name = queue.popleft()
        upstream = hits[name]
        for reader in succ[name]:
            if reader not in hits:
                hits[reader] = _Hit(
                    upstream.depth + 1,
                    (*upstream.path, reader),
                    {(name, None, "depends")},
                    stops=True,
                )
                queue.append(reader)
    return hits


def _table_level(graph: LineageGraph, table: str, kind: str) -> dict[str, _Hit]:
    """A table-level change that keeps queries working reaches the table's direct readers."""
    return {
        reader: _Hit(1, (table, reader), {(table, None, "table")})
        for reader in graph.graph._succ[table]
    }


def _carry(graph: LineageGraph, table: str, column: str, added: bool) -> dict[str, _Hit]:
    """Objects reading a column that carries the change, following projections only.

    Two passes keep the per-edge work of a plain breadth-first search: the first finds
    the column nodes that carry the change (one set test per edge); the second collects,
    for each object reached, the carrying upstream columns it reads and how.
    """
    succ: dict[Any, dict[Any, dict[str, Any]]] = graph.graph._succ
    nodes: dict[Any, dict[str, Any]] = graph.graph._node
    hits: dict[str, _Hit] = {}
    start = (table, column)
    seen: set[Any] = {start}
    queue = deque([start])
    paths: dict[str, tuple[str, ...]] = {table: (table,)}
    empty: dict[Any, dict[str, Any]] = {}
    mark, push, pop = seen.add, queue.append, queue.popleft
    while queue:
        node = pop()
        path = paths[node[0]]
        for reader in empty if added else succ.get(node, empty):
            if reader not in seen:
                mark(reader)
                if type(reader) is tuple:
                    push(reader)
                    found = hits.get(reader[0])
                    if found is None:
                        found = hits[reader[0]] = _Hit(len(path), (*path, reader[0]))
                        paths[reader[0]] = found.path
                    found.reached.append(reader)
                elif reader not in hits:
                    found = hits[reader] = _Hit(len(path), (*path, reader))
                    paths[reader] = found.path
        wide_readers = nodes[node[0]].get("wide")
        if wide_readers:
            _carry_wide(nodes, node, wide_readers, hits, paths, seen, queue)
    _collect_reads(graph, hits, seen)
    return hits


def _collect_reads(graph: LineageGraph, hits: dict[str, _Hit], seen: set[Any]) -> None:
    """For each object reached, the carrying columns it reads and the outputs they reach.

    Dicts, not sets, hold what is found: they keep the graph's (deterministic) order, so
    the reads need no sorting, and they hold the graph's own node keys, so nothing is built.
    """
    pred: dict[Any, dict[Any, dict[str, Any]]] = graph.graph._pred
    empty: dict[Any, dict[str, Any]] = {}
    carries = seen.__contains__
    for name, found in hits.items():
        reached = found.reached
        if reached:
            found.columns.update(key[1] for key in reached)
            upstream_columns = chain.from_iterable(pred.get(key, empty) for key in reached)
            found.projected.update(dict.fromkeys(filter(carries, upstream_columns)))
        edges = pred[name]
        for upstream in filter(carries, edges):
            if type(upstream) is tuple:
                found.used[upstream] = edges[upstream]["reads"]


def _carry_wide(
    nodes: dict[Any, dict[str, Any]],
    node: tuple[str, str],
    wide_readers: dict[str, str],
    hits: dict[str, _Hit],
    paths: dict[str, tuple[str, ...]],
    seen: set[Any],
    queue: deque[Any],
) -> None:
    """Readers of every column (star or table-level) of the object a carried column belongs to."""
    obj, col = node
    path = paths[obj]
    for reader, wide in wide_readers.items():
        found = hits.get(reader)
        if found is None:
            found = hits[reader] = _Hit(len(path), (*path, reader))
        if reader not in paths:
            paths[reader] = found.path
        found.reads.add((obj, col, wide))
        outputs = [col] if wide == "star" else nodes[reader]["columns"]
        for output in outputs:
            found.columns.add(output)
            key = (reader, output)
            if key not in seen:
                seen.add(key)
                queue.append(key)
                found.reached.append(key)


def _merge(merged: dict[str, _Hit], hits: dict[str, _Hit]) -> None:
    """Fold one change's hits into the running result (nearest path wins)."""
    for name, hit in hits.items():
        found = merged.get(name)
        if found is None:
            merged[name] = hit
            continue
        if hit.depth < found.depth:
            found.depth, found.path = hit.depth, hit.path
        found.reads |= hit.reads
        found.projected |= hit.projected
        found.used |= hit.used
        found.columns |= hit.columns
        found.stops = found.stops or hit.stops


def _affected(graph: LineageGraph, name: str, hit: _Hit) -> Affected:
    """The public value for one hit; an object that stops taints all its columns."""
    data = graph.graph._node[name]
    order = data["columns"]
    if hit.stops:
        columns = tuple(order)
    else:
        columns = tuple(c for c in order if c in hit.columns) + tuple(
            sorted(hit.columns.difference(order))
        )
    # Reads of projections come from one shared Read per column node; on large impacts they
    # outnumber the objects a hundred to one. Order: table-level and wide reads (sorted),
    # then projected columns, then other uses, each in the graph's order.
    reads = [Read(*read) for read in sorted(hit.reads, key=_read_key)]
    reads.extend(map(graph.projected_reads.__getitem__, hit.projected))
    reads.extend(chain.from_iterable(hit.used.values()))
    return Affected(name, data["kind"], tuple(reads), columns, hit.depth, hit.path, hit.stops)


def _read_key(read: ReadKey) -> tuple[str, str, str]:
    """Sort reads by table, column (a table-level read first), how."""
    return read[0], read[1] or "", read[2]
