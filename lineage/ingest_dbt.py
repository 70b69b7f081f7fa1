"""A dbt manifest (v10 to v12) into the lineage graph: sources, seeds, models, exposures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import networkx as nx
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError

from lineage.model import Contact, LineageWarning
from lineage.names import column_name, table_name
from lineage.statements import parse_one

if TYPE_CHECKING:
    from lineage.graph import LineageGraph

#: Resource types that publish a relation; tests, analyses and operations do not.
RELATIONS = {"model": "model", "seed": "seed", "snapshot": "snapshot", "source": "source"}


def manifest_dialect(manifest: Mapping[str, Any]) -> str | None:
    """The sqlglot dialect named by the manifest's adapter type, if sqlglot knows it."""
    adapter = str(manifest.get("metadata", {}).get("adapter_type") or "")
    try:
        Dialect.get_or_raise(adapter)
    except ValueError:
        return None
    return adapter or None


def relation(node: Mapping[str, Any], dialect: str | None) -> str:
    """The resolved name of the relation a node publishes (relation_name, else db.schema.alias)."""
    if node.get("relation_name"):
        return table_name(str(node["relation_name"]), dialect)
    parts = [node.get("database"), node.get("schema"), node.get("alias") or node.get("identifier")]
    written = ".".join(str(part) for part in parts if part) or str(node["name"])
    return table_name(written, dialect)


def _columns(node: Mapping[str, Any], dialect: str | None) -> dict[str, str]:
    """Declared columns and their data types (empty when the project declares none)."""
    return {
        column_name(str(column.get("name") or key), dialect): str(column.get("data_type") or "")
        for key, column in (node.get("columns") or {}).items()
    }


def ingest_manifest(graph: LineageGraph, manifest: Mapping[str, Any]) -> None:
    """Add every relation of a manifest in dependency order, then exposures as consumers."""
    # Each manifest in its own dialect (its adapter's), never fixing the graph's for others.
    dialect = manifest_dialect(manifest) or graph.dialect
    nodes = {**manifest.get("sources", {}), **manifest.get("nodes", {})}
    names = {
        uid: relation(node, dialect)
        for uid, node in nodes.items()
        if node.get("resource_type") in RELATIONS
    }
    graph.know(names.values())
    parents = manifest.get("parent_map") or {
        uid: node.get("depends_on", {}).get("nodes", []) for uid, node in nodes.items()
    }
    order = nx.DiGraph()
    order.add_nodes_from(names)
    order.add_edges_from(
        (p, uid) for uid, ps in parents.items() if uid in names for p in ps if p in names
    )
    try:
        ordered = list(nx.lexicographical_topological_sort(order))
    except nx.NetworkXUnfeasible:
        graph.warnings.append(LineageWarning("dbt manifest has a dependency cycle"))
        ordered = sorted(names)
    for uid in ordered:
        _add_relation(graph, uid, nodes[uid], names, parents.get(uid, []), dialect)
    for uid, exposure in (manifest.get("exposures") or {}).items():
        owner = exposure.get("owner") or {}
        reads: dict[str, list[str] | None] = {
            names[parent]: None
            for parent in exposure.get("depends_on", {}).get("nodes", [])
            if parent in names
        }
        graph.add_consumer(
            str(exposure.get("name") or uid),
            "exposure",
            reads,
            email=owner.get("email"),
            owner=owner.get("name"),
            url=exposure.get("url"),
            unique_id=uid,
            contacts=exposure_contacts(owner),
        )


def exposure_contacts(owner: Mapping[str, Any]) -> tuple[Contact, ...]:
    """The exposure's `owner` (``{"name", "email"}``) as its contact, when it names anyone.

    >>> exposure_contacts({"name": "Finance", "email": "fin@example.com"})
    (Contact(email='fin@example.com', name='Finance', role='exposure owner'),)
    """
    email = owner.get("email")
    name = owner.get("name")
    if not email and not name:
        return ()
    return (Contact(str(email) if email else None, str(name) if name else None, "exposure owner"),)


def _add_relation(
    graph: LineageGraph,
    uid: str,
    node: Mapping[str, Any],
    names: dict[str, str],
    parents: list[str],
    dialect: str | None,
) -> None:
    """One source, seed, model or snapshot: column lineage from compiled_code when present."""
    name, kind = names[uid], RELATIONS[str(node["resource_type"])]
    declared = _columns(node, dialect)
    attributes: dict[str, Any] = {"unique_id": uid, "origin": node.get("original_file_path")}
    upstream = {names[parent] for parent in parents if parent in names}
    code = node.get("compiled_code") or node.get("compiled_sql")
    if kind in ("source", "seed") or (kind != "model" and not code and not upstream):
        # Declared columns document a relation, they do not list it: a product's DDL or an
        # OpenLineage schema may know it whole, and a staging model may read a column the
        # project never documented.
        graph.document_columns(name, declared, kind=kind)
        graph.describe(name, kind=kind, **attributes)
        return
    query: exp.Expr | None = None
    if code:
        try:
            query = parse_one(str(code), dialect)
        except (ParseError, SqlglotError) as error:
            graph.add_unparsed(name, str(code), dialect, error, kind=kind, origin=uid)
            return
    if not isinstance(query, exp.Query):
        graph.warnings.append(
            LineageWarning("no compiled_code: kept at table level", uid, None, name)
        )
        graph.add_object(name, kind, None, tables=upstream, opaque=True, **attributes)
        graph.document_columns(name, declared, kind=kind)
        return
    result = graph._analyse(name, kind, query, dialect, uid)
    result.tables |= upstream
    graph.add_lineage(result, **attributes)
    graph.document_columns(name, declared, kind=kind)
