"""diff_schemas: every difference between two schemas, classified for readers and writers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from service.diff.model import Change, ChangeKind, ChangeSet, Verdict
from service.diff.policy import LEVELS, bump_for
from service.diff.rules import (
    ADDED_REQUIRED_COLUMN,
    DEPRECATED_COLUMN_REMOVED,
    DEPRECATED_TABLE_REMOVED,
    RULES,
    SHIFT_KIND,
    STRICT_BREAKING,
    UNKNOWN_TYPE_CHANGE,
    Rule,
)
from service.diff.terms import (
    Found,
    allowed_value_changes,
    enum_value_changes,
    quality_changes,
    sla_changes,
)
from service.diff.widening import Shift, compare_types
from service.errors import InvalidInput
from service.schema.model import Column, ForeignKey, Schema, Table, TypeFamily
from service.schema.names import sqlglot_dialect

K = ChangeKind

# Within one table: its own existence first, then columns by position, then its guarantees.
_TABLE_FIRST = frozenset({K.TABLE_ADDED, K.TABLE_REMOVED, K.TABLE_RENAMED})
_KIND_ORDER = {kind: i for i, kind in enumerate(ChangeKind)}


@dataclass(frozen=True, slots=True)
class _Keyed:
    """A change with the key that puts it in its deterministic place."""

    key: tuple[str, int, int, int]
    change: Change


def diff_schemas(
    old: Schema,
    new: Schema,
    *,
    renames: Mapping[str, str] | None = None,
    level: str = "reader",
) -> ChangeSet:
    """Every change from `old` to `new`, ordered by table then column position, with the bump.

    `renames` maps an old table name to its new name (`"shop.orders": "shop.orders_v2"`)
    or an old `table.column` to the column's new name (`"shop.orders.id": "order_id"`);
    a key naming a table of `old` is a table rename. Without a hint a rename is a removal
    plus an addition. `level="strict"` also calls widening breaking for readers.

    >>> from service.schema.model import Column, ColumnType, Table, TypeFamily
    >>> int32 = ColumnType("INT", TypeFamily.INTEGER, bits=32)
    >>> int64 = ColumnType("BIGINT", TypeFamily.INTEGER, bits=64)
    >>> old = Schema("postgres", (Table("orders", (Column("id", int32, False), Column("note", int32))),))
    >>> new = Schema("postgres", (Table("orders", (Column("id", int64, False),)),))
    >>> changes = diff_schemas(old, new)
    >>> [(c.kind.value, c.column, c.verdict.value) for c in changes.changes]
    [('column_type_widened', 'id', 'compatible'), ('column_removed', 'note', 'breaking')]
    >>> changes.bump.value
    'major'
    """
    if level not in LEVELS:
        raise InvalidInput(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    table_renames, column_renames = split_renames(renames or {}, old)
    differ = _Differ(old.dialect, level, column_renames, table_renames)
    keyed = list(differ.schemas(old, new))
    keyed.sort(key=lambda k: k.key)
    changes = tuple(k.change for k in keyed)
    warnings = tuple(f"old: {w}" for w in old.warnings) + tuple(f"new: {w}" for w in new.warnings)
    return ChangeSet(changes, bump_for(changes, "reader"), warnings)


def split_renames(
    renames: Mapping[str, str], old: Schema
) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Split rename hints into table renames and (table, column) renames, resolved against `old`."""
    tables: dict[str, str] = {}
    columns: dict[tuple[str, str], str] = {}
    names = old.by_name
    for key, value in renames.items():
        if key in names:
            tables[key] = value
            continue
        table, dot, column = key.rpartition(".")
        if not dot or table not in names:
            raise InvalidInput(f"rename {key}={value} names no table or column of the old schema")
        if names[table].column(column) is None:
            raise InvalidInput(f"rename {key}={value}: {table} has no column {column}")
        columns[(table, column)] = value
    return tables, columns


def _keys(cols: Iterable[str]) -> str:
    return "(" + ", ".join(cols) + ")"


def _union(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for g in groups for c in g))


def _check_columns(check: str, table: Table, dialect: str) -> tuple[str, ...]:
    """The table's columns a CHECK names (empty when unreadable: the whole table).

    The schema reader writes a CHECK in its dialect with every name already resolved, so
    its column references are matched to the table's names as they are.
    """
    try:
        tree = sqlglot.parse_one(check, read=sqlglot_dialect(dialect))
    except (SqlglotError, RecursionError):
        return ()
    known = {c.name for c in table.columns}
    found = [c.name for c in tree.find_all(exp.Column)]
    if not found or not known.issuperset(found):
        return ()
    return _union(found)


