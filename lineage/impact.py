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
    #: Upstream column -> the data of its use edge (``how``: a set; ``reads``: cached Reads).
    used: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    columns: set[str] = field(default_factory=set)
    stops: bool = False
    #: The carrying column nodes of each change that reached the object: its reads and
    #: tainted columns are collected from them only when asked for (see `_details`).
    seens: list[set[Any]] = field(default_factory=list)
    #: Positions of the changes that reached the object.
    changes: set[int] = field(default_factory=set)


def impact(
    graph: LineageGraph,
    changes: Iterable[ColumnChange],
    *,
    include_compatible: bool = False,
    all_warnings: bool = False,
) -> Impact:
    """Every object the changes reach, nearest first, with reads, tainted columns and a path.

    The warnings say which graph objects were taken to denote a changed table by a partial
    name, then what lineage could not resolve: about the affected objects and about no
    object in particular (a malformed document, a cycle), or, with `all_warnings`, all of
    it (anything unresolved may hide a reader, so a CI gate should show everything).
    Each `Affected`'s reads and columns are collected when first read: read them before
    changing the graph.

    >>> g = LineageGraph("postgres", schemas={"shop.orders": {"id": "int", "total": "int"}})
    >>> g.add_sql("big", "CREATE VIEW big AS SELECT id FROM shop.orders WHERE total > 10")
    ['big']
    >>> hit = impact(g, [ColumnChange("shop.orders", "total", "column_removed")]).affected[0]
    >>> hit.name, hit.depth, [str(read) for read in hit.reads], hit.stops_working
    ('big', 1, ['shop.orders.total (filtered)'], True)
    """
    merged: dict[str, _Hit] = {}
    warnings: list[LineageWarning] = []
    for position, change in enumerate(changes):
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
            for hit in hits.values():
                hit.changes.add(position)
            _merge(merged, hits)
    affected = tuple(
        sorted((_affected(graph, name, hit) for name, hit in merged.items()), key=_order)
    )
    warnings += [
        w for w in graph.warnings if all_warnings or w.object is None or w.object in merged
    ]
    return Impact(affected, tuple(dict.fromkeys(warnings)))


def _order(item: Affected) -> tuple[int, str]:
    """Nearest first, then by name."""
    return item.depth, item.name


def _match_tables(graph: LineageGraph, table: str, warnings: list[LineageWarning]) -> list[str]:
    """Every graph object that denotes a changed table: itself, partial references, completions.

    A partial reference (`orders` for `shop.orders`) and a completion (`analytics.raw.orders`,
    a dbt source, for `raw.orders`) both denote the table when its trailing parts match; a
    completion counts only when it is the one such object. Each non-exact match is a warning.
    """
    related = graph.names.related(table)
    exact = [table] if table in graph.graph else []
    shorter = sorted(name for name in related if name != table and is_suffix(name, table))
    longer = sorted(name for name in related if name != table and is_suffix(table, name))
    matched = shorter + (longer if len(longer) == 1 else [])
    warnings += [
        LineageWarning(
            f"{name} taken as the changed table {table} (partial name match)", object=name
        )
        for name in matched
    ]
    return exact + matched


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
    wide_objects = graph.wide_objects
    hits: dict[str, _Hit] = {}
    start = (table, column)
    seen: set[Any] = {start}
    queue = [start]  # a list read while it grows: a queue without popping
    paths: dict[str, tuple[str, ...]] = {table: (table,)}
    empty: dict[Any, dict[str, Any]] = {}
    for node in queue:
        for reader in empty if added else succ.get(node, empty):
            if reader not in seen:
                seen.add(reader)
                if type(reader) is tuple:
                    queue.append(reader)
                    name = reader[0]
                else:
                    name = reader
                if name not in hits:
                    path = paths[node[0]]
                    found = hits[name] = _Hit(len(path), (*path, name))
                    paths[name] = found.path
        if node[0] in wide_objects:
            wide_readers = nodes[node[0]].get("wide")
            if wide_readers:
                _carry_wide(nodes, node, wide_readers, hits, paths, seen, queue)
    for found in hits.values():
        found.seens.append(seen)
    return hits


