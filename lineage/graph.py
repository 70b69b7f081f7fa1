"""The lineage graph: objects and their columns in one networkx DiGraph, fed incrementally.

Node keys: an object is its resolved name (``"SHOP.ORDERS"``); a column is a pair
``(object, column)``. Edges: ``object -> object`` (the reader depends on the
upstream; ``star`` / ``opaque`` flags say it reads every column), ``column ->
column`` (projected: the upstream value flows into the output column) and
``column -> object`` (used elsewhere: ``how`` is filtered, joined, grouped,
ordered, windowed or read).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from lineage.model import LineageWarning, Read
from lineage.names import NameIndex, column_name, table_name
from lineage.sql import QueryLineage, analyse
from lineage.statements import ddl_columns, parse_one, statement_line, statements, target_of

_NAME = r"([\w.\"`\[\]$]+)"
_REFERENCE = re.compile(rf"\b(?:from|join)\s+{_NAME}", re.IGNORECASE)
_DEFINES = re.compile(
    rf"\b(?:create\s+(?:or\s+replace\s+)?(?:\w+\s+)*?(?:view|table)\s+(?:if\s+not\s+exists\s+)?"
    rf"|insert\s+(?:into\s+)?){_NAME}",
    re.IGNORECASE,
)
#: Names a query defines for itself (CTEs), which a FROM may name but are no tables.
_LOCAL = re.compile(r"\b(\w+)\s+as\s*\(", re.IGNORECASE)
#: Words that follow FROM or JOIN without naming a table.
_NOT_TABLES = frozenset({"lateral", "unnest", "select", "table", "only", "flatten"})
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


class LineageGraph:
    """Tables, views, models, consumers, exposures, products and their columns, with how they read."""

    def __init__(
        self,
        dialect: str | None = None,
        *,
        default_schema: str | None = None,
        schemas: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.graph: Any = nx.DiGraph()
        self.dialect = dialect
        self.names = NameIndex(default_schema and table_name(default_schema, dialect))
        self.warnings: list[LineageWarning] = []
        #: One shared `Read(table, column, "projected")` per column node, made on first use:
        #: large impacts report hundreds of thousands of them.
        self.projected_reads: dict[tuple[str, str], Read] = {}
        #: Objects that have (or had) readers of every column (`SELECT *`, table level):
        #: impact's search looks for such readers only on these.
        self.wide_objects: set[str] = set()
        if schemas:
            self.add_schemas(schemas)

    # -- names ---------------------------------------------------------------------------------
    def resolve(self, name: str) -> str:
        """The known object a (possibly partial) resolved name refers to, else the name itself."""
        if name in self.graph:
            return name
        return self.names.resolve(name) or name

    def columns_of(self, name: str) -> list[str] | None:
        """The output columns of a known object, or None when they are not known."""
        data = self.graph.nodes.get(name)
        if not data or not data.get("known"):
            return None
        columns: list[str] = data["columns"]
        return columns

    def objects(self) -> list[str]:
        """Every object node's name."""
        return [node for node in self.graph if isinstance(node, str)]

    def inputs(self, name: str) -> list[str]:
        """The objects an object reads directly."""
        return [node for node in self.graph.predecessors(name) if isinstance(node, str)]

    def kind_of(self, name: str) -> str:
        """The kind of an object node (table, view, model, consumer, ...)."""
        kind: str = self.graph.nodes[name]["kind"]
        return kind

    # -- feeding -------------------------------------------------------------------------------
    def _ensure(self, name: str, *, kind: str = "table") -> dict[str, Any]:
        """The attribute dict of an object node, created as a bare reference if new."""
        if name not in self.graph:
            self.graph.add_node(name, kind=kind, columns=[], known=False, opaque=False)
            self.names.add(name)
        data: dict[str, Any] = self.graph.nodes[name]
        return data

    def _column(self, table: str, column: str) -> tuple[str, str]:
        """The column node of an object, noting the column on an object whose columns are unknown."""
        data = self._ensure(table)
        key = (table, column)
        if key not in self.graph:
            self.graph.add_node(key)
            if not data["known"] and column not in data["columns"]:
                data["columns"].append(column)
        return key

    def add_table(
        self,
        name: str,
        columns: Mapping[str, str] | Iterable[str] | None = None,
        kind: str = "table",
    ) -> str:
        """Declare a table (or any object) with known columns; names are taken as resolved."""
        data = self._ensure(name, kind=kind)
        data["kind"] = kind
        if columns is not None:
            data["columns"] = list(columns)
            data["known"] = True
            for column in data["columns"]:
                self._column(name, column)
        return name

    def document_columns(self, name: str, columns: Iterable[str], *, kind: str = "table") -> str:
        """Note columns that documentation names (a dbt `columns:` block) without taking them
        as the object's complete list: projects document some columns, not all, so a query
        naming another column still resolves, and what the object is known to hold stays."""
        self._ensure(name, kind=kind)
        for column in columns:
            self._column(name, column)
        return name

    def know(self, names: Iterable[str]) -> None:
        """Remember object names a later name may resolve to (before they are added)."""
        self.names.add_all(list(names))

    def describe(self, name: str, *, kind: str, **attributes: Any) -> None:
        """Set an object's kind and attributes (its unique id, origin, ...)."""
        self.graph.nodes[name].update(attributes, kind=kind)

    def add_schemas(self, schemas: Mapping[str, Mapping[str, str]]) -> None:
        """Declare upstream tables from a `table -> column -> type` mapping (names as resolved)."""
        for name, columns in schemas.items():
            self.add_table(name, columns)

    def _reset_inputs(self, name: str) -> None:
        """Forget what an object read before it is defined again (its readers stay)."""
        if name not in self.graph:
            return
        for upstream in list(self.graph.predecessors(name)):
            self.graph.nodes[upstream].get("wide", {}).pop(name, None)
            self.graph.remove_edge(upstream, name)
        for column in self.graph.nodes[name]["columns"]:
            if (name, column) in self.graph:
                self.graph.remove_edges_from(list(self.graph.in_edges((name, column))))

    def add_object(
        self,
        name: str,
        kind: str,
        columns: Sequence[str] | None = None,
        *,
        projections: Mapping[str, Iterable[tuple[str, str]]] | None = None,
        uses: Iterable[tuple[str, str, str]] = (),
        tables: Iterable[str] = (),
        star_tables: Iterable[str] = (),
        opaque: bool = False,
        **attributes: Any,
    ) -> str:
        """Add or redefine one object from resolved names: what each output column comes from."""
        self._reset_inputs(name)
        data = self._ensure(name, kind=kind)
        data.update(attributes, kind=kind, opaque=opaque)
        if columns is not None:
            data["columns"], data["known"] = list(columns), True
        stars = set(star_tables)
        uses = list(uses)
        inputs = set(tables) | stars | {table for table, _, _ in uses}
        for sources in (projections or {}).values():
            sources = list(sources)
            inputs |= {table for table, _ in sources}
        # Sorted so that edge order, and with it the order impact reports reads in, does
        # not depend on set iteration order (string hashing varies between processes).
        for table in sorted(inputs):
            upstream = self._ensure(table)
            self.graph.add_edge(table, name, star=table in stars, opaque=opaque)
            if table in stars or opaque:
                upstream.setdefault("wide", {})[name] = "star" if table in stars else "all"
                self.wide_objects.add(table)
        for column in data["columns"]:
            self._column(name, column)
        for output, sources in (projections or {}).items():
            target = self._column(name, output)
            for table, column in sorted(sources):
                self.graph.add_edge(self._column(table, column), target)
        for table, column, how in sorted(uses):
            key = self._column(table, column)
            edge = self.graph.get_edge_data(key, name)
            if edge is None:
                self.graph.add_edge(key, name, how={how})
            else:
                edge["how"].add(how)
                edge.pop("reads", None)  # impact's cached Reads of this use
        return name

    def remove_object(self, name: str) -> None:
        """Take an object, its columns and what it reads out of the graph (a reader that leaves).

        Only for objects nothing reads (a consumer, an exposure): readers of a removed
        object would lose their upstream.
        """
        if name not in self.graph:
            return
        self._reset_inputs(name)
        self.graph.remove_nodes_from(
            [(name, column) for column in self.graph.nodes[name]["columns"]]
        )
        self.graph.remove_node(name)
        self.names.discard(name)
        self.wide_objects.discard(name)

    def add_lineage(self, query: QueryLineage, **attributes: Any) -> str:
        """Add an object from one analysed query (its warnings go to the graph's)."""
        self.warnings.extend(query.warnings)
        return self.add_object(
            query.name,
            query.kind,
            query.columns if (query.columns or not (query.star_tables or query.opaque)) else None,
            projections=query.projections,
            uses=query.uses,
            tables=query.tables,
            star_tables=query.star_tables,
            opaque=query.opaque,
            **attributes,
        )

    def _analyse(
        self,
        name: str,
        kind: str,
        query: exp.Query,
        dialect: str | None,
        origin: str | None,
        **kw: Any,
    ) -> QueryLineage:
        """Analyse a query against what the graph already knows."""
        return analyse(
            name,
            kind,
            query,
            dialect=dialect,
            resolve=self.resolve,
            columns_of=self.columns_of,
            origin=origin,
            line=statement_line(query),
            **kw,
        )

    def add_statement(
        self,
        statement: exp.Expr,
        stem: str,
        dialect: str | None,
        *,
        kind: str | None = None,
        origin: str | None = None,
    ) -> str | None:
        """Add what one parsed statement defines (DDL, view, CTAS, INSERT ... SELECT, SELECT)."""
        if isinstance(statement, exp.Command) and _DEFINES.search(statement.sql(dialect)):
            error = SqlglotError("unsupported syntax")
            return self.add_unparsed(stem, statement.sql(dialect), dialect, error, origin=origin)
        target = target_of(statement, stem, dialect)
        if target is None:
            return None
        name, found_kind, query, declared = target
        name = self.resolve(name)
        if query is None:
            columns = ddl_columns(statement, dialect)
            return self.add_table(name, columns or None, kind=kind or found_kind)
        if not declared and isinstance(statement, exp.Insert):
            declared = self.columns_of(name) or []
        result = self._analyse(name, kind or found_kind, query, dialect, origin, declared=declared)
        return self.add_lineage(result, origin=origin)

    def add_sql(
        self,
        name: str,
        sql: str,
        dialect: str | None = None,
        *,
        kind: str | None = None,
        origin: str | None = None,
    ) -> list[str]:
        """Add every object a SQL text defines; a bare SELECT is named `name`. Returns the names."""
        dialect = dialect or self.dialect
        defined: list[str] = []
        added: str | None
        for statement in statements(sql, dialect):
            if statement.expression is None:
                error = statement.error or SqlglotError("does not parse")
                added = self.add_unparsed(
                    name, statement.text, dialect, error, kind=kind, origin=origin
                )
            else:
                added = self.add_statement(
                    statement.expression, name, dialect, kind=kind, origin=origin
                )
            if added:
                defined.append(added)
        return defined

    def add_unparsed(
        self,
        name: str,
        sql: str,
        dialect: str | None,
        error: Exception,
        *,
        kind: str | None = None,
        origin: str | None = None,
    ) -> str:
        """Keep SQL that does not parse at table level: it reads every column of what it names."""
        errors = getattr(error, "errors", None) or [{}]
        line = errors[0].get("line")
        reason = errors[0].get("description") or str(error).splitlines()[0]
        code = _COMMENT.sub(" ", sql)
        defines = _DEFINES.search(code)
        target = self.resolve(table_name(defines.group(1) if defines else name, dialect))
        local = {found.casefold() for found in _LOCAL.findall(code)} | _NOT_TABLES
        inputs = {
            self.resolve(table_name(found, dialect))
            for found in _REFERENCE.findall(code)
            if found.casefold() not in local
        }
        self.warnings.append(
            LineageWarning(f"does not parse: {reason}", origin or name, line, target)
        )
        return self.add_object(
            target, kind or "view", None, tables=inputs - {target}, opaque=True, origin=origin
        )

    def _column_name(self, table: str, column: str, dialect: str | None) -> str:
        """A column as given when the table knows it so (already resolved), else folded."""
        known = self.columns_of(table)
        if known and column in known:
            return column
        return column_name(column, dialect)

    def add_consumer(
        self,
        name: str,
        kind: str = "consumer",
        reads: Mapping[str, Sequence[str] | None] | None = None,
        *,
        sql: str | None = None,
        dialect: str | None = None,
        **attributes: Any,
    ) -> str:
        """Add a consumer (or exposure, product) reading given columns (None: all) or running SQL."""
        dialect = dialect or self.dialect
        uses: set[tuple[str, str, str]] = set()
        stars: set[str] = set()
        opaque = False
        for raw_table, columns in (reads or {}).items():
            table = self.resolve(table_name(raw_table, dialect))
            if columns is None:
                stars.add(table)
            else:
                uses |= {
                    (table, self._column_name(table, column, dialect), "read") for column in columns
                }
        if sql is not None:
            try:
                query = parse_one(sql, dialect)
            except (ParseError, SqlglotError) as error:
                self.add_unparsed(name, sql, dialect, error, kind=kind)
                return name
            if isinstance(query, exp.Query):
                result = self._analyse(name, kind, query, dialect, None)
                self.warnings.extend(result.warnings)
                named, whole = result.reads()
                uses |= named
                stars |= whole
                opaque = result.opaque
        return self.add_object(
            name, kind, [], uses=uses, star_tables=stars, opaque=opaque, **attributes
        )

    def add_dbt_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Add a dbt manifest's sources, models, seeds, snapshots and exposures."""
        from lineage.ingest_dbt import ingest_manifest

        ingest_manifest(self, manifest)

    def add_openlineage_event(self, event: Mapping[str, Any]) -> None:
        """Add one OpenLineage run event's datasets, schemas and column lineage."""
        from lineage.ingest_openlineage import ingest_event

        ingest_event(self, event)

    # -- output --------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Objects, column edges and warnings as a JSON-ready dict."""
        from lineage.render import graph_json

        return graph_json(self)

    def to_dot(self) -> str:
        """The object-level graph in Graphviz DOT, edges labelled with the columns they carry."""
        from lineage.render import graph_dot

        return graph_dot(self)

    def to_mermaid(self) -> str:
        """The object-level graph as a Mermaid flowchart."""
        from lineage.render import graph_mermaid

        return graph_mermaid(self)
