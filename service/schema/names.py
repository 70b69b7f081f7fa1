"""Dialect resolution for the schema readers (an unknown dialect is a SchemaParseError), SQL
writing, and the identifier folding of `identifiers`, which lineage shares."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

# The folding is the one rule lineage shares (`identifiers`); the schema's modules import
# it from here, under the names they always have.
from identifiers import (
    ALIASES,
    COLUMN_STRATEGY,
    GENERIC,
    TABLE_STRATEGY,
    Fold,
    canonical_dialect,
    dialect_names,
    folds,
    ident_name,
    sqlglot_dialect,
    table_name,
)
from service.errors import SchemaParseError

__all__ = [
    "ALIASES",
    "COLUMN_STRATEGY",
    "GENERIC",
    "TABLE_STRATEGY",
    "Fold",
    "dialect_names",
    "folds",
    "ident_name",
    "normalise_expression",
    "resolve_dialect",
    "sql_writer",
    "sqlglot_dialect",
    "table_name",
]


def resolve_dialect(dialect: str | None) -> str:
    """The canonical dialect name for a user's spelling; unknown names raise SchemaParseError."""
    name = canonical_dialect(dialect)
    if name is not None:
        return name
    raise SchemaParseError(
        f"unknown dialect {dialect!r}; valid dialects: {', '.join(dialect_names())}",
        dialect=dialect,
    )


def sql_writer(dialect: str) -> Callable[[exp.Expression], str]:
    """A function writing expressions as the dialect's SQL, reusing one generator (per call site)."""
    generator = Dialect.get_or_raise(sqlglot_dialect(dialect)).generator()
    return lambda node: generator.generate(node, copy=False)


def normalise_expression(
    node: exp.Expression, fold: Fold, write: Callable[[exp.Expression], str]
) -> str:
    """SQL of an expression with identifiers resolved, so spelling is no change (mutates node)."""
    while isinstance(node, exp.Paren):  # DEFAULT (1) is DEFAULT 1
        node = node.this
    for ident in node.find_all(exp.Identifier):
        name = fold(ident.this, bool(ident.args.get("quoted")))
        # A resolved name that an unquoted spelling would also produce needs no quotes.
        plain = name.isidentifier() and fold(name, False) == name
        ident.set("this", name)
        ident.set("quoted", not plain)
    return write(node)
