"""The lineage graph as JSON, Graphviz DOT and Mermaid."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lineage.graph import LineageGraph


def graph_json(lineage: LineageGraph) -> dict[str, Any]:
    """Objects (with inputs and columns) and column edges as a JSON-ready dict."""
    graph = lineage.graph
    objects = []
    for name in sorted(lineage.objects()):
        data = graph.nodes[name]
        extra = {
            key: value
            for key, value in data.items()
            if key not in {"kind", "columns", "known", "opaque", "wide"} and value is not None
        }
        objects.append(
            {
                "name": name,
                "kind": data["kind"],
                "columns": list(data["columns"]),
                "columns_known": data["known"],
                "table_level": data["opaque"],
                "inputs": [
                    {"table": upstream, "star": bool(graph.edges[upstream, name].get("star"))}
                    for upstream in sorted(lineage.inputs(name))
                ],
                **extra,
            }
        )
    edges = []
    for source, target, data in graph.edges(data=True):
        if not isinstance(source, tuple):
            continue
        if isinstance(target, tuple):
            hows = ["projected"]
            target_table, target_column = target
        else:
            hows, target_table, target_column = sorted(data["how"]), target, None
        for how in hows:
            edges.append(
                {
                    "from": {"table": source[0], "column": source[1]},
                    "to": {"table": target_table, "column": target_column},
                    "how": how,
                }
            )
    edges.sort(key=lambda edge: json.dumps(edge, sort_keys=True))
    return {
        "dialect": lineage.dialect,
        "objects": objects,
        "column_edges": edges,
        "warnings": [warning.to_json() for warning in lineage.warnings],
    }


def _labels(lineage: LineageGraph) -> dict[tuple[str, str], list[str]]:
    """For each object edge, the upstream columns it carries (sorted)."""
    labels: dict[tuple[str, str], set[str]] = {}
    for source, target in lineage.graph.edges():
        if isinstance(source, tuple):
            reader = target[0] if isinstance(target, tuple) else target
            labels.setdefault((source[0], reader), set()).add(source[1])
    return {key: sorted(value) for key, value in labels.items()}


def _object_edges(lineage: LineageGraph) -> list[tuple[str, str, str]]:
    """(upstream, reader, label) for every object-level edge, sorted."""
    labels = _labels(lineage)
    found = []
    for source, target, data in lineage.graph.edges(data=True):
        if isinstance(source, tuple):
            continue
        label = ", ".join(labels.get((source, target), []))
        if data.get("star"):
            label = f"*{', ' + label if label else ''}"
        elif data.get("opaque"):
            label = "all columns (unresolved)"
        found.append((source, target, label))
    return sorted(found)


def graph_dot(lineage: LineageGraph) -> str:
    """A Graphviz digraph of objects; edge labels name the columns read."""
    lines = ["digraph lineage {", "  rankdir=LR;", "  node [shape=box];"]
    for name in sorted(lineage.objects()):
        kind = lineage.kind_of(name)
        label = json.dumps(f"{name} ({kind})")
        lines.append(f"  {json.dumps(name)} [label={label}];")
    for source, target, label in _object_edges(lineage):
        lines.append(f"  {json.dumps(source)} -> {json.dumps(target)} [label={json.dumps(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_mermaid(lineage: LineageGraph) -> str:
    """A Mermaid flowchart of objects; edge labels name the columns read."""
    ids = {name: f"n{index}" for index, name in enumerate(sorted(lineage.objects()))}
    lines = ["flowchart LR"]
    for name, node_id in ids.items():
        text = f"{name} ({lineage.kind_of(name)})".replace('"', "#quot;")
        lines.append(f'  {node_id}["{text}"]')
    for source, target, label in _object_edges(lineage):
        text = label.replace('"', "#quot;").replace("|", "/")
        arrow = f'-->|"{text}"|' if text else "-->"
        lines.append(f"  {ids[source]} {arrow} {ids[target]}")
    return "\n".join(lines) + "\n"
