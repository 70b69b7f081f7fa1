"""Dialect resolution and identifier folding (sqlglot's normalisation rules, as fast lookups)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy

from service.errors import SchemaParseError

GENERIC = "generic"
Fold = Callable[[str, bool], str]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

# Where a dialect's columns and tables resolve differently, sqlglot's one strategy is split:
# MySQL column names are case-insensitive on every platform (table names follow the file
# system, which sqlglot models as case-sensitive); BigQuery table names are case-sensitive.
COLUMN_STRATEGY = {"mysql": NormalizationStrategy.CASE_INSENSITIVE}
TABLE_STRATEGY = {"bigquery": NormalizationStrategy.CASE_SENSITIVE}


def dialect_names() -> list[str]:
    """Every dialect name accepted (sqlglot's, plus `generic` for its default dialect)."""
    return sorted([GENERIC, *(name for name in Dialect.classes if name)])


def resolve_dialect(dialect: str | None) -> str:
    """The canonical dialect name for a user's spelling; unknown names raise SchemaParseError."""
    name = (dialect or GENERIC).strip().lower()
    if name == GENERIC or name in Dialect.classes:
        return name
    raise SchemaParseError(
        f"unknown dialect {dialect!r}; valid dialects: {', '.join(dialect_names())}",
        dialect=dialect,
    )


def sqlglot_dialect(dialect: str) -> str:
    """The sqlglot dialect name of a canonical dialect name."""
    return "" if dialect == GENERIC else dialect


@cache
def _make_fold(strategy: NormalizationStrategy, ascii_only: bool) -> Fold:
    def lower(name: str) -> str:
        return name.translate(_ASCII_LOWER) if ascii_only else name.lower()

    def upper(name: str) -> str:
        return name.translate(_ASCII_UPPER) if ascii_only else name.upper()

    if strategy is NormalizationStrategy.CASE_SENSITIVE:
        return lambda name, quoted: name
    if strategy is NormalizationStrategy.CASE_INSENSITIVE:
        return lambda name, quoted: lower(name)
    if strategy is NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE:
        return lambda name, quoted: upper(name)
    if strategy is NormalizationStrategy.UPPERCASE:
        return lambda name, quoted: name if quoted else upper(name)
    return lambda name, quoted: name if quoted else lower(name)


@cache
def folds(dialect: str) -> tuple[Fold, Fold]:
    """(column fold, table fold) of a dialect: (name, quoted) -> resolved name."""
    d = Dialect.get_or_raise(sqlglot_dialect(dialect))
    base = d.normalization_strategy
    ascii_only = bool(getattr(d, "ASCII_ONLY_NORMALIZATION", False))
    return (
        _make_fold(COLUMN_STRATEGY.get(dialect, base), ascii_only),
        _make_fold(TABLE_STRATEGY.get(dialect, base), ascii_only),
    )


def ident_name(node: exp.Expression, fold: Fold) -> str:
    """The resolved name of an Identifier/Column/ColumnDef node."""
    ident = node
    while not isinstance(ident, exp.Identifier):
        inner = ident.this
        if not isinstance(inner, exp.Expression):
            return str(ident.name)
        ident = inner
    return fold(ident.this, bool(ident.args.get("quoted")))


def table_name(table: exp.Table, fold: Fold) -> str:
    """A table's qualified name as written, each part resolved: `shop.orders`."""
    parts = [table.args.get(k) for k in ("catalog", "db", "this")]
    return ".".join(ident_name(p, fold) for p in parts if isinstance(p, exp.Expression))


def normalise_expression(node: exp.Expression, dialect: str, fold: Fold) -> str:
    """SQL of an expression in the dialect, identifiers resolved, so spelling is no change."""
    node = node.copy()
    for ident in node.find_all(exp.Identifier):
        name = fold(ident.this, bool(ident.args.get("quoted")))
        # A resolved name that an unquoted spelling would also produce needs no quotes.
        plain = name.isidentifier() and fold(name, False) == name
        ident.set("this", name)
        ident.set("quoted", not plain)
    return node.sql(sqlglot_dialect(dialect))
