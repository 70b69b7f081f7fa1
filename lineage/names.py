"""Object and column names as a dialect resolves them, and the rule for partial references.

Names are stored as the dialect resolves them: unquoted identifiers fold (Snowflake upper,
Postgres lower, ...), quoted ones keep their case, parts are joined with dots
(``SHOP.ORDERS``). A reference written with fewer parts than the object it means
(``orders`` for ``shop.orders``) resolves by this rule, in order:

1. the exact name;
2. the name prefixed with the graph's default schema (and catalog), when one is set;
3. the only known object whose trailing parts equal the reference's parts
   (compared case-insensitively); two or more candidates are ambiguous and the
   reference stays as written.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers


def table_name(table: exp.Table | str, dialect: str | None) -> str:
    """The dialect-resolved, dot-joined name of a table reference.

    >>> table_name("Shop.Orders", "snowflake")
    'SHOP.ORDERS'
    >>> table_name('shop."Orders"', "postgres")
    'shop.Orders'
    """
    if isinstance(table, str):
        try:
            parsed = exp.to_table(table, dialect=dialect)
        except SqlglotError:
            return table
    else:
        parsed = table.copy()
    parsed = normalize_identifiers(parsed, dialect=dialect)
    return ".".join(part.name for part in parsed.parts)


#: Dialects whose column names resolve case-insensitively (quoted or not) although sqlglot
#: treats their identifiers as case-sensitive (MySQL: only table names follow the file system).
COLUMNS_IGNORE_CASE = frozenset({"mysql"})


def column_name(column: str, dialect: str | None) -> str:
    """The dialect-resolved name of a column written as an (unquoted) identifier.

    >>> column_name("Status", "mysql"), column_name("Status", "postgres")
    ('status', 'status')
    >>> column_name("Status", "snowflake"), column_name("Status", "clickhouse")
    ('STATUS', 'Status')
    """
    if dialect in COLUMNS_IGNORE_CASE:
        return column.lower()
    try:
        return str(normalize_identifiers(column, dialect=dialect).name)
    except SqlglotError:
        return column


def fold_columns(node: exp.Expr, dialect: str | None) -> exp.Expr:
    """Resolve every identifier under `node` the way the dialect resolves column names.

    Only dialects in `COLUMNS_IGNORE_CASE` differ from sqlglot's `normalize_identifiers`
    (which the caller has already applied); for them every identifier is lower-cased, so
    call this on trees whose table names have already been taken out. Mutates `node`.
    """
    if dialect in COLUMNS_IGNORE_CASE:
        for identifier in node.find_all(exp.Identifier):
            identifier.set("this", identifier.this.lower())
    return node


def split(name: str) -> tuple[str, ...]:
    """The parts of a dot-joined name, case-folded for comparison."""
    return tuple(part.casefold() for part in name.split("."))


def is_suffix(short: str, long: str) -> bool:
    """Whether `short`'s parts are the trailing parts of `long` (case-insensitively)."""
    short_parts, long_parts = split(short), split(long)
    return len(short_parts) <= len(long_parts) and long_parts[-len(short_parts) :] == short_parts


class NameIndex:
    """Known object names, indexed by their last part for suffix resolution."""

    def __init__(self, default_schema: str | None = None) -> None:
        self.default_schema = default_schema
        self._by_last: dict[str, set[str]] = {}

    def add(self, name: str) -> None:
        """Remember a known object name."""
        self._by_last.setdefault(split(name)[-1], set()).add(name)

    def discard(self, name: str) -> None:
        """Forget an object name (nothing happens when it is not known)."""
        self._by_last.get(split(name)[-1], set()).discard(name)

    def add_all(self, names: Iterable[str]) -> None:
        """Remember several known object names."""
        for name in names:
            self.add(name)

    def candidates(self, name: str) -> set[str]:
        """Every known name that `name` is a (case-insensitive) suffix of, or equal to."""
        return {known for known in self._by_last.get(split(name)[-1], ()) if is_suffix(name, known)}

    def related(self, name: str) -> set[str]:
        """Known names that `name` may denote or be denoted by (suffix either way)."""
        return {
            known
            for known in self._by_last.get(split(name)[-1], ())
            if is_suffix(name, known) or is_suffix(known, name)
        }

    def resolve(self, name: str) -> str | None:
        """The one known object `name` refers to by the module's rule, or None if none or many."""
        found = self.candidates(name)
        if name in found:
            return name
        if self.default_schema and "." not in name:
            qualified = f"{self.default_schema}.{name}"
            if qualified in found:
                return qualified
            found = {known for known in found if is_suffix(qualified, known)} or found
        return next(iter(found)) if len(found) == 1 else None
