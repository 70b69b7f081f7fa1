"""Names and types of a schema written back as one dialect's SQL nodes."""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

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


def data_type(column_type: ColumnType, dialect: str) -> exp.DataType | None:
    """A column type as the dialect spells it; None for a column without a type (SQLite)."""
    text, read = render_type(column_type, dialect), sqlglot_dialect(dialect)
    if not text.strip():
        return None
    try:
        return exp.DataType.build(text, dialect=read)
    except (ParseError, TokenError, ValueError):
        pass
    try:  # a user-defined type: `public.order_status`, `SYSUDTLIB.INT`
        return exp.DataType.build(text, dialect=read, udt=True)
    except (ParseError, TokenError, ValueError):
        return None


def cast(node: exp.Expr, column_type: ColumnType, dialect: str) -> exp.Expr:
    """`CAST(node AS type)` in the dialect's spelling of the type (the node, without one)."""
    to = data_type(column_type, dialect)
    return node if to is None else exp.Cast(this=node, to=to)


def write(node: exp.Expr, dialect: str) -> str:
    """A node as the dialect's SQL, laid out for people."""
    return node.sql(dialect=sqlglot_dialect(dialect), pretty=True, copy=False)
