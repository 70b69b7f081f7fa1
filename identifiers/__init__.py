"""Identifiers as each SQL dialect resolves them: the one folding rule the diff and lineage share.

A leaf (it imports only sqlglot): `service.schema` folds the names of the DDL it reads
with it, `lineage` the names of the SQL, dbt manifests and OpenLineage events it reads, so
a product's `shop.orders.amount` and a view's `SHOP.ORDERS.AMOUNT` meet as one name.

Unquoted identifiers fold (Snowflake upper, Postgres lower, ...), quoted ones keep their
case, following sqlglot's normalisation strategy per dialect, split where a dialect's
columns and tables resolve differently (`COLUMN_STRATEGY`, `TABLE_STRATEGY`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sqlglot import exp
from sqlglot.dialects import DIALECT_MODULE_NAMES
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy
from sqlglot.errors import SqlglotError

GENERIC = "generic"
#: Common names of engines that sqlglot spells differently.
ALIASES = {"postgresql": "postgres", "sqlserver": "tsql", "mssql": "tsql", "synapse": "tsql"}
#: (name, quoted) -> the name as the dialect resolves it.
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


def canonical_dialect(dialect: str | None) -> str | None:
    """The canonical name of a user's spelling of a dialect (None or "" is generic), else None.

    >>> canonical_dialect("PostgreSQL"), canonical_dialect(None), canonical_dialect("nope")
    ('postgres', 'generic', None)
    """
    name = (dialect or GENERIC).strip().lower()
    name = ALIASES.get(name, name)
    return name if name in _known() else None


def sqlglot_dialect(dialect: str) -> str:
    """The sqlglot dialect name of a canonical dialect name."""
    return "" if dialect == GENERIC else dialect


@cache
def _make_fold(strategy: NormalizationStrategy, ascii_only: bool) -> Fold:
    # Each fold is one function (a fold runs for every name a reader meets).
    if strategy is NormalizationStrategy.CASE_SENSITIVE:
        return lambda name, quoted: name
    upper = strategy in (
        NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE,
        NormalizationStrategy.UPPERCASE,
    )
    always = strategy in (
        NormalizationStrategy.CASE_INSENSITIVE,
        NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE,
    )
    table = _ASCII_UPPER if upper else _ASCII_LOWER
    if upper and ascii_only:
        if always:
            return lambda name, quoted: name.upper() if name.isascii() else name.translate(table)
        return lambda name, quoted: (
            name if quoted else name.upper() if name.isascii() else name.translate(table)
        )
    if upper:
        if always:
            return lambda name, quoted: name.upper()
        return lambda name, quoted: name if quoted else name.upper()
    if ascii_only:
        if always:
            return lambda name, quoted: name.lower() if name.isascii() else name.translate(table)
        return lambda name, quoted: (
            name if quoted else name.lower() if name.isascii() else name.translate(table)
        )
    if always:
        return lambda name, quoted: name.lower()
    return lambda name, quoted: name if quoted else name.lower()


@cache
def folds(dialect: str | None) -> tuple[Fold, Fold]:
    """(column fold, table fold) of a dialect (canonical or sqlglot name; None: generic).

    >>> column, table = folds("snowflake")
    >>> column("Amount", False), column("Amount", True), table("orders", False)
    ('AMOUNT', 'Amount', 'ORDERS')
    """
    name = dialect or GENERIC
    d = Dialect.get_or_raise(sqlglot_dialect(name))
    base = d.normalization_strategy
    ascii_only = bool(getattr(d, "ASCII_ONLY_NORMALIZATION", False))
    return (
        _make_fold(COLUMN_STRATEGY.get(name, base), ascii_only),
        _make_fold(TABLE_STRATEGY.get(name, base), ascii_only),
    )


def ident_name(node: exp.Expr, fold: Fold) -> str:
    """The resolved name of an Identifier/Column/ColumnDef node."""
    ident = node
    while not isinstance(ident, exp.Identifier):
        inner = ident.this
        if not isinstance(inner, exp.Expr):
            return str(ident.name)
        ident = inner
    return fold(ident.this, bool(ident.args.get("quoted")))


def table_name(table: exp.Table, fold: Fold) -> str:
    """A table's qualified name as written, each part resolved: `shop.orders`."""
    parts = [table.args.get(k) for k in ("catalog", "db", "this")]
    return ".".join(ident_name(p, fold) for p in parts if isinstance(p, exp.Expression))


def object_name(table: exp.Table | str, dialect: str | None) -> str:
    """The resolved, dot-joined name of a table reference (SQL text or a parsed Table).

    >>> object_name("Shop.Orders", "snowflake")
    'SHOP.ORDERS'
    >>> object_name('shop."Orders"', "postgres")
    'shop.Orders'
    """
    if isinstance(table, str):
        try:
            parsed = exp.to_table(table, dialect=dialect)
        except SqlglotError:
            return table
    else:
        parsed = table
    return ".".join(ident_name(part, folds(dialect)[1]) for part in parsed.parts)


def column_name(column: str, dialect: str | None) -> str:
    """The resolved name of a column written as an identifier (kept as is when it is none).

    >>> column_name("Status", "mysql"), column_name("Status", "postgres")
    ('status', 'status')
    >>> column_name("Status", "snowflake"), column_name("Status", "clickhouse")
    ('STATUS', 'Status')
    """
    try:
        identifier = exp.parse_identifier(column, dialect=dialect)
    except SqlglotError:
        return column
    return folds(dialect)[0](identifier.this, bool(identifier.args.get("quoted")))


def fold_columns(node: exp.Expr, dialect: str | None) -> exp.Expr:
    """Resolve every identifier under `node` as the dialect resolves column names (mutates it).

    Only where `COLUMN_STRATEGY` splits a dialect's strategy does this differ from sqlglot's
    `normalize_identifiers` (which the caller has already applied): call it on trees whose
    table names have already been taken out.
    """
    if (dialect or GENERIC) in COLUMN_STRATEGY:
        fold = folds(dialect)[0]
        for identifier in node.find_all(exp.Identifier):
            identifier.set("this", fold(identifier.this, bool(identifier.args.get("quoted"))))
    return node
