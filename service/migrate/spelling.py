"""Names and types of a schema written back as one dialect's SQL nodes."""

from __future__ import annotations

from sqlglot import exp

from service.schema.model import ColumnType
from service.schema.names import sqlglot_dialect
from service.schema.render import needs_quotes, render_type


def identifier(name: str, dialect: str, *, table: bool = False) -> exp.Identifier:
    """A resolved name as an identifier that the dialect reads back as that name."""
    return exp.to_identifier(name, quoted=needs_quotes(name, dialect, table))


def table_ref(name: str, dialect: str) -> exp.Table:
    """A resolved, dot-joined table name (`shop.orders`) as a table reference."""
    parts: list[exp.Identifier | None] = [
        identifier(part, dialect, table=True) for part in name.split(".")
    ]
    parts = [None, None, *parts]
    return exp.Table(this=parts[-1], db=parts[-2], catalog=parts[-3])


def data_type(column_type: ColumnType, dialect: str) -> exp.DataType:
    """A column type as the dialect spells it."""
    return exp.DataType.build(render_type(column_type, dialect), dialect=sqlglot_dialect(dialect))


def cast(node: exp.Expr, column_type: ColumnType, dialect: str) -> exp.Cast:
    """`CAST(node AS type)` in the dialect's spelling of the type."""
    return exp.Cast(this=node, to=data_type(column_type, dialect))


def write(node: exp.Expr, dialect: str) -> str:
    """A node as the dialect's SQL, laid out for people."""
    return node.sql(dialect=sqlglot_dialect(dialect), pretty=True, copy=False)