def _collect_reads(graph: LineageGraph, name: str, found: _Hit, seen: set[Any]) -> None:
    """The carrying columns one reached object reads, and the outputs they reach.

    Dicts, not sets, hold what is found: they keep the graph's (deterministic) order, so
    the reads need no sorting, and they hold the graph's own node keys, so nothing is built.
    """
    pred: dict[Any, dict[Any, dict[str, Any]]] = graph.graph._pred
    carries = seen.__contains__  # filter() with it tests each in-edge in C
    projected = found.projected
    for output in graph.graph._node[name]["columns"]:
        key = (name, output)
        if key in seen:
            found.columns.add(output)
            upstreams = pred.get(key)
            if upstreams:
                projected.update(dict.fromkeys(filter(carries, upstreams)))
    uses = pred[name]
    for upstream in filter(carries, uses):
        if type(upstream) is tuple:
            found.used[upstream] = uses[upstream]


def _carry_wide(
    nodes: dict[Any, dict[str, Any]],
    node: tuple[str, str],
    wide_readers: dict[str, str],
    hits: dict[str, _Hit],
    paths: dict[str, tuple[str, ...]],
    seen: set[Any],
    queue: list[Any],
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
        found.seens += hit.seens
        found.changes |= hit.changes


def _affected(graph: LineageGraph, name: str, hit: _Hit) -> Affected:
    """The public value for one hit; its reads and columns are collected on first access."""
    data = graph.graph._node[name]
    return Affected(
        name,
        data["kind"],
        depth=hit.depth,
        path=hit.path,
        stops_working=hit.stops,
        later=lambda: _details(graph, name, hit),
        changes=tuple(sorted(hit.changes)),
        contacts=tuple(data.get("contacts", ())),
        job=data.get("job"),
    )


def _details(graph: LineageGraph, name: str, hit: _Hit) -> tuple[tuple[Read, ...], tuple[str, ...]]:
    """(reads, tainted columns) of one hit; an object that stops taints all its columns."""
    for seen in hit.seens:
        _collect_reads(graph, name, hit, seen)
    hit.seens = []
    order = graph.graph._node[name]["columns"]
    if hit.stops:
        columns = tuple(order)
    else:
        columns = tuple(c for c in order if c in hit.columns) + tuple(
            sorted(hit.columns.difference(order))
        )
    # Reads of projections come from one shared Read per column node; on large impacts they
    # outnumber the objects a hundred to one. Order: table-level and wide reads (sorted),
    # then projected columns, then other uses, each in the graph's order.
    make = tuple.__new__
    reads = [make(Read, read) for read in sorted(_one_read_each(hit), key=_read_key)]
    cache = graph.projected_reads
    reads += [
        cache[node] if node in cache else cache.setdefault(node, make(Read, (*node, "projected")))
        for node in hit.projected
    ]
    for node, edge in hit.used.items():
        # One tuple of Reads per use edge, made on first report (adding a use drops it).
        found = edge.get("reads")
        if found is None:
            found = edge["reads"] = tuple(make(Read, (*node, how)) for how in sorted(edge["how"]))
        reads += found
    return tuple(reads), columns


#: Reads through "every column" (``SELECT *``, a table-level reader): the weakest account.
_WIDE = frozenset({"star", "all"})


def _one_read_each(hit: _Hit) -> set[ReadKey]:
    """The hit's reads without a wide read of a column it also reads by name.

    A star view's output column is projected from its upstream column *and* read by the
    star; the named read says more, so it takes precedence (one read per column and how).
    """
    reads = hit.reads
    wide = [read for read in reads if read[2] in _WIDE and read[1] is not None]
    if not wide:
        return reads
    named = {(t, c) for t, c, how in reads if how not in _WIDE}
    named.update(hit.projected, hit.used)
    return reads.difference(read for read in wide if (read[0], read[1]) in named)


def _read_key(read: ReadKey) -> tuple[str, str, str]:
    """Sort reads by table, column (a table-level read first), how."""
    return read[0], read[1] or "", read[2]
