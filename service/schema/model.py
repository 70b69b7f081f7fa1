"""The schema model every reader produces and the diff engine compares (frozen values)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter
from typing import Any

#: a column's (or any named value's) name, read in C
_NAME = attrgetter("name")


class TypeFamily(StrEnum):
    """Groups of types within which a change is a widening or narrowing, not a type change."""

    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    STRING = "string"
    BINARY = "binary"
    BOOLEAN = "boolean"
    DATE = "date"
    TIME = "time"
    TIMESTAMP = "timestamp"  # without time zone
    TIMESTAMP_TZ = "timestamp_tz"
    INTERVAL = "interval"
    JSON = "json"
    UUID = "uuid"
    ARRAY = "array"
    STRUCT = "struct"
    MAP = "map"
    ENUM = "enum"
    GEO = "geo"
    OTHER = "other"  # a type the engine does not model: diffs touching it are `unknown`


@dataclass(frozen=True, slots=True)
class ColumnType:
    """A column's type in canonical form: synonyms of one dialect compare equal.

    `name` is the canonical type name (upper case, e.g. BIGINT, VARCHAR, DECIMAL,
    TIMESTAMP). `length` is the character/byte length of strings and binaries (None:
    unbounded or dialect maximum); `precision`/`scale` are decimal digits, or the
    fractional-second digits of times and timestamps, or float bits. `bits` is the
    integer width (8, 16, 32, 64, 128). `values` are ENUM members in order; `args`
    the element types of ARRAY/MAP; `fields` the members of a STRUCT. `sql` is how the
    type is shown to people (the dialect's spelling) and takes no part in equality.
    """

    name: str
    family: TypeFamily
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    bits: int | None = None
    unsigned: bool = False
    values: tuple[str, ...] = ()
    args: tuple[ColumnType, ...] = ()
    fields: tuple[tuple[str, ColumnType], ...] = ()
    sql: str = field(default="", compare=False)
    #: The ODCS `logicalType` when the type was read from it alone (no physicalType).
    logical: str = ""

    def __str__(self) -> str:
        return self.sql or self.name


@dataclass(frozen=True, slots=True)
class Bound:
    """One interval of allowed values: `lo`..`hi`, each end open or closed (inf: unbounded)."""

    lo: float
    hi: float
    lo_closed: bool = True
    hi_closed: bool = True

    def within(self, other: Bound) -> bool:
        """True when every value of this interval lies in `other`."""
        lo_ok = other.lo < self.lo or (
            other.lo == self.lo and (other.lo_closed or not self.lo_closed)
        )
        hi_ok = self.hi < other.hi or (
            self.hi == other.hi and (other.hi_closed or not self.hi_closed)
        )
        return lo_ok and hi_ok


@dataclass(frozen=True, slots=True)
class QualityRule:
    """An ODCS `quality` rule, reduced to what can be compared between two versions.

    `key` matches a rule across versions (its `id`, else its `name`, else what it checks).
    `checks` is what the rule measures (type, metric, query, engine, unit, arguments) as
    text; `allowed` the values its operator accepts (None: no numeric operator, then
    `expected` holds the operator and value as text); `valid_values`/`invalid_values` its
    metric arguments; `severity` and `notes` (description, dimension, schedule...) the rest.
    """

    key: str
    label: str
    checks: str
    allowed: tuple[Bound, ...] | None = None
    expected: str | None = None
    valid_values: frozenset[str] | None = None
    invalid_values: frozenset[str] | None = None
    severity: str | None = None
    notes: str = ""
    #: How the rule is shown when not as its label and accepted values (options as written).
    shown: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class ServiceLevel:
    """An ODCS `slaProperties` entry as it applies to one table (and perhaps one column)."""

    #: The ODCS SLA `property` (latency, retention, ...).
    name: str
    value: str
    unit: str | None = None
    column: str | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        """What matches an SLA across versions: its property and the column it is about."""
        return (self.name.lower(), self.column)

    def __str__(self) -> str:
        where = f" on {self.column}" if self.column else ""
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.name} {self.value}{unit}{where}"


@dataclass(frozen=True, slots=True)
class Column:
    """One column: resolved name, type, nullability, default, comment and position."""

    name: str
    type: ColumnType
    nullable: bool = True
    default: str | None = None
    comment: str | None = None
    position: int = 0
    #: ODCS `enum`: the values a contract allows (empty: no such constraint).
    enum: tuple[str, ...] = ()
    deprecated: bool = False
    quality: tuple[QualityRule, ...] = ()


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """A foreign key: local columns referencing columns of another table."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Table:
    """A table or view's published shape: columns in order plus its guarantees."""

    name: str
    columns: tuple[Column, ...] = ()
    primary_key: tuple[str, ...] = ()
    uniques: frozenset[tuple[str, ...]] = frozenset()
    checks: frozenset[str] = frozenset()
    foreign_keys: frozenset[ForeignKey] = frozenset()
    comment: str | None = None
    partition_by: tuple[str, ...] = ()
    cluster_by: tuple[str, ...] = ()
    deprecated: bool = False
    quality: tuple[QualityRule, ...] = ()
    slas: tuple[ServiceLevel, ...] = ()

    def column(self, name: str) -> Column | None:
        """The column with this resolved name, or None."""
        for col in self.columns:
            if col.name == name:
                return col
        return None

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in declared order."""
        return tuple(map(_NAME, self.columns))


@dataclass(frozen=True, slots=True)
class Schema:
    """A set of tables read from one DDL script or contract, in one dialect."""

    dialect: str
    tables: tuple[Table, ...] = ()
    #: What the reader read past (a constraint on a column the table lacks), `line N: ...`.
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def __iter__(self) -> Iterator[Table]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    @property
    def by_name(self) -> Mapping[str, Table]:
        """Tables keyed by their resolved (qualified) name."""
        return {t.name: t for t in self.tables}

    def table(self, name: str) -> Table | None:
        """The table with this resolved name, or None."""
        return self.by_name.get(name)

    def mapping(self) -> dict[str, dict[str, str]]:
        """sqlglot's plain `table -> column -> type` form, as lineage takes it."""
        return {t.name: {c.name: str(c.type) for c in t.columns} for t in self.tables}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description of the schema."""
        return {
            "dialect": self.dialect,
            "tables": [
                {
                    "name": t.name,
                    "comment": t.comment,
                    "primary_key": list(t.primary_key),
                    "unique": [list(u) for u in sorted(t.uniques)],
                    "checks": sorted(t.checks),
                    "foreign_keys": [
                        {
                            "columns": list(fk.columns),
                            "references": fk.ref_table,
                            "ref_columns": list(fk.ref_columns),
                        }
                        for fk in sorted(t.foreign_keys, key=lambda f: (f.columns, f.ref_table))
                    ],
                    "partition_by": list(t.partition_by),
                    "cluster_by": list(t.cluster_by),
                    "columns": [
                        {
                            "name": c.name,
                            "type": str(c.type),
                            "nullable": c.nullable,
                            "default": c.default,
                            "comment": c.comment,
                        }
                        for c in t.columns
                    ],
                }
                for t in self.tables
            ],
        }