def _fk(fk: ForeignKey) -> str:
    return f"{_keys(fk.columns)} -> {fk.ref_table}{_keys(fk.ref_columns) if fk.ref_columns else ''}"


def _moved(old_order: list[str], new_order: list[str]) -> set[str]:
    """Columns outside a longest run kept in order: the fewest that moved."""
    index = {name: i for i, name in enumerate(old_order)}
    seq = [index[n] for n in new_order]
    tails: list[int] = []  # tails[k]: position in seq of the smallest tail of a run of length k+1
    prev = [-1] * len(seq)
    for i, v in enumerate(seq):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if seq[tails[mid]] < v:
                lo = mid + 1
            else:
                hi = mid
        prev[i] = tails[lo - 1] if lo else -1
        if lo == len(tails):
            tails.append(i)
        else:
            tails[lo] = i
    kept: set[str] = set()
    i = tails[-1] if tails else -1
    while i >= 0:
        kept.add(new_order[i])
        i = prev[i]
    return set(new_order) - kept


class _Differ:
    """Walks two schemas and emits keyed changes; holds the rename hints and the level."""

    def __init__(
        self,
        dialect: str,
        level: str,
        column_renames: Mapping[tuple[str, str], str],
        table_renames: Mapping[str, str],
    ) -> None:
        self.dialect = dialect
        self.strict = level == "strict"
        self.column_renames = column_renames
        self.table_renames = table_renames
        self.index: dict[str, int] = {}

    def emit(
        self,
        kind: ChangeKind,
        table: str,
        column: str | None = None,
        before: str | None = None,
        after: str | None = None,
        *,
        position: int = 0,
        detail: str = "",
        rule: Rule | None = None,
        columns: tuple[str, ...] | None = None,
    ) -> _Keyed:
        """One change with its verdicts and reason, keyed for ordering."""
        rule = rule or RULES[kind]
        group = 0 if kind in _TABLE_FIRST else (1 if column is not None else 2)
        if columns is None:
            columns = (column,) if column is not None else ()
        elif column is None and len(columns) == 1:
            column = columns[0]
        verdict = rule.verdict
        if self.strict and kind in STRICT_BREAKING:
            verdict = Verdict.BREAKING
        reason = rule.reason.format(
            table=table, column=column, before=before, after=after, detail=detail
        )
        change = Change(
            kind, table, column, before, after, verdict, rule.writer_verdict, reason, columns
        )
        return _Keyed((table, group, position, _KIND_ORDER[kind]), change)

    def schemas(self, old: Schema, new: Schema) -> Iterator[_Keyed]:
        """Changes between two whole schemas."""
        old_tables, new_tables = old.by_name, new.by_name
        matched: dict[str, str] = {}
        for name, target in self.table_renames.items():
            if target not in new_tables:
                raise InvalidInput(
                    f"rename {name}={target}: {target} is not a table of the new schema"
                )
        for name in old_tables:
            target = self.table_renames.get(name, name)
            if target in new_tables:
                matched[name] = target
                if target != name:
                    yield self.emit(K.TABLE_RENAMED, target, None, name, target)
            else:
                rule = DEPRECATED_TABLE_REMOVED if old_tables[name].deprecated else None
                yield self.emit(K.TABLE_REMOVED, name, rule=rule)
        targets = set(matched.values())
        for name in new_tables:
            if name not in targets:
                yield self.emit(K.TABLE_ADDED, name)
        for old_name, new_name in matched.items():
            old_t, new_t = old_tables[old_name], new_tables[new_name]
            if old_t != new_t:  # the common case in a large schema: nothing to walk
                yield from self.tables(old_name, old_t, new_t)

    def tables(self, old_name: str, old: Table, new: Table) -> Iterator[_Keyed]:
        """Changes between two versions of one table."""
        name = new.name
        renamed = {c: n for (t, c), n in self.column_renames.items() if t == old_name}
        to_new = {c.name: renamed.get(c.name, c.name) for c in old.columns}
        new_cols = {c.name: c for c in new.columns}
        _check_column_renames(old_name, renamed, to_new, new_cols)
        self.index = {c.name: i for i, c in enumerate(new.columns)}
        for i, col in enumerate(old.columns):
            target = new_cols.get(to_new[col.name])
            if target is None:
                before = str(col.type)
                rule = DEPRECATED_COLUMN_REMOVED if col.deprecated else None
                yield self.emit(
                    K.COLUMN_REMOVED, name, col.name, before, None, position=i, rule=rule
                )
                continue
            if target.name != col.name:
                yield self.emit(
                    K.COLUMN_RENAMED,
                    name,
                    target.name,
                    col.name,
                    target.name,
                    position=self.index[target.name],
                )
            if col is target and (col.name in old.primary_key) == (col.name in new.primary_key):
                continue  # one column object in both versions (the reader shares unchanged ones)
            if not _same_column(col, target, old, new):
                yield from self.columns(name, col, target, old, new)
        kept_new = set(to_new.values())
        for col in new.columns:
            if col.name not in kept_new:
                yield self.added_column(name, col, new)
        yield from self.reordered(name, old, new, to_new)
        yield from self.guarantees(name, old, new, to_new)

    def added_column(self, table: str, col: Column, new: Table) -> _Keyed:
        """A new column; NOT NULL without a default breaks writers."""
        required = not _nullable(col, new) and col.default is None
        rule = ADDED_REQUIRED_COLUMN if required else None
        return self.emit(
            K.COLUMN_ADDED,
            table,
            col.name,
            None,
            str(col.type),
            position=self.index[col.name],
            rule=rule,
        )

    def columns(
        self, table: str, old: Column, new: Column, old_t: Table, new_t: Table
    ) -> Iterator[_Keyed]:
        """Changes between two versions of one column (type, nullability, default, comment)."""
        pos, col = self.index[new.name], new.name
        yield from self.column_type(table, old, new)
        was, now = _nullable(old, old_t), _nullable(new, new_t)
        if was != now:
            kind = K.COLUMN_NULLABILITY_RELAXED if now else K.COLUMN_NULLABILITY_TIGHTENED
            labels = ("NULL", "NOT NULL")
            yield self.emit(kind, table, col, labels[not was], labels[not now], position=pos)
        if old.default != new.default:
            if old.default is None:
                kind = K.DEFAULT_ADDED
            elif new.default is None:
                kind = K.DEFAULT_REMOVED
            else:
                kind = K.DEFAULT_CHANGED
            yield self.emit(kind, table, col, old.default, new.default, position=pos)
        if old.comment != new.comment:
            yield self.emit(
                K.COLUMN_COMMENT_CHANGED, table, col, old.comment, new.comment, position=pos
            )
        found = allowed_value_changes(col, old.enum, new.enum)
        if new.deprecated and not old.deprecated:
            found.append(Found(K.COLUMN_DEPRECATED, None, "deprecated"))
        found += quality_changes(f"column {col} of {table}", old.quality, new.quality)
        for f in found:
            yield self.emit(f.kind, table, col, f.before, f.after, position=pos, detail=f.detail)

    def column_type(self, table: str, old: Column, new: Column) -> Iterator[_Keyed]:
        """The type change of one column, and enum members added or removed."""
        pos, col = self.index[new.name], new.name
        if old.type.family is TypeFamily.ENUM and new.type.family is TypeFamily.ENUM:
            members = enum_value_changes(old.type.values, new.type.values)
            for f in members:
                yield self.emit(f.kind, table, col, f.before, f.after, position=pos)
            if members:
                return
        result = compare_types(old.type, new.type, self.dialect)
        if result.shift is Shift.SAME:
            return
        rule = UNKNOWN_TYPE_CHANGE if result.shift is Shift.UNKNOWN else None
        kind = SHIFT_KIND[result.shift]
        before, after = str(old.type), str(new.type)
        yield self.emit(
            kind, table, col, before, after, position=pos, detail=result.detail, rule=rule
        )

    def reordered(
        self, table: str, old: Table, new: Table, to_new: Mapping[str, str]
    ) -> Iterator[_Keyed]:
        """column_reordered for the fewest columns whose moves explain the new order."""
        new_column_names = new.column_names
        new_names = set(new_column_names)
        old_order = [to_new[c] for c in old.column_names if to_new[c] in new_names]
        kept = set(old_order)
        new_order = [c for c in new_column_names if c in kept]
        if old_order == new_order:
            return
        old_pos = {n: i + 1 for i, n in enumerate(old_order)}
        new_pos = {n: i + 1 for i, n in enumerate(new_order)}
        for col in sorted(_moved(old_order, new_order), key=new_pos.__getitem__):
            before, after = f"position {old_pos[col]}", f"position {new_pos[col]}"
            yield self.emit(K.COLUMN_REORDERED, table, col, before, after, position=self.index[col])

    def guarantees(
        self, table: str, old: Table, new: Table, to_new: Mapping[str, str]
    ) -> Iterator[_Keyed]:
        """Key, unique, check, foreign-key, comment, partitioning and clustering changes."""

        def cols(names: Iterable[str]) -> tuple[str, ...]:
            return tuple(to_new.get(n, n) for n in names)

        old_pk, new_pk = cols(old.primary_key), new.primary_key
        if old_pk != new_pk:
            if not old_pk:
                yield self.emit(
                    K.PRIMARY_KEY_ADDED, table, None, None, _keys(new_pk), columns=new_pk
                )
            elif not new_pk:
                yield self.emit(
                    K.PRIMARY_KEY_REMOVED, table, None, _keys(old_pk), None, columns=old_pk
                )
            else:
                yield self.emit(
                    K.PRIMARY_KEY_CHANGED,
                    table,
                    None,
                    _keys(old_pk),
                    _keys(new_pk),
                    columns=_union(old_pk, new_pk),
                )
        old_u, new_u = {cols(u) for u in old.uniques}, set(new.uniques)
        for u in sorted(old_u - new_u):
            yield self.emit(K.UNIQUE_REMOVED, table, None, _keys(u), None, columns=u)
        for u in sorted(new_u - old_u):
            yield self.emit(K.UNIQUE_ADDED, table, None, None, _keys(u), columns=u)
        for check in sorted(old.checks - new.checks):
            yield self.emit(
                K.CHECK_REMOVED,
                table,
                None,
                check,
                None,
                columns=cols(_check_columns(check, old, self.dialect)),
            )
        for check in sorted(new.checks - old.checks):
            yield self.emit(
                K.CHECK_ADDED,
                table,
                None,
                None,
                check,
                columns=_check_columns(check, new, self.dialect),
            )
        old_fk = {
            ForeignKey(
                cols(f.columns), self.table_renames.get(f.ref_table, f.ref_table), f.ref_columns
            )
            for f in old.foreign_keys
        }
        for fk in sorted(old_fk - new.foreign_keys, key=_fk):
            yield self.emit(K.FOREIGN_KEY_REMOVED, table, None, _fk(fk), None, columns=fk.columns)
        for fk in sorted(new.foreign_keys - old_fk, key=_fk):
            yield self.emit(K.FOREIGN_KEY_ADDED, table, None, None, _fk(fk), columns=fk.columns)
        if old.comment != new.comment:
            yield self.emit(K.TABLE_COMMENT_CHANGED, table, None, old.comment, new.comment)
        found = (
            [Found(K.TABLE_DEPRECATED, None, "deprecated")]
            if new.deprecated and not old.deprecated
            else []
        )
        found += quality_changes(table, old.quality, new.quality)
        found += sla_changes(old.slas, new.slas, to_new)
        for f in found:
            yield self.emit(
                f.kind, table, None, f.before, f.after, detail=f.detail, columns=f.columns
            )
        if cols(old.partition_by) != new.partition_by:
            yield self.emit(
                K.PARTITIONING_CHANGED,
                table,
                None,
                _keys(old.partition_by),
                _keys(new.partition_by),
            )
        if cols(old.cluster_by) != new.cluster_by:
            yield self.emit(
                K.CLUSTERING_CHANGED, table, None, _keys(old.cluster_by), _keys(new.cluster_by)
            )


