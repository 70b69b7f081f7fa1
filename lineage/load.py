"""Build a lineage graph from a path: SQL files, a dbt manifest, or OpenLineage events."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lineage.graph import LineageGraph
from lineage.model import LineageWarning
from lineage.statements import referenced_tables, statements, target_of


class LineageInputError(ValueError):
    """A path lineage cannot read at all (missing, unreadable, or of no known shape)."""


def load(
    path: Path | str,
    *,
    dialect: str | None = None,
    schemas: Mapping[str, Mapping[str, str]] | None = None,
    default_schema: str | None = None,
) -> LineageGraph:
    """Sniff a path (SQL directory, dbt manifest.json, OpenLineage .json/.ndjson) into a graph."""
    path = Path(path)
    if not path.exists():
        raise LineageInputError(f"{path}: no such file or directory")
    graph = LineageGraph(dialect, default_schema=default_schema, schemas=schemas)
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    sql_files = [file for file in files if file.suffix.lower() == ".sql" and file.is_file()]
    json_files = [f for f in files if f.suffix.lower() in (".json", ".ndjson") and f.is_file()]
    if not sql_files and not json_files:
        raise LineageInputError(f"{path}: no .sql, manifest .json or OpenLineage events found")
    if sql_files:
        add_sql_files(graph, sql_files, base=path if path.is_dir() else path.parent)
    for file in json_files:
        _add_json_file(graph, file)
    return graph


def _read(file: Path) -> str:
    """A file's text, or a clear error."""
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LineageInputError(f"{file}: cannot read: {error}") from error


def _documents(file: Path, text: str) -> Iterator[tuple[int, Any]]:
    """(line, document) for a JSON file or each non-blank line of an NDJSON file.

    A line that is not JSON yields its `json.JSONDecodeError` (with the file's line number)
    in place of the document, so one bad line loses none of the others.
    """
    if file.suffix.lower() == ".ndjson":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as error:
                    yield number, error
        return
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        yield error.lineno, error
        return
    if isinstance(document, list):
        yield from ((1, item) for item in document)
    else:
        yield 1, document


def _add_json_file(graph: LineageGraph, file: Path) -> None:
    """Add a dbt manifest or OpenLineage events; anything else is a warning, not a crash."""
    for line, document in _documents(file, _read(file)):
        try:
            _add_document(graph, file, line, document)
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            reason = f"malformed document: {type(error).__name__}: {error}"
            graph.warnings.append(LineageWarning(reason, str(file), line))


def _add_document(graph: LineageGraph, file: Path, line: int, document: Any) -> None:
    """Add one JSON document by its shape."""
    if isinstance(document, json.JSONDecodeError):
        graph.warnings.append(LineageWarning(f"invalid JSON: {document.msg}", str(file), line))
    elif isinstance(document, dict) and "nodes" in document and "metadata" in document:
        graph.add_dbt_manifest(document)
    elif isinstance(document, dict) and ("eventType" in document or "run" in document):
        graph.add_openlineage_event(document)
    else:
        graph.warnings.append(
            LineageWarning("neither a dbt manifest nor an OpenLineage event", str(file), line)
        )


def add_sql_files(graph: LineageGraph, files: list[Path], *, base: Path) -> None:
    """Add SQL files in dependency order (DDL first, then each view after what it reads)."""
    parsed: dict[str, tuple[Path, list[exp.Expr]]] = {}
    order = nx.DiGraph()
    defines: dict[str, str] = {}
    reads: dict[str, set[str]] = {}
    for file in files:
        label = file.relative_to(base).as_posix()
        parsed_ok = []
        for found in statements(_read(file), graph.dialect):
            if found.expression is None:
                error = found.error or SqlglotError("does not parse")
                graph.add_unparsed(file.stem, found.text, graph.dialect, error, origin=label)
            else:
                parsed_ok.append(found.expression)
        parsed[label] = (file, parsed_ok)
        order.add_node(label)
        reads[label] = set()
        for statement in parsed_ok:
            target = target_of(statement, file.stem, graph.dialect)
            if target is None:
                continue
            name, _, query, _ = target
            graph.names.add(name)
            defines.setdefault(name, label)
            if query is not None:
                reads[label] |= referenced_tables(query, graph.dialect)
    for label, tables in reads.items():
        for table in tables:
            upstream = defines.get(graph.names.resolve(table) or table)
            if upstream and upstream != label:
                order.add_edge(upstream, label)
    for label in _ordered(graph, order):
        file, expressions = parsed[label]
        for statement in expressions:
            graph.add_statement(statement, file.stem, graph.dialect, origin=label)


def _ordered(graph: LineageGraph, order: Any) -> list[str]:
    """Files in dependency order; a cycle is reported and its files taken in name order."""
    try:
        return list(nx.lexicographical_topological_sort(order))
    except nx.NetworkXUnfeasible:
        cycle = " -> ".join(edge[0] for edge in nx.find_cycle(order))
        graph.warnings.append(LineageWarning(f"files depend on each other in a cycle: {cycle}"))
        return sorted(order.nodes)


__all__ = ["LineageInputError", "add_sql_files", "load"]
