"""Which columns of a product a consumer reads: named columns, or the columns a query reads."""

from __future__ import annotations

from collections.abc import Iterable

from lineage.sql import QueryError
from lineage.sql import columns_read as lineage_columns_read
from service.errors import InvalidInput, SchemaParseError
from service.schema.model import Schema
from service.schema.names import folds, sqlglot_dialect


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


def columns_read(sql: str, dialect: str, schemas: Iterable[Schema]) -> set[str]:
    """Every `table.column` of the given schemas that a SELECT reads (through `*` as well).

    The reading is lineage's (`lineage.sql.columns_read`), the one reader of SQL; SQL that is
    no query is a SchemaParseError naming where.

    >>> from service.schema import parse_ddl
    >>> s = parse_ddl("CREATE TABLE shop.orders (id INT, amount INT, note TEXT)", "postgres")
    >>> sorted(columns_read("SELECT o.id FROM shop.orders AS o WHERE amount > 0", "postgres", [s]))
    ['shop.orders.amount', 'shop.orders.id']
    """
    tables = {t.name: [c.name for c in t.columns] for s in schemas for t in s.tables}
    try:
        read = lineage_columns_read(sql, sqlglot_dialect(dialect) or None, tables)
    except QueryError as exc:
        raise SchemaParseError(
            f"cannot read the SQL: {exc}", dialect=dialect, line=exc.line, column=exc.column
        ) from exc
    return {f"{table}.{column}" for table, column in read}