def _check_column_renames(
    table: str,
    renamed: Mapping[str, str],
    to_new: Mapping[str, str],
    new_cols: Mapping[str, Column],
) -> None:
    """A hint must name a column of the new table that no other old column also becomes."""
    for old_col, new_col in renamed.items():
        if new_col not in new_cols:
            raise InvalidInput(
                f"rename {table}.{old_col}={new_col}: the new {table} has no column {new_col}"
            )
        if sum(1 for target in to_new.values() if target == new_col) > 1:
            raise InvalidInput(
                f"rename {table}.{old_col}={new_col}: {new_col} is also an old column of {table}; "
                "rename that one too"
            )


def _same_column(old: Column, new: Column, old_t: Table, new_t: Table) -> bool:
    """True when nothing the engine reports differs: the fast path for unchanged columns."""
    return (
        (old.type is new.type or old.type == new.type)  # a reader shares its canonical types
        and old.nullable == new.nullable
        and old.default == new.default
        and old.comment == new.comment
        and old.enum == new.enum
        and old.deprecated == new.deprecated
        and old.quality == new.quality
        and (old.name in old_t.primary_key) == (new.name in new_t.primary_key)
    )


def _nullable(col: Column, table: Table) -> bool:
    """Whether the column may hold NULL, counting the NOT NULL a primary key implies."""
    return col.nullable and col.name not in table.primary_key


__all__ = ["diff_schemas", "split_renames"]
