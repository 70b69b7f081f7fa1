"""Which columns of a product a consumer reads: named columns, or the columns a query reads."""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

from lineage.statements import parse_one
from service.errors import InvalidInput, SchemaParseError
from service.schema.model import Schema
from service.schema.names import folds, sqlglot_dialect, table_name


def qualified_columns(schema: Schema) -> set[str]:
    """Every `table.column` of a schema."""
    return {f"{t.name}.{c.name}" for t in schema.tables for c in t.columns}


def resolve_columns(names: Iterable[str], schema: Schema) -> list[str]:
    """Named columns as `table.column`; a bare name must belong to exactly one table.

    >>> from service.schema import parse_ddl
    >>> s = parse_ddl("CREATE TABLE shop.orders (id INT, amount INT)", "postgres")
    >>> resolve_columns(["ID", "shop.orders.amount"], s)
    ['shop.orders.amount', 'shop.orders.id']
    """
    column_fold, _ = folds(schema.dialect)
    known = qualified_columns(schema)
    resolved: set[str] = set()
    for name in names:
        if name in known:
            resolved.add(name)
            continue
        table, dot, column = name.rpartition(".")
        column = column_fold(column, False)
        if dot:
            candidates = [
                f"{t.name}.{column}"
                for t in schema.tables
                if t.name.lower() == table.lower() and t.column(column)
            ]
        else:
            candidates = [f"{t.name}.{column}" for t in schema.tables if t.column(column)]
        if len(candidates) != 1:
            problem = "names no column" if not candidates else "is ambiguous"
            raise InvalidInput(
                f"column {name!r} {problem} of the product",
                field="columns",
                column=name,
                known=sorted(known),
            )
        resolved.add(candidates[0])
    return sorted(resolved)


def _nested(schemas: Iterable[Schema]) -> dict[str, object]:
    """sqlglot's nested schema mapping (`db -> table -> column -> type`) of several schemas."""
    nested: dict[str, object] = {}
    for schema in schemas:
        for t in schema.tables:
            parts = t.name.split(".")
            node = nested
            for part in parts[:-1]:
                child = node.setdefault(part, {})
                assert isinstance(child, dict)
                node = child
            node[parts[-1]] = {c.name: "TEXT" for c in t.columns}
    return nested


def columns_read(sql: str, dialect: str, schemas: Iterable[Schema]) -> set[str]:
    """Every `table.column` of the given schemas that a SELECT reads (through `*` as well).

    >>> from service.schema import parse_ddl
    >>> s = parse_ddl("CREATE TABLE shop.orders (id INT, amount INT, note TEXT)", "postgres")
    >>> sorted(columns_read("SELECT o.id FROM shop.orders AS o WHERE amount > 0", "postgres", [s]))
    ['shop.orders.amount', 'shop.orders.id']
    """
    schemas = list(schemas)
    known = set().union(*(qualified_columns(s) for s in schemas)) if schemas else set()
    _, table_fold = folds(dialect)
    try:
        tree = parse_one(sql, sqlglot_dialect(dialect))
        if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
            tree = tree.expression
        if not isinstance(tree, exp.Query):
            raise SchemaParseError("not a query: expected SELECT ...", dialect=dialect)
        tree = qualify(
            tree,
            schema=_nested(schemas),
            dialect=sqlglot_dialect(dialect),
            validate_qualify_columns=False,
        )
        scopes = traverse_scope(tree)
    except (SqlglotError, RecursionError) as exc:
        raise SchemaParseError(
            f"cannot read the SQL: {exc or 'it nests too deeply'}", dialect=dialect
        ) from exc
    read: set[str] = set()
    for scope in scopes:
        for column in scope.columns:
            source = scope.sources.get(column.table)
            if isinstance(source, exp.Table):
                name = f"{table_name(source, table_fold)}.{column.name}"
                if name in known:
                    read.add(name)
    return read
