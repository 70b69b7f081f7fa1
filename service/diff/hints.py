"""Rename hints as people write them (`TABLE.OLD=NEW`), resolved against the old schema."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from service.errors import InvalidInput
from service.schema.model import Schema
from service.schema.names import folds, sqlglot_dialect


def _parts(text: str, dialect: str) -> list[tuple[str, bool]]:
    try:
        column = exp.to_column(text.strip(), dialect=sqlglot_dialect(dialect))
    except (ParseError, TokenError, ValueError) as e:
        raise InvalidInput(f"cannot read the name {text!r}: {e}") from e
    return [(str(p.this), bool(p.args.get("quoted"))) for p in column.parts]


def resolve_renames(hints: Iterable[str], old: Schema) -> dict[str, str]:
    """Turn `OLD=NEW` hints into the resolved `renames` mapping that diff_schemas takes.

    `shop.orders=shop.orders_v2` renames a table when `shop.orders` is a table of the
    old schema; otherwise the last dotted part is a column: `shop.orders.id=order_id`.
    Unquoted names fold as the schema's dialect folds them; quoted ones keep their case.

    >>> from service.schema import parse_ddl
    >>> old = parse_ddl("CREATE TABLE Shop.Orders (Id INT)", "snowflake")
    >>> resolve_renames(["shop.orders.id=order_id", "shop.orders=shop.orders_v2"], old)
    {'SHOP.ORDERS.ID': 'ORDER_ID', 'SHOP.ORDERS': 'SHOP.ORDERS_V2'}
    """
    column_fold, table_fold = folds(old.dialect)
    tables = old.by_name
    resolved: dict[str, str] = {}
    for hint in hints:
        left, eq, right = hint.partition("=")
        if not eq or not left.strip() or not right.strip():
            raise InvalidInput(f"rename {hint!r} is not of the form TABLE.OLD=NEW")
        parts = _parts(left, old.dialect)
        as_table = ".".join(table_fold(name, quoted) for name, quoted in parts)
        new_parts = _parts(right, old.dialect)
        if as_table in tables:
            resolved[as_table] = ".".join(table_fold(n, q) for n, q in new_parts)
            continue
        if len(parts) < 2:
            raise InvalidInput(f"rename {hint!r}: {as_table} is not a table of the old schema")
        table = ".".join(table_fold(n, q) for n, q in parts[:-1])
        if table not in tables:
            raise InvalidInput(f"rename {hint!r}: {table} is not a table of the old schema")
        column = column_fold(*parts[-1])
        if tables[table].column(column) is None:
            raise InvalidInput(f"rename {hint!r}: {table} has no column {column}")
        if len(new_parts) != 1:
            raise InvalidInput(f"rename {hint!r}: a column's new name takes no table prefix")
        resolved[f"{table}.{column}"] = column_fold(*new_parts[0])
    return resolved


def resolve_rename_map(renames: Mapping[str, str] | None, old: Schema) -> dict[str, str]:
    """The API's `{"OLD": "NEW"}` hints resolved exactly as the CLI's `--rename OLD=NEW`."""
    return resolve_renames((f"{k}={v}" for k, v in (renames or {}).items()), old)
