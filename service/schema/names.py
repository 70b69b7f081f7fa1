"""Dialect resolution and identifier folding (sqlglot's normalisation rules, as fast lookups)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sqlglot import exp
from sqlglot.dialects import DIALECT_MODULE_NAMES
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy

from service.errors import SchemaParseError

GENERIC = "generic"
# Common names of engines that sqlglot spells differently.
ALIASES = {"postgresql": "postgres", "sqlserver": "tsql", "mssql": "tsql", "synapse": "tsql"}
Fold = Callable[[str, bool], str]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

# Where a dialect's columns and tables resolve differently, sqlglot's one strategy is split:
# MySQL column names are case-insensitive on every platform (table names follow the file
# system, which sqlglot models as case-sensitive); BigQuery table names are case-sensitive.
COLUMN_STRATEGY = {"mysql": NormalizationStrategy.CASE_INSENSITIVE}
TABLE_STRATEGY = {"bigquery": NormalizationStrategy.CASE_SENSITIVE}


@cache
def _known() -> frozenset[str]:
    # sqlglot's list of its dialect modules (each named as its dialect): reading
    # Dialect.classes instead would import every dialect, a second of CPU per process.
    return frozenset([GENERIC, *DIALECT_MODULE_NAMES])


def dialect_names() -> list[str]:
    """Every dialect name accepted (sqlglot's, plus `generic` for its default dialect)."""
    return sorted(_known())


def resolve_dialect(dialect: str | None) -> str:
    """The canonical dialect name for a user's spelling; unknown names raise SchemaParseError."""
    name = (dialect or GENERIC).strip().lower()
    name = ALIASES.get(name, name)
    if name in _known():
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
        return name.lower() if not ascii_only or name.isascii() else name.translate(_ASCII_LOWER)

    def upper(name: str) -> str:
        return name.upper() if not ascii_only or name.isascii() else name.translate(_ASCII_UPPER)

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
